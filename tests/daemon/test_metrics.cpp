// The /metrics body: kube-proxy's names and semantics, serialised by
// prometheus-cpp and checked by promtool.
#include <gtest/gtest.h>

#include <cmath>

#include "control/daemon/sync_metrics.hpp"
#include "metrics_text.hpp"
#include "test_helpers.hpp"

namespace svcnat {
namespace {

using test::MetricsText;
using test::promtool_problems;

SyncReport report(bool ok, bool full, double seconds, size_t svc_changes = 0, size_t ep_changes = 0) {
    SyncReport r;
    r.ok = ok;
    r.full = full;
    r.sent = true;
    r.seconds = seconds;
    r.service_changes = svc_changes;
    r.endpoint_changes = ep_changes;
    return r;
}

TEST(Promtool, RejectsBrokenText) {
    // The check must be able to fail, or the tests below prove nothing.
    const std::string broken = promtool_problems("# TYPE a counter\na{ 1\n");
    if (broken == "skip") GTEST_SKIP() << "promtool not installed";
    EXPECT_NE(broken, "");
    EXPECT_NE(promtool_problems("# HELP c x\n# TYPE c counter\nc 1\n"), "");  // lint: a counter without _total
    EXPECT_EQ(promtool_problems("# HELP g x\n# TYPE g gauge\ng 1\n"), "");
}

TEST(SyncMetrics, FreshDaemonExportsEveryFamily) {
    prometheus::Registry registry;
    SyncMetrics m(registry);
    const std::string text = metrics_text(registry);
    const MetricsText parsed(text);
    for (const char* name :
         {"kubeproxy_sync_proxy_rules_duration_seconds", "kubeproxy_sync_full_proxy_rules_duration_seconds",
          "kubeproxy_sync_partial_proxy_rules_duration_seconds", "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
          "kubeproxy_sync_proxy_rules_service_changes_total", "kubeproxy_sync_proxy_rules_endpoint_changes_total",
          "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
          "kubeproxy_sync_proxy_rules_no_local_endpoints_total", "svcnat_config_errors_total",
          "svcnat_config_last_load_success", "svcnat_services", "svcnat_service_ports", "svcnat_endpoints"}) {
        EXPECT_NE(parsed.type(name), "") << name;
    }
    EXPECT_EQ(parsed.type("kubeproxy_sync_proxy_rules_duration_seconds"), "histogram");
    EXPECT_EQ(parsed.type("kubeproxy_sync_proxy_rules_service_changes_total"), "counter");
    EXPECT_EQ(parsed.type("kubeproxy_sync_proxy_rules_no_local_endpoints_total"), "gauge");
    // 15 buckets + Inf, sum, count.
    EXPECT_EQ(parsed.samples("kubeproxy_sync_proxy_rules_duration_seconds"), 18u);
    EXPECT_EQ(parsed.value("kubeproxy_sync_proxy_rules_duration_seconds_bucket", {{"le", "16.384"}}), 0);
    const std::string problems = promtool_problems(text);
    if (problems != "skip") {
        EXPECT_EQ(problems, "") << text;
    }
}

TEST(SyncMetrics, RecordsSyncsLoadsAndProgrammedState) {
    prometheus::Registry registry;
    SyncMetrics m(registry);
    ServiceState st;
    auto web = test::service_port("default", "web", "http", 80, ServiceType::LoadBalancer);
    web.nodePort = 30080;
    web.externalTrafficPolicy = TrafficPolicy::Local;
    web.endpoints = {test::endpoint("10.244.1.5", false)};  // remote only: no local endpoint
    auto web2 = test::service_port("default", "web", "https", 443);
    web2.internalTrafficPolicy = TrafficPolicy::Local;
    web2.endpoints = {test::endpoint("10.244.0.5", true), test::endpoint("10.244.1.5", false)};
    auto db = test::service_port("db", "pg", "", 5432);
    db.internalTrafficPolicy = TrafficPolicy::Local;
    db.endpoints = {test::endpoint("10.244.1.9", false)};
    st.ports = {web, web2, db};
    const auto counts = count_programmed(st);
    EXPECT_EQ(counts.services, 2u);
    EXPECT_EQ(counts.service_ports, 3u);
    EXPECT_EQ(counts.endpoints, 4u);
    EXPECT_EQ(counts.no_local_external, 1u);
    EXPECT_EQ(counts.no_local_internal, 1u);

    m.record_config_load(true, 0);
    m.record_sync(report(true, true, 0.003, 3, 4), &counts, 1700000000.5);
    m.record_sync(report(true, false, 0.0004, 1, 2), &counts, 1700000001.25);
    m.record_sync(report(false, true, 0.02), nullptr, 1700000002);
    m.record_config_load(false, 2);

    const std::string text = metrics_text(registry);
    const MetricsText p(text);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_duration_seconds_count"), 3);
    EXPECT_EQ(p.value("kubeproxy_sync_full_proxy_rules_duration_seconds_count"), 2);
    EXPECT_EQ(p.value("kubeproxy_sync_partial_proxy_rules_duration_seconds_count"), 1);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_duration_seconds_bucket", {{"le", "0.001"}}), 1);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_duration_seconds_bucket", {{"le", "0.004"}}), 2);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_duration_seconds_bucket", {{"le", "+Inf"}}), 3);
    EXPECT_NEAR(p.value("kubeproxy_sync_proxy_rules_duration_seconds_sum"), 0.0234, 1e-12);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_last_timestamp_seconds"), 1700000001.25);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_service_changes_total"), 4);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_endpoint_changes_total"), 6);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 1);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_no_local_endpoints_total", {{"traffic_policy", "external"}}), 1);
    EXPECT_EQ(p.value("kubeproxy_sync_proxy_rules_no_local_endpoints_total", {{"traffic_policy", "internal"}}), 1);
    EXPECT_EQ(p.value("svcnat_config_errors_total"), 1);
    EXPECT_EQ(p.value("svcnat_config_last_load_success"), 0);
    EXPECT_EQ(p.value("svcnat_config_last_load_errors"), 2);
    EXPECT_EQ(p.value("svcnat_services"), 2);
    EXPECT_EQ(p.value("svcnat_service_ports"), 3);
    EXPECT_EQ(p.value("svcnat_endpoints"), 4);
    const std::string problems = promtool_problems(text);
    if (problems != "skip") {
        EXPECT_EQ(problems, "") << text;
    }
}

}  // namespace
}  // namespace svcnat
