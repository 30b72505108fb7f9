// The /metrics body: kube-proxy's names and semantics, valid Prometheus text
// (checked by the strict parser here and by promtool when installed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "control/daemon/prometheus_text.hpp"
#include "control/daemon/sync_metrics.hpp"
#include "prometheus_parser.hpp"
#include "test_helpers.hpp"

namespace svcnat {
namespace {

using test::parse_prometheus_text;

SyncReport report(bool ok, bool full, double seconds, size_t svc_changes = 0, size_t ep_changes = 0) {
    SyncReport r;
    r.ok = ok;
    r.full = full;
    r.sent = true;
    r.seconds = seconds;
    r.messages = 12;
    r.bytes = 3456;
    r.service_changes = svc_changes;
    r.endpoint_changes = ep_changes;
    return r;
}

// Runs `promtool check metrics` (parse and lint). Returns "" when clean,
// "skip" when promtool is not installed, else its complaints. kube-proxy's
// own gauge kubeproxy_sync_proxy_rules_no_local_endpoints_total trips the
// "_total on a non-counter" lint; svcnat keeps kube-proxy's name on purpose,
// so that single finding is accepted and everything else is not.
std::string promtool_problems(const std::string& text) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) return "skip";
    char path[] = "/tmp/svcnat-metrics-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return "mkstemp failed";
    close(fd);
    std::ofstream(path) << text;
    const std::string out_path = std::string(path) + ".out";
    int rc = std::system(("promtool check metrics < " + std::string(path) + " > " + out_path + " 2>&1").c_str());
    std::ifstream in(out_path);
    std::string line, problems;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line.rfind("kubeproxy_sync_proxy_rules_no_local_endpoints_total non-counter metrics should not have "
                       "\"_total\" suffix",
                       0) == 0)
            continue;
        problems += line + "\n";
    }
    unlink(path);
    unlink(out_path.c_str());
    const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status != 0 && status != 3) problems += "promtool exit status " + std::to_string(status);  // 3: lint only
    return problems;
}

TEST(Histogram, BucketsAreLessOrEqualAndCumulative) {
    Histogram h({0.1, 1, 10});
    h.observe(0.1);  // on the bound: counts in le="0.1"
    h.observe(0.5);
    h.observe(20);
    auto c = h.cumulative_counts();
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c[0], 1u);
    EXPECT_EQ(c[1], 2u);
    EXPECT_EQ(c[2], 2u);
    EXPECT_EQ(c[3], 3u);
    EXPECT_DOUBLE_EQ(h.sum(), 20.6);
    EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
}

TEST(Histogram, KubeProxyBuckets) {
    auto b = Histogram::exponential_buckets(0.001, 2, 15);
    ASSERT_EQ(b.size(), 15u);
    EXPECT_DOUBLE_EQ(b.front(), 0.001);
    EXPECT_DOUBLE_EQ(b.back(), 16.384);
}

TEST(PrometheusWriter, FormatsValuesAndEscapesLabels) {
    EXPECT_EQ(format_sample_value(0.001), "0.001");
    EXPECT_EQ(format_sample_value(3), "3");
    EXPECT_EQ(format_sample_value(INFINITY), "+Inf");
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    PrometheusWriter w;
    w.gauge_by_label("x_info", "help", "v", {{"we\"ird", 1}});
    auto parsed = parse_prometheus_text(w.text());
    ASSERT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.value("x_info", {{"v", "we\"ird"}}), 1);
}

TEST(StrictParser, RejectsBrokenText) {
    // The parser must be able to fail, or the tests below prove nothing.
    EXPECT_NE(parse_prometheus_text("foo 1\n").error, "");  // no HELP/TYPE
    EXPECT_NE(parse_prometheus_text("# HELP a x\n# TYPE a counter\na 1\n").error, "");  // no _total
    EXPECT_NE(parse_prometheus_text("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
                  .error,
              "");  // not cumulative
    EXPECT_NE(parse_prometheus_text("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n").error,
              "");  // no +Inf
    EXPECT_NE(parse_prometheus_text("# HELP g x\n# TYPE g gauge\ng 1\ng 2\n").error, "");  // duplicate
    EXPECT_EQ(parse_prometheus_text("# HELP g x\n# TYPE g gauge\ng 1\n").error, "");
}

TEST(SyncMetrics, FreshDaemonExportsEveryFamily) {
    SyncMetrics m;
    const std::string text = m.render();
    auto parsed = parse_prometheus_text(text);
    ASSERT_EQ(parsed.error, "") << text;
    for (const char* name :
         {"kubeproxy_sync_proxy_rules_duration_seconds", "kubeproxy_sync_full_proxy_rules_duration_seconds",
          "kubeproxy_sync_partial_proxy_rules_duration_seconds", "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
          "kubeproxy_sync_proxy_rules_service_changes_total", "kubeproxy_sync_proxy_rules_endpoint_changes_total",
          "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
          "kubeproxy_sync_proxy_rules_no_local_endpoints_total", "svcnat_config_errors_total",
          "svcnat_config_last_load_success", "svcnat_services", "svcnat_service_ports", "svcnat_endpoints",
          "svcnat_sync_batch_messages", "svcnat_sync_batch_bytes"}) {
        EXPECT_TRUE(parsed.families.count(name)) << name;
    }
    EXPECT_EQ(parsed.families["kubeproxy_sync_proxy_rules_duration_seconds"].type, "histogram");
    EXPECT_EQ(parsed.families["kubeproxy_sync_proxy_rules_service_changes_total"].type, "counter");
    EXPECT_EQ(parsed.families["kubeproxy_sync_proxy_rules_no_local_endpoints_total"].type, "gauge");
    // 15 buckets + Inf, sum, count.
    EXPECT_EQ(parsed.families["kubeproxy_sync_proxy_rules_duration_seconds"].samples.size(), 18u);
    const std::string problems = promtool_problems(text);
    if (problems != "skip") {
        EXPECT_EQ(problems, "") << text;
    }
}

TEST(SyncMetrics, RecordsSyncsLoadsAndProgrammedState) {
    SyncMetrics m;
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

    const std::string text = m.render();
    auto p = parse_prometheus_text(text);
    ASSERT_EQ(p.error, "") << text;
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
    EXPECT_EQ(p.value("svcnat_sync_batch_messages"), 12);
    EXPECT_EQ(p.value("svcnat_sync_batch_bytes"), 3456);
    const std::string problems = promtool_problems(text);
    if (problems != "skip") {
        EXPECT_EQ(problems, "") << text;
    }
}

}  // namespace
}  // namespace svcnat
