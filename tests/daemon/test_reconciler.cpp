// The last-good-state rule, with a fake Syncer and scripted loads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/daemon/reconciler.hpp"
#include "fake_syncer.hpp"
#include "metrics_text.hpp"
#include "test_helpers.hpp"

namespace svcnat {
namespace {

using namespace std::chrono_literals;

StateResult good(std::vector<ResolvedServicePort> ports) {
    StateResult r;
    r.state.ports = std::move(ports);
    return r;
}

StateResult bad(const std::string& file, uint32_t line, const std::string& msg) {
    StateResult r;
    Diagnostic d;
    d.file = file;
    d.line = line;
    d.field = "spec.ports[0].port";
    d.message = msg;
    r.load.diagnostics.push_back(d);
    return r;
}

struct ReconcilerTest : ::testing::Test {
    std::shared_ptr<test::FakeKernel> kernel = std::make_shared<test::FakeKernel>();
    test::FakeSyncer syncer{kernel};
    DaemonStatus status{60s};
    StateResult next;
    Reconciler rec{syncer, [this](const Settings&) { return next; }, status};
    Settings settings;

    ResolvedServicePort web = test::service_port("default", "web", "http", 80);
    ResolvedServicePort db = test::service_port("default", "db", "", 5432);
};

// A loader that found nothing changed since the last valid load: that
// state is synced again (in full when asked: the kernel is still compared),
// even after a failed sync, and the status says the manifests are valid.
TEST_F(ReconcilerTest, UnchangedInputsSyncTheLastValidStateAgain) {
    next = good({db, web});
    ASSERT_EQ(rec.reconcile(settings, true, SyncReason::Startup), SyncOutcome::Ok);
    const SharedState first = rec.programmed();
    StateResult unchanged;
    unchanged.unchanged = true;
    next = unchanged;
    ASSERT_EQ(rec.reconcile(settings, true, SyncReason::Periodic), SyncOutcome::Ok);
    EXPECT_EQ(kernel->calls(), 2u);
    EXPECT_EQ(rec.programmed(), first);  // the same state object, not a new load
    EXPECT_EQ(kernel->snapshot()->ports.size(), 2u);

    next = good({web});
    kernel->fail_next = 1;
    EXPECT_EQ(rec.reconcile(settings, false, SyncReason::Change), SyncOutcome::SyncFailed);
    next = unchanged;  // the retry: the state that failed, not the one programmed before
    ASSERT_EQ(rec.reconcile(settings, true, SyncReason::Retry), SyncOutcome::Ok);
    EXPECT_EQ(kernel->snapshot()->ports.size(), 1u);
    EXPECT_TRUE(rec.config_errors().empty());
}

TEST_F(ReconcilerTest, UnchangedBeforeAnyValidLoadIsRejected) {
    next.unchanged = true;
    EXPECT_EQ(rec.reconcile(settings, true, SyncReason::Startup), SyncOutcome::LoadRejected);
    EXPECT_EQ(kernel->calls(), 0u);
    ASSERT_EQ(rec.config_errors().size(), 1u);
}

TEST_F(ReconcilerTest, InvalidEditKeepsTheLastGoodStateProgrammed) {
    next = good({db, web});
    ASSERT_EQ(rec.reconcile(settings, true, SyncReason::Startup), SyncOutcome::Ok);
    ASSERT_TRUE(kernel->snapshot());
    EXPECT_EQ(kernel->snapshot()->ports.size(), 2u);

    next = bad("/m/web.yaml", 9, "Invalid value: 0: must be between 1 and 65535, inclusive");
    EXPECT_EQ(rec.reconcile(settings, false, SyncReason::Change), SyncOutcome::LoadRejected);
    EXPECT_EQ(kernel->calls(), 1u);  // the kernel was not touched
    EXPECT_EQ(kernel->snapshot()->ports.size(), 2u);
    ASSERT_TRUE(rec.programmed());
    EXPECT_EQ(rec.programmed()->ports.size(), 2u);
    ASSERT_EQ(rec.config_errors().size(), 1u);
    EXPECT_EQ(rec.config_errors()[0].rfind("/m/web.yaml:9: spec.ports[0].port: Invalid value", 0), 0u)
        << rec.config_errors()[0];

    auto hz = nlohmann::json::parse(status.healthz(std::chrono::system_clock::now()).body);
    EXPECT_EQ(hz["svcnat"]["configOk"], false);
    EXPECT_EQ(hz["svcnat"]["configErrors"][0], rec.config_errors()[0]);
    auto m = test::MetricsText(status.metrics_text());
    if (const auto problems = test::promtool_problems(m.text()); problems != "skip") {
        EXPECT_EQ(problems, "");
    }
    EXPECT_EQ(m.value("svcnat_config_errors_total"), 1);
    EXPECT_EQ(m.value("svcnat_config_last_load_success"), 0);
    EXPECT_EQ(m.value("svcnat_service_ports"), 2);

    // Fixing the file resumes syncing and clears the errors.
    next = good({web});
    EXPECT_EQ(rec.reconcile(settings, false, SyncReason::Change), SyncOutcome::Ok);
    EXPECT_EQ(kernel->snapshot()->ports.size(), 1u);
    EXPECT_TRUE(rec.config_errors().empty());
    m = test::MetricsText(status.metrics_text());
    EXPECT_EQ(m.value("svcnat_config_last_load_success"), 1);
    EXPECT_EQ(m.value("svcnat_service_ports"), 1);
}

TEST_F(ReconcilerTest, FailedSyncLeavesTheCommittedStateAndIsReported) {
    next = good({web});
    ASSERT_EQ(rec.reconcile(settings, true, SyncReason::Startup), SyncOutcome::Ok);
    kernel->fail_next = 1;
    next = good({web, db});
    EXPECT_EQ(rec.reconcile(settings, false, SyncReason::Change), SyncOutcome::SyncFailed);
    EXPECT_EQ(kernel->snapshot()->ports.size(), 1u);
    EXPECT_EQ(rec.programmed()->ports.size(), 1u);
    EXPECT_EQ(status.healthz(std::chrono::system_clock::now()).status, 503);
    auto m = test::MetricsText(status.metrics_text());
    EXPECT_EQ(m.value("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 1);
    EXPECT_EQ(rec.reconcile(settings, true, SyncReason::Retry), SyncOutcome::Ok);
    EXPECT_EQ(kernel->snapshot()->ports.size(), 2u);
    EXPECT_EQ(status.healthz(std::chrono::system_clock::now()).status, 200);
}

TEST_F(ReconcilerTest, LoaderExceptionsAreRejectionsNotCrashes) {
    Reconciler throwing(syncer, [](const Settings&) -> StateResult { throw std::runtime_error("boom"); }, status);
    EXPECT_EQ(throwing.reconcile(settings, true, SyncReason::Startup), SyncOutcome::LoadRejected);
    EXPECT_EQ(kernel->calls(), 0u);
    ASSERT_EQ(throwing.config_errors().size(), 1u);
    EXPECT_NE(throwing.config_errors()[0].find("boom"), std::string::npos);
}

TEST(StateDiff, NamesAddedRemovedAndChangedPorts) {
    ServiceState a, b;
    auto web = test::service_port("default", "web", "http", 80);
    auto db = test::service_port("default", "db", "", 5432);
    auto api = test::service_port("default", "api", "", 8080);
    a.ports = {db, web};
    auto web2 = web;
    web2.endpoints = {test::endpoint("10.244.0.5", true)};
    b.ports = {api, web2};
    auto d = diff_states(a, b);
    EXPECT_EQ(d.added, std::vector<std::string>{"default/api/TCP"});
    EXPECT_EQ(d.removed, std::vector<std::string>{"default/db/TCP"});
    EXPECT_EQ(d.changed, std::vector<std::string>{"default/web:http/TCP"});
    EXPECT_EQ(describe_diff(d),
              "added 1: default/api/TCP; removed 1: default/db/TCP; changed 1: default/web:http/TCP");
    EXPECT_EQ(describe_diff(diff_states(a, a)), "no service port changes");
}

}  // namespace
}  // namespace svcnat
