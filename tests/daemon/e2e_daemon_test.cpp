// `svcnat run` end to end, in the e2elab namespace lab (tests/e2e/lab.hpp):
// the daemon runs inside the node namespace (ip netns exec), its HTTP servers
// are queried with curl there, traffic comes from the lab's client and pods.
// Each test starts its own daemon with its own manifest directory and lock
// directory, and stops it by PID.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "lab.hpp"
#include "manifests.hpp"
#include "metrics_text.hpp"

namespace svcnat::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10000ms, std::chrono::milliseconds step = 100ms) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
        if (pred()) return true;
        std::this_thread::sleep_for(step);
    }
    return pred();
}

// `svcnat run` inside the node namespace, started and reaped by this process.
class DaemonProcess {
public:
    DaemonProcess(const std::string& ns, const std::vector<std::string>& args, const std::string& log_path)
        : log_path_(log_path) {
        std::vector<std::string> argv{"ip", "netns", "exec", ns, svcnat_binary(), "run"};
        argv.insert(argv.end(), args.begin(), args.end());
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);
            int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            int devnull = open("/dev/null", O_RDONLY);
            dup2(devnull, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            std::vector<char*> cargv;
            for (auto& a : argv) cargv.push_back(a.data());
            cargv.push_back(nullptr);
            execvp("ip", cargv.data());
            _exit(127);
        }
    }
    ~DaemonProcess() { kill_now(); }

    pid_t pid() const { return pid_; }
    void signal(int sig) const {
        if (pid_ > 0 && !exited_) ::kill(pid_, sig);
    }
    // Exit status (128+N for signal N), or -1 if still running after `limit`.
    int wait_exit(std::chrono::milliseconds limit = 10000ms) {
        if (exited_) return status_;
        for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
            int st = 0;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                exited_ = true;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return status_;
            }
            std::this_thread::sleep_for(20ms);
        }
        return -1;
    }
    void kill_now() {
        if (pid_ <= 0 || exited_) return;
        ::kill(pid_, SIGKILL);
        wait_exit(5000ms);
    }
    std::string log() const {
        std::ifstream in(log_path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    std::string log_path_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = -1;
};

const char* kWebService = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  clusterIP: 10.96.0.50
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
)";

// A LoadBalancer with externalTrafficPolicy Local: kube-proxy's health-check node port.
const char* kLocalLbService = R"(apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.60
  externalTrafficPolicy: Local
  healthCheckNodePort: 32100
  selector:
    app: edge
  ports:
  - name: http
    port: 80
    targetPort: 8080
    nodePort: 31080
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.60
)";

class DaemonE2E : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root() || svcnat_binary().empty()) return;
        lab_ = std::make_unique<Lab>("dmn");
        try {
            lab_->up({3, false});
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() { lab_.reset(); }

    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        if (svcnat_binary().empty()) GTEST_SKIP() << "svcnat executable not built";
        ASSERT_EQ(setup_error_, "");
        manifests_ = std::make_unique<ManifestDir>();
        char tmpl[] = "/tmp/svcnat-daemon-e2e-XXXXXX";
        work_ = mkdtemp(tmpl);
        fs::create_directory(work_ + "/m");
        // Baseline objects: the node and pod1, pod2 (app=web) on it.
        manifests_->write("node.yaml", node_yaml());
        manifests_->write("pods.yaml", documents({pod_yaml(pod("pod1", "10.244.1.11")),
                                                 pod_yaml(pod("pod2", "10.244.1.12"))}));
        manifests_->write("web.yaml", kWebService);
        write_config("");
        // Rules left by the previous test's daemon: start each test from none.
        lab_->exec("node", {"nft", "delete", "table", "ip", "svcnat"});
        lab_->exec("node", {"nft", "delete", "table", "ip6", "svcnat"});
    }
    void TearDown() override {
        if (HasFailure() && daemon_) std::cerr << "---- daemon log ----\n" << daemon_->log() << "\n";
        daemon_.reset();
        manifests_.reset();
        if (!work_.empty()) fs::remove_all(work_);
    }

    static PodSpec pod(const std::string& name, const std::string& ip, const std::string& app = "web",
                       const std::string& node = "node-a") {
        PodSpec p;
        p.name = name;
        p.ips = {ip};
        p.node = node;
        p.labels = {{"app", app}};
        return p;
    }

    void write_config(const std::string& extra) {
        std::ofstream(work_ + "/svcnat.conf") << "# written by the daemon e2e test\n"
                                              << "manifests = " << manifests_->path() << "\n"
                                              << "node-name = node-a\n"
                                              << "min-sync-period = 200ms\n"
                                              << "sync-period = 30s\n"
                                              << extra;
    }

    std::unique_ptr<DaemonProcess> start_daemon(const std::vector<std::string>& more = {}) {
        std::vector<std::string> args{"--config", work_ + "/svcnat.conf",
                                      "--healthz-bind-address", "0.0.0.0:10256",
                                      "--metrics-bind-address", "127.0.0.1:10249", "-v", "1"};
        args.insert(args.end(), more.begin(), more.end());
        return std::make_unique<DaemonProcess>(lab_->ns("node"), args, work_ + "/daemon.log");
    }
    // Starts the daemon and waits for its first successful sync.
    void start_and_wait_healthy() {
        daemon_ = start_daemon();
        bool exited = false;
        ASSERT_TRUE(eventually([&] {
            exited = daemon_->wait_exit(0ms) != -1;
            return exited || healthz_status() == 200;
        }));
        ASSERT_FALSE(exited) << "svcnat run exited: " << daemon_->log();
    }

    // curl inside the node namespace: status code and body.
    std::pair<int, std::string> curl(const std::string& url) const {
        auto r = lab_->exec("node", {"curl", "-s", "-m", "2", "-w", "\n%{http_code}", url}, 10);
        auto pos = r.out.rfind('\n');
        if (pos == std::string::npos) return {0, ""};
        return {std::atoi(r.out.c_str() + pos + 1), r.out.substr(0, pos)};
    }
    int healthz_status() const { return curl("http://127.0.0.1:10256/healthz").first; }
    nlohmann::json healthz() const {
        auto [code, body] = curl("http://127.0.0.1:10256/healthz");
        return code ? nlohmann::json::parse(body, nullptr, false) : nlohmann::json();
    }
    test::MetricsText metrics() const { return test::MetricsText(curl("http://127.0.0.1:10249/metrics").second); }

    std::map<std::string, int> web_answers(int count = 12) const {
        return tally(lab_->http("client", "http://10.96.0.50/", count));
    }
    std::string ruleset() const { return lab_->exec("node", {"nft", "list", "ruleset"}).out; }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::string setup_error_;
    std::unique_ptr<ManifestDir> manifests_;
    std::unique_ptr<DaemonProcess> daemon_;
    std::string work_;
};

TEST_F(DaemonE2E, StartsServesAndPicksUpNewEndpoints) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    auto answers = web_answers();
    EXPECT_EQ(answers.count("ERR timeout") + answers.count("ERR ECONNREFUSED"), 0u) << show(answers);
    EXPECT_GT(answers["You've hit pod1"] + answers["You've hit pod2"], 0) << show(answers);
    EXPECT_EQ(answers.count("You've hit pod3"), 0u) << show(answers);

    auto hz = healthz();
    EXPECT_EQ(hz["nodeEligible"], true);
    EXPECT_EQ(hz["svcnat"]["configOk"], true);
    EXPECT_EQ(curl("http://127.0.0.1:10256/livez").first, 200);

    // A new Pod file: pod3 joins the service.
    manifests_->write("pod3.yaml", pod_yaml(pod("pod3", "10.244.1.13")));
    EXPECT_TRUE(eventually([&] { return web_answers(9).count("You've hit pod3") > 0; })) << daemon_->log();
}

TEST_F(DaemonE2E, NewEndpointSliceFileReceivesTraffic) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    // A selector-less service and, later, its EndpointSlice.
    manifests_->write("ext.yaml", R"(apiVersion: v1
kind: Service
metadata:
  name: ext
spec:
  clusterIP: 10.96.0.51
  ports:
  - name: http
    port: 80
    targetPort: 8080
)");
    ASSERT_TRUE(eventually([&] { return ruleset().find("10.96.0.51") != std::string::npos; })) << daemon_->log();
    manifests_->write("ext-slice.yaml", endpoint_slice_yaml("ext-1", "ext", {{"10.244.1.13"}}, {{"http", 8080, "TCP"}}));
    EXPECT_TRUE(eventually([&] {
        return tally(lab_->http("client", "http://10.96.0.51/", 3)) == std::map<std::string, int>{{"You've hit pod3", 3}};
    })) << show(tally(lab_->http("client", "http://10.96.0.51/", 3))) << daemon_->log();
}

TEST_F(DaemonE2E, InvalidEditKeepsTrafficAndIsReported) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    ASSERT_GT(web_answers()["You've hit pod1"] + web_answers()["You've hit pod2"], 0);
    const double errors_before = metrics().value("svcnat_config_errors_total");

    // Port 0 is invalid: the whole edit is refused.
    std::string broken = kWebService;
    broken.replace(broken.find("port: 80"), 8, "port: 0");
    manifests_->write("web.yaml", broken);
    ASSERT_TRUE(eventually([&] { return healthz()["svcnat"]["configOk"] == false; })) << daemon_->log();

    auto hz = healthz();
    EXPECT_EQ(healthz_status(), 200);  // the last good state keeps serving
    ASSERT_FALSE(hz["svcnat"]["configErrors"].empty());
    const std::string err = hz["svcnat"]["configErrors"][0];
    EXPECT_TRUE(std::regex_search(err, std::regex(manifests_->path() + "/web.yaml:[0-9]+: "))) << err;
    auto m = metrics();
    if (const auto problems = test::promtool_problems(m.text()); problems != "skip") {
        EXPECT_EQ(problems, "");
    }
    EXPECT_EQ(m.value("svcnat_config_last_load_success"), 0);
    EXPECT_EQ(m.value("svcnat_config_errors_total"), errors_before + 1);
    EXPECT_NE(daemon_->log().find(manifests_->path() + "/web.yaml:"), std::string::npos);

    auto answers = web_answers();
    EXPECT_EQ(answers["You've hit pod1"] + answers["You've hit pod2"], 12) << show(answers);

    // Fixed again.
    manifests_->write("web.yaml", kWebService);
    EXPECT_TRUE(eventually([&] { return healthz()["svcnat"]["configOk"] == true; }));
    EXPECT_EQ(metrics().value("svcnat_config_last_load_success"), 1);
}

TEST_F(DaemonE2E, DeletingTheServiceFileRemovesItsTraffic) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    ASSERT_GT(web_answers()["You've hit pod1"] + web_answers()["You've hit pod2"], 0);
    manifests_->remove("web.yaml");
    ASSERT_TRUE(eventually([&] { return ruleset().find("10.96.0.50") == std::string::npos; })) << daemon_->log();
    auto answers = web_answers(4);
    EXPECT_EQ(answers.count("You've hit pod1") + answers.count("You've hit pod2"), 0u) << show(answers);
    EXPECT_EQ(metrics().value("svcnat_services"), 0);
}

TEST_F(DaemonE2E, SighupReloadsConfigAndResyncsFull) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    const double full_before = metrics().value("kubeproxy_sync_full_proxy_rules_duration_seconds_count");
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(eventually([&] {
        return metrics().value("kubeproxy_sync_full_proxy_rules_duration_seconds_count") > full_before;
    })) << daemon_->log();
    EXPECT_NE(daemon_->log().find("SIGHUP"), std::string::npos);
    EXPECT_NE(daemon_->log().find("configuration reloaded from " + work_ + "/svcnat.conf"), std::string::npos);

    // Editing the config file reloads it too: a new setting takes effect.
    const double full_after_hup = metrics().value("kubeproxy_sync_full_proxy_rules_duration_seconds_count");
    write_config("masquerade-all = true\n");
    ASSERT_TRUE(eventually([&] {
        return metrics().value("kubeproxy_sync_full_proxy_rules_duration_seconds_count") > full_after_hup;
    })) << daemon_->log();
    EXPECT_EQ(healthz_status(), 200);
    // Still serving, and still one daemon.
    EXPECT_EQ(daemon_->wait_exit(100ms), -1);
    auto answers = web_answers(6);
    EXPECT_EQ(answers["You've hit pod1"] + answers["You've hit pod2"], 6) << show(answers);
}

// The guard is "one svcnat per table and network namespace": a second
// daemon in the namespace is refused whatever its (now ignored) --lock-dir,
// and a daemon in another namespace runs even when it names the same one.
TEST_F(DaemonE2E, SecondInstanceOnTheSameTableAndNamespaceRefuses) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    auto second = std::make_unique<DaemonProcess>(
        lab_->ns("node"),
        std::vector<std::string>{"--config", work_ + "/svcnat.conf", "--lock-dir", work_ + "/elsewhere",
                                 "--healthz-bind-address", "0.0.0.0:10266", "--metrics-bind-address", ""},
        work_ + "/second.log");
    EXPECT_EQ(second->wait_exit(10000ms), 1);
    const std::string log = second->log();
    EXPECT_NE(log.find("already programs nftables table 'svcnat' in network namespace net:["), std::string::npos)
        << log;
    EXPECT_NE(log.find("pid "), std::string::npos) << log;
    EXPECT_EQ(healthz_status(), 200);  // the first one is unaffected

    // Another namespace (the lab's client), same table name and lock directory: runs.
    auto elsewhere = std::make_unique<DaemonProcess>(
        lab_->ns("client"),
        std::vector<std::string>{"--config", work_ + "/svcnat.conf", "--lock-dir", work_ + "/run",
                                 "--healthz-bind-address", "", "--metrics-bind-address", "", "--cleanup-on-exit"},
        work_ + "/elsewhere.log");
    EXPECT_EQ(elsewhere->wait_exit(2000ms), -1) << elsewhere->log();
    elsewhere->signal(SIGTERM);
    EXPECT_EQ(elsewhere->wait_exit(), 0) << elsewhere->log();
}

TEST_F(DaemonE2E, SigtermLeavesRulesCleanupOnExitRemovesThem) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait_exit(), 0);
    EXPECT_NE(ruleset().find("10.96.0.50"), std::string::npos);
    auto answers = web_answers(4);  // like kube-proxy: traffic keeps flowing without the daemon
    EXPECT_EQ(answers["You've hit pod1"] + answers["You've hit pod2"], 4) << show(answers);

    daemon_ = start_daemon({"--cleanup-on-exit"});
    ASSERT_TRUE(eventually([&] { return healthz_status() == 200; })) << daemon_->log();
    daemon_->signal(SIGINT);
    EXPECT_EQ(daemon_->wait_exit(), 0);
    EXPECT_EQ(ruleset().find("svcnat"), std::string::npos) << ruleset();
}

TEST_F(DaemonE2E, HealthCheckNodePortFollowsLocalEndpoints) {
    manifests_->write("edge.yaml", kLocalLbService);
    // pod3 is the edge endpoint, on this node.
    manifests_->write("pod3.yaml", pod_yaml(pod("pod3", "10.244.1.13", "edge")));
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    auto hc = [&] {
        auto r = lab_->exec("client", {"curl", "-s", "-m", "2", "-w", "\n%{http_code}", "http://203.0.113.1:32100/"});
        auto pos = r.out.rfind('\n');
        return pos == std::string::npos ? std::make_pair(0, std::string())
                                        : std::make_pair(std::atoi(r.out.c_str() + pos + 1), r.out.substr(0, pos));
    };
    ASSERT_TRUE(eventually([&] { return hc().first == 200; })) << daemon_->log();
    auto j = nlohmann::json::parse(hc().second);
    EXPECT_EQ(j["service"]["namespace"], "default");
    EXPECT_EQ(j["service"]["name"], "edge");
    EXPECT_EQ(j["localEndpoints"], 1);
    EXPECT_EQ(j["serviceProxyHealthy"], true);

    // The endpoint moves to another node: 503, no local endpoints.
    manifests_->write("pod3.yaml", pod_yaml(pod("pod3", "10.244.1.13", "edge", "node-b")));
    ASSERT_TRUE(eventually([&] { return hc().first == 503; })) << daemon_->log();
    EXPECT_EQ(nlohmann::json::parse(hc().second)["localEndpoints"], 0);
    auto m = metrics();
    EXPECT_EQ(m.value("kubeproxy_sync_proxy_rules_no_local_endpoints_total", {{"traffic_policy", "external"}}), 1);

    // The service goes: the port closes.
    manifests_->remove("edge.yaml");
    ASSERT_TRUE(eventually([&] { return hc().first == 0; })) << daemon_->log();
}

TEST_F(DaemonE2E, MetricsAreValidPrometheusText) {
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    const std::string text = curl("http://127.0.0.1:10249/metrics").second;
    auto m = test::MetricsText(text);
    EXPECT_GE(m.value("kubeproxy_sync_proxy_rules_duration_seconds_count"), 1);
    EXPECT_GT(m.value("kubeproxy_sync_proxy_rules_last_timestamp_seconds"), 1.6e9);
    EXPECT_EQ(m.value("svcnat_services"), 1);
    EXPECT_GT(m.value("svcnat_sync_batch_messages"), 0);
    const std::string problems = test::promtool_problems(text);
    ASSERT_NE(problems, "skip") << "promtool (Debian package prometheus) is part of the test setup";
    EXPECT_EQ(problems, "") << text;
}

// Many services, so the first sync's batch is big; SIGKILL lands at various
// points around it (timed from a first run). The kernel must hold either no
// svcnat rules or all of them, never part of a batch; a restart converges.
TEST_F(DaemonE2E, KillNineMidSyncThenRestartConverges) {
    const int n = 1500;
    std::string big;
    for (int i = 0; i < n; ++i) {
        big += "apiVersion: v1\nkind: Service\nmetadata:\n  name: bulk" + std::to_string(i) +
               "\nspec:\n  clusterIP: 10.97." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
               "\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n---\n";
    }
    manifests_->write("bulk.yaml", big);
    const std::regex bulk_ip(R"(10\.97\.\d+\.\d+)");
    auto bulk_in_kernel = [&] {
        const std::string rs = ruleset();
        std::set<std::string> ips;
        for (auto it = std::sregex_iterator(rs.begin(), rs.end(), bulk_ip); it != std::sregex_iterator(); ++it)
            ips.insert(it->str());
        return ips.size();
    };
    auto drop_tables = [&] {
        lab_->exec("node", {"nft", "delete", "table", "ip", "svcnat"});
        lab_->exec("node", {"nft", "delete", "table", "ip6", "svcnat"});
    };

    // A first run: how long from start until the startup sync is logged.
    const auto t0 = std::chrono::steady_clock::now();
    daemon_ = start_daemon();
    ASSERT_TRUE(eventually([&] { return daemon_->log().find("sync (full, startup)") != std::string::npos; }, 30000ms,
                           5ms))
        << daemon_->log();
    const auto to_synced = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::smatch line;
    const std::string first_log = daemon_->log();
    std::regex_search(first_log, line, std::regex(R"(sync \(full, startup\): [^\n]*)"));
    std::cerr << "first run: synced after ~" << to_synced.count() << " ms; " << line.str() << "\n";
    daemon_->signal(SIGKILL);
    daemon_->wait_exit();
    ASSERT_EQ(bulk_in_kernel(), static_cast<size_t>(n));
    // Counters and handles aside, the same state must give the same ruleset.
    auto normalized_ruleset = [&] {
        static const std::regex volatile_parts(R"( # handle \d+|counter packets \d+ bytes \d+)");
        return std::regex_replace(ruleset(), volatile_parts, "");
    };
    const std::string expected_ruleset = normalized_ruleset();

    int seen_none = 0, seen_all = 0;
    for (double fraction : {0.3, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.2}) {
        drop_tables();
        daemon_ = start_daemon();
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(to_synced.count() * fraction)));
        daemon_->signal(SIGKILL);
        ASSERT_NE(daemon_->wait_exit(), -1);
        const size_t in_kernel = bulk_in_kernel();
        EXPECT_TRUE(in_kernel == 0 || in_kernel == static_cast<size_t>(n))
            << "SIGKILL at " << fraction << " x " << to_synced.count() << " ms left " << in_kernel << " of " << n;
        (in_kernel == 0 ? seen_none : seen_all)++;
    }
    std::cerr << "kill -9 rounds: " << seen_none << " killed before the commit, " << seen_all << " after it\n";

    // Restart after the last kill: converges to the full state and serves.
    ASSERT_NO_FATAL_FAILURE(start_and_wait_healthy());
    EXPECT_EQ(bulk_in_kernel(), static_cast<size_t>(n));
    EXPECT_TRUE(normalized_ruleset() == expected_ruleset) << "the ruleset after kill -9 and restart differs";
    EXPECT_NE(ruleset().find("10.96.0.50"), std::string::npos);
    auto bulk = tally(lab_->http("client", "http://10.97.5.250/", 4));
    EXPECT_EQ(bulk["You've hit pod1"] + bulk["You've hit pod2"], 4) << show(bulk);
    auto answers = web_answers(4);
    EXPECT_EQ(answers["You've hit pod1"] + answers["You've hit pod2"], 4) << show(answers);
}

}  // namespace
}  // namespace svcnat::e2e
