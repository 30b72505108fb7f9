// The whole event loop with real inotify, timers and HTTP, but a fake loader
// and a fake kernel, so no root is needed. The loader reads a tiny format:
// each manifest file holds "port: N" (one service port named after the file)
// or anything else (a validation error at file:1).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/daemon/daemon.hpp"
#include "fake_syncer.hpp"
#include "metrics_text.hpp"
#include "tests/support/temp_dir.hpp"
#include "test_helpers.hpp"

namespace svcnat {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

StateResult load_tiny(const Settings& s) {
    StateResult r;
    for (const auto& m : s.manifests) {
        std::error_code ec;
        std::vector<fs::path> files;
        if (!fs::is_directory(m, ec)) {
            files.push_back(m);  // a missing file is an error, as with the real loader
        } else {
            for (const auto& e : fs::directory_iterator(m))
                if (e.path().extension() == ".yaml") files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::ifstream in(f);
            std::string key;
            int port = 0;
            if (in >> key >> port && key == "port:" && port > 0) {
                r.state.ports.push_back(test::service_port("default", f.stem().string(), "", port));
            } else {
                Diagnostic d;
                d.file = f.string();
                d.line = 1;
                d.field = "port";
                d.message = "Invalid value";
                r.load.diagnostics.push_back(d);
            }
        }
    }
    return r;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

struct DaemonLoopTest : ::testing::Test {
    test::TempDir dir;
    std::shared_ptr<test::FakeKernel> kernel = std::make_shared<test::FakeKernel>();
    Settings settings;
    std::atomic<int> reloads{0};
    std::atomic<bool> config_valid{true};
    std::unique_ptr<Daemon> daemon;
    std::thread loop;
    std::atomic<int> exit_code{-1};
    uint16_t healthz_port = 0, metrics_port = 0;

    void SetUp() override {
        block_daemon_signals();
        fs::create_directory(dir / "m");
        dir.write("svcnat.conf", "# test\n");
        settings.manifests = {dir / "m"};
        settings.config_file = dir / "svcnat.conf";
        settings.min_sync_period_s = 0.3;
        settings.sync_period_s = 30;
        healthz_port = test::free_tcp_port();
        metrics_port = test::free_tcp_port();
        settings.healthz_bind_address = "127.0.0.1:" + std::to_string(healthz_port);
        settings.metrics_bind_address = "127.0.0.1:" + std::to_string(metrics_port);
    }
    void start() {
        auto factory = [k = kernel](const Settings&) {
            std::lock_guard l(k->mu);
            ++k->syncers_made;
            return std::make_unique<test::FakeSyncer>(k);
        };
        auto reload = [this]() {
            ++reloads;
            if (!config_valid) throw std::runtime_error("line 2: unknown option 'bogus'");
            return settings;
        };
        daemon = std::make_unique<Daemon>(settings, factory, load_tiny, reload);
        loop = std::thread([this] { exit_code = daemon->run(); });
        ASSERT_TRUE(wait_until([&] { return attempts() >= 1; }));
    }
    void TearDown() override {
        if (loop.joinable()) {
            daemon->stop();
            loop.join();
        }
    }
    // Finished attempts, as the metrics tell: syncs (ok or not) plus loads
    // rejected before reaching the kernel.
    double attempts() {
        const auto m = metrics();
        const double syncs = m.value("kubeproxy_sync_proxy_rules_duration_seconds_count");
        const double rejected = m.value("svcnat_config_errors_total");
        return (std::isnan(syncs) ? 0 : syncs) + (std::isnan(rejected) ? 0 : rejected);
    }
    size_t programmed_ports() {
        auto s = kernel->snapshot();
        return s ? s->ports.size() : 0;
    }
    nlohmann::json healthz(int* status = nullptr) {
        httplib::Client c("127.0.0.1", healthz_port);
        auto r = c.Get("/healthz");
        if (!r) return {};
        if (status) *status = r->status;
        return nlohmann::json::parse(r->body);
    }
    test::MetricsText metrics() {
        httplib::Client c("127.0.0.1", metrics_port);
        auto r = c.Get("/metrics");
        return test::MetricsText(r ? r->body : "");
    }
};

TEST_F(DaemonLoopTest, PicksUpNewChangedAndDeletedFiles) {
    dir.write("m/web.yaml", "port: 80\n");
    start();
    EXPECT_EQ(programmed_ports(), 1u);
    EXPECT_TRUE(kernel->full_flags.front());

    dir.write("m/db.yaml", "port: 5432\n");
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 2; }));

    fs::remove(dir / "m/db.yaml");
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 1; }));

    // Replaced by rename, as editors do.
    dir.write("m/.web.tmp", "port: 8080\n");
    fs::rename(dir / "m/.web.tmp", dir / "m/web.yaml");
    ASSERT_TRUE(wait_until([&] { return kernel->snapshot()->ports.at(0).port == 8080; }));

    int status = 0;
    auto hz = healthz(&status);
    EXPECT_EQ(status, 200);
    auto m = metrics();
    if (const auto problems = test::promtool_problems(m.text()); problems != "skip") {
        EXPECT_EQ(problems, "");
    }
    EXPECT_EQ(m.value("svcnat_service_ports"), 1);
    EXPECT_GE(m.value("kubeproxy_sync_proxy_rules_duration_seconds_count"), 4);
}

TEST_F(DaemonLoopTest, BurstOfChangesIsCoalescedAndRateLimited) {
    start();
    const size_t before = kernel->calls();
    // 20 files over ~1 s: with min-sync-period 0.3 s at most ~5 syncs.
    for (int i = 0; i < 20; ++i) {
        dir.write("m/svc" + std::to_string(i) + ".yaml", "port: " + std::to_string(1000 + i) + "\n");
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 20; }));
    std::this_thread::sleep_for(400ms);
    const size_t syncs = kernel->calls() - before;
    EXPECT_GE(syncs, 2u);
    EXPECT_LE(syncs, 6u);
}

TEST_F(DaemonLoopTest, InvalidEditKeepsServingAndIsReported) {
    dir.write("m/web.yaml", "port: 80\n");
    dir.write("m/db.yaml", "port: 5432\n");
    start();
    ASSERT_EQ(programmed_ports(), 2u);
    const double before = attempts();
    dir.write("m/web.yaml", "port: nonsense\n");
    ASSERT_TRUE(wait_until([&] { return attempts() > before; }));
    EXPECT_EQ(programmed_ports(), 2u);
    int status = 0;
    auto hz = healthz(&status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(hz["svcnat"]["configOk"], false);
    EXPECT_EQ(hz["svcnat"]["configErrors"][0], (dir / "m/web.yaml") + ":1: port: Invalid value");
    auto m = metrics();
    EXPECT_EQ(m.value("svcnat_config_last_load_success"), 0);
    EXPECT_EQ(m.value("svcnat_config_errors_total"), 1);
    // Deleting the broken file is a valid edit again: its objects go.
    fs::remove(dir / "m/web.yaml");
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 1; }));
    EXPECT_EQ(healthz()["svcnat"]["configOk"], true);
}

TEST_F(DaemonLoopTest, ExplicitFileDeletedRemovesItsObjects) {
    dir.write("web.yaml", "port: 80\n");
    settings.manifests.push_back(dir / "web.yaml");
    dir.write("m/db.yaml", "port: 5432\n");
    start();
    ASSERT_EQ(programmed_ports(), 2u);
    fs::remove(dir / "web.yaml");
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 1; }));
    EXPECT_EQ(healthz()["svcnat"]["configOk"], true);
    dir.write("web.yaml", "port: 80\n");  // and back
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 2; }));
}

TEST_F(DaemonLoopTest, ConfigFileChangeAndSighupReloadSettings) {
    dir.write("m/web.yaml", "port: 80\n");
    start();
    EXPECT_EQ(reloads, 0);
    dir.write("svcnat.conf", "# edited\n");
    ASSERT_TRUE(wait_until([&] { return reloads == 1; }));
    ASSERT_TRUE(wait_until([&] { return kernel->syncers_made == 2; }));

    const size_t calls = kernel->calls();
    kill(getpid(), SIGHUP);
    ASSERT_TRUE(wait_until([&] { return reloads == 2 && kernel->calls() > calls; }));
    EXPECT_TRUE(kernel->full_flags.back());

    // A broken config file keeps the old settings and the programmed state.
    config_valid = false;
    dir.write("svcnat.conf", "bogus = 1\n");
    ASSERT_TRUE(wait_until([&] { return reloads == 3; }));
    ASSERT_TRUE(wait_until([&] { return healthz()["svcnat"]["configOk"] == false; }));
    EXPECT_NE(healthz()["svcnat"]["configErrors"][0].get<std::string>().find("unknown option 'bogus'"),
              std::string::npos);
    EXPECT_EQ(programmed_ports(), 1u);
    config_valid = true;
    dir.write("svcnat.conf", "# fixed\n");
    ASSERT_TRUE(wait_until([&] { return healthz()["svcnat"]["configOk"] == true; }));
}

TEST_F(DaemonLoopTest, FailedSyncIsRetriedAndHealthzRecovers) {
    dir.write("m/web.yaml", "port: 80\n");
    kernel->fail_next = 2;
    start();
    int status = 0;
    healthz(&status);
    EXPECT_EQ(status, 503);
    ASSERT_TRUE(wait_until([&] { return programmed_ports() == 1; }, 5000ms));
    healthz(&status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(metrics().value("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 2);
}

// systemd's side of Type=notify: a datagram socket named by $NOTIFY_SOCKET.
TEST_F(DaemonLoopTest, NotifiesSystemdReadyAfterTheFirstSync) {
#ifndef SVCNAT_HAVE_LIBSYSTEMD
    GTEST_SKIP() << "built without libsystemd";
#endif
    const std::string path = dir / "notify.sock";
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sock, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
    dir.write("m/web.yaml", "port: 80\n");
    start();
    char buf[512] = {};
    ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
    unsetenv("NOTIFY_SOCKET");
    close(sock);
    ASSERT_GT(n, 0);
    const std::string msg(buf, static_cast<size_t>(n));
    EXPECT_NE(msg.find("READY=1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("STATUS=rules in sync"), std::string::npos) << msg;
}

// A data path's periodic work runs on the loop's thread, between jobs.
TEST_F(DaemonLoopTest, RunsTheDataPathsTickOnTheLoopThread) {
    std::atomic<int> ticks{0};
    std::atomic<bool> other_thread{false};
    std::thread::id loop_id;
    std::mutex mu;
    auto factory = [k = kernel](const Settings&) { return std::make_unique<test::FakeSyncer>(k); };
    daemon = std::make_unique<Daemon>(settings, factory, load_tiny, [this] { return settings; });
    daemon->every(20ms, [&] {
        std::lock_guard l(mu);
        if (ticks++ == 0) loop_id = std::this_thread::get_id();
        else if (std::this_thread::get_id() != loop_id) other_thread = true;
    });
    loop = std::thread([this] { exit_code = daemon->run(); });
    EXPECT_TRUE(wait_until([&] { return ticks >= 10; }));
    {
        std::lock_guard l(mu);
        EXPECT_EQ(loop_id, loop.get_id());
    }
    EXPECT_FALSE(other_thread);
}

TEST_F(DaemonLoopTest, StopLeavesRulesUnlessCleanupOnExit) {
    dir.write("m/web.yaml", "port: 80\n");
    start();
    daemon->stop();
    loop.join();
    EXPECT_EQ(exit_code, 0);
    EXPECT_EQ(programmed_ports(), 1u);
    EXPECT_FALSE(kernel->cleaned_up);

    settings.cleanup_on_exit = true;
    start();
    kill(getpid(), SIGTERM);
    loop.join();
    EXPECT_EQ(exit_code, 0);
    EXPECT_TRUE(kernel->cleaned_up);
    EXPECT_EQ(programmed_ports(), 0u);
}

}  // namespace
}  // namespace svcnat
