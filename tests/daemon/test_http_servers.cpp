// Health-check node ports and the status servers, over real sockets on
// 127.0.0.1 (no root needed).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "control/daemon/health_check_servers.hpp"
#include "control/daemon/status_servers.hpp"
#include "metrics_text.hpp"
#include "test_helpers.hpp"

namespace svcnat {
namespace {

using namespace std::chrono_literals;

// A port free right now (bound then released); good enough on a test host.
using test::free_tcp_port;

httplib::Result get(uint16_t port, const std::string& path) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(2);
    c.set_read_timeout(2);
    return c.Get(path);
}

ResolvedServicePort lb_local(const std::string& name, const std::string& port_name, uint16_t hc_port) {
    auto sp = test::service_port("default", name, port_name, 80, ServiceType::LoadBalancer);
    sp.nodePort = 30080;
    sp.externalTrafficPolicy = TrafficPolicy::Local;
    sp.healthCheckNodePort = hc_port;
    return sp;
}

TEST(HealthCheckServices, OnlyLoadBalancersWithLocalPolicyCountingDistinctReadyLocalIPs) {
    ServiceState st;
    auto http = lb_local("web", "http", 32000);
    http.endpoints = {test::endpoint("10.244.0.5", true), test::endpoint("10.244.0.6", true, false),
                      test::endpoint("10.244.1.5", false)};
    auto https = lb_local("web", "https", 32000);
    https.endpoints = {test::endpoint("10.244.0.5", true, true, 8443)};  // same pod, other port
    auto cluster = lb_local("api", "", 32001);
    cluster.externalTrafficPolicy = TrafficPolicy::Cluster;
    auto empty = lb_local("db", "", 32002);
    st.ports = {cluster, empty, http, https};
    auto hcs = health_check_services(st);
    ASSERT_EQ(hcs.size(), 2u);
    EXPECT_EQ(hcs[0], (HealthCheckService{"default", "web", 32000, 1}));
    EXPECT_EQ(hcs[1], (HealthCheckService{"default", "db", 32002, 0}));
}

TEST(HealthCheckServers, AnswerLikeKubeProxyAndFollowServices) {
    std::atomic<bool> proxy_healthy{true};
    HealthCheckServers servers("127.0.0.1", [&] { return proxy_healthy.load(); });
    const uint16_t p1 = free_tcp_port(), p2 = free_tcp_port();
    ASSERT_NE(p1, p2);
    EXPECT_TRUE(servers.update({{"default", "web", p1, 2}, {"shop", "cart", p2, 0}}).empty());
    EXPECT_EQ(servers.open_ports().size(), 2u);

    auto r = get(p1, "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(r->get_header_value("X-Load-Balancing-Endpoint-Weight"), "2");
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["service"]["namespace"], "default");
    EXPECT_EQ(j["service"]["name"], "web");
    EXPECT_EQ(j["localEndpoints"], 2);
    EXPECT_EQ(j["serviceProxyHealthy"], true);

    r = get(p2, "/anything");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(nlohmann::json::parse(r->body)["localEndpoints"], 0);

    // An unhealthy proxy fails the check even with local endpoints.
    proxy_healthy = false;
    r = get(p1, "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(nlohmann::json::parse(r->body)["serviceProxyHealthy"], false);
    proxy_healthy = true;

    // Counts change without reopening; a removed service closes its port.
    EXPECT_TRUE(servers.update({{"shop", "cart", p2, 1}}).empty());
    EXPECT_EQ(servers.open_ports(), std::vector<uint16_t>{p2});
    r = get(p2, "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(get(p1, "/"));  // connection refused

    servers.update({});
    EXPECT_TRUE(servers.open_ports().empty());
    EXPECT_FALSE(get(p2, "/"));
}

TEST(HealthCheckServers, PortInUseIsReportedAndOthersStillOpen) {
    HealthCheckServers a("127.0.0.1", nullptr), b("127.0.0.1", nullptr);
    const uint16_t p1 = free_tcp_port(), p2 = free_tcp_port();
    ASSERT_TRUE(a.update({{"default", "web", p1, 1}}).empty());
    auto errors = b.update({{"default", "web", p1, 1}, {"default", "db", p2, 1}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find(std::to_string(p1)), std::string::npos) << errors[0];
    EXPECT_EQ(b.open_ports(), std::vector<uint16_t>{p2});
}

TEST(StatusServers, ServeHealthzLivezAndMetrics) {
    DaemonStatus status(60s);
    StatusServers servers(status);
    servers.start("127.0.0.1:0", "127.0.0.1:0");
    auto ports = servers.ports();
    ASSERT_EQ(ports.size(), 2u);
    SyncReport ok;
    ok.ok = true;
    status.synced(ok, nullptr, std::chrono::system_clock::now());

    auto r = get(ports[0], "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto j = nlohmann::json::parse(r->body);
    EXPECT_TRUE(j.contains("lastUpdated"));
    EXPECT_TRUE(j.contains("currentTime"));
    EXPECT_EQ(j["nodeEligible"], true);
    r = get(ports[0], "/livez");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(get(ports[0], "/metrics")->status, 404);  // metrics only on their own address

    r = get(ports[1], "/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const test::MetricsText parsed(r->body);
    const auto problems = test::promtool_problems(r->body);
    if (problems != "skip") {
        EXPECT_EQ(problems, "");
    }
    EXPECT_EQ(parsed.value("kubeproxy_sync_proxy_rules_duration_seconds_count"), 1);

    // A failed sync turns /healthz to 503 at once.
    SyncReport bad;
    bad.errors = {{"", "Operation not permitted"}};
    status.synced(bad, nullptr, std::chrono::system_clock::now());
    r = get(ports[0], "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    servers.stop();
    EXPECT_FALSE(get(ports[0], "/healthz"));
}

TEST(StatusServers, SameAddressServesAllThreeAndBadAddressesThrow) {
    DaemonStatus status(60s);
    const uint16_t p = free_tcp_port();
    const std::string addr = "127.0.0.1:" + std::to_string(p);
    StatusServers servers(status);
    servers.start(addr, addr);
    EXPECT_EQ(servers.ports().size(), 1u);
    EXPECT_EQ(get(p, "/metrics")->status, 200);
    EXPECT_EQ(get(p, "/healthz")->status, 200);
    StatusServers clash(status);
    EXPECT_THROW(clash.start(addr, ""), std::runtime_error);  // no SO_REUSEPORT sharing
    StatusServers bad(status);
    EXPECT_THROW(bad.start("nonsense", ""), std::runtime_error);
}

TEST(BindAddress, Parsing) {
    auto a = parse_bind_address("0.0.0.0:10256");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "0.0.0.0");
    EXPECT_EQ(a->port, 10256);
    a = parse_bind_address("[::1]:10249");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "::1");
    a = parse_bind_address(":10249");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "0.0.0.0");
    EXPECT_FALSE(parse_bind_address("::1:10249"));
    EXPECT_FALSE(parse_bind_address("127.0.0.1"));
    EXPECT_FALSE(parse_bind_address("127.0.0.1:70000"));
    EXPECT_FALSE(parse_bind_address("127.0.0.1:"));
}

}  // namespace
}  // namespace svcnat
