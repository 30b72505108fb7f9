// Service snapshot built from the resolved model: which VIPs are served,
// which endpoints become backends, deterministic Maglev selection,
// ClientIP affinity, and what is skipped with a warning.
#include <gtest/gtest.h>

#include <map>
#include <cstring>
#include <random>
#include <set>

#include "dpdk/core/service_table.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::raw16;
using test::raw32;

IPAddr ip(const char* s) { return *IPAddr::parse(s); }

ResolvedEndpoint ep(const char* addr, uint16_t port, bool ready = true, bool terminating = false) {
    ResolvedEndpoint e;
    e.ip = ip(addr);
    e.port = port;
    e.ready = ready;
    e.serving = ready || terminating;
    e.terminating = terminating;
    return e;
}

ResolvedServicePort lb_port(const char* name, const char* vip, uint16_t port, int n_endpoints) {
    ResolvedServicePort sp;
    sp.ns = "default";
    sp.name = name;
    sp.type = ServiceType::LoadBalancer;
    sp.port = port;
    sp.clusterIPs = {ip("10.96.0.10")};
    sp.loadBalancerIPs = {ip(vip)};
    for (int i = 0; i < n_endpoints; ++i) {
        const std::string a = "10.244.0." + std::to_string(i + 1);
        sp.endpoints.push_back(ep(a.c_str(), 8080));
    }
    return sp;
}

FlowKey4 client(uint32_t i, const char* vip, uint16_t port, uint8_t proto = kProtoTcp) {
    uint32_t v;
    std::memcpy(&v, ip(vip).bytes.data(), 4);
    return make_flow_key4(raw32(0xc6336400 + i % 250), v, raw16(static_cast<uint16_t>(1024 + i)), raw16(port),
                          proto);
}

ServiceKey4 key(const char* vip, uint16_t port, uint8_t proto = kProtoTcp) {
    uint32_t v;
    std::memcpy(&v, ip(vip).bytes.data(), 4);
    return make_service_key(v, raw16(port), proto);
}

TEST(ServiceSnapshot, ServesLoadBalancerAndExternalIpsOnly) {
    ServiceState st;
    auto web = lb_port("web", "203.0.113.10", 80, 3);
    web.externalIPs = {ip("198.51.100.7")};
    st.ports.push_back(web);
    ResolvedServicePort internal = lb_port("internal", "203.0.113.99", 80, 2);
    internal.type = ServiceType::ClusterIP;
    internal.loadBalancerIPs.clear();  // ClusterIP only: not the gateway's business
    st.ports.push_back(internal);

    const auto snap = ServiceSnapshot::build(st);
    EXPECT_EQ(snap->vip_count(), 2u);
    ASSERT_EQ(snap->services<Ip4>().size(), 1u);
    const ServiceBackends4* a = snap->find(key("203.0.113.10", 80));
    const ServiceBackends4* b = snap->find(key("198.51.100.7", 80));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, b) << "VIPs of one service port share one backend set and Maglev table";
    EXPECT_EQ(a->name, "default/web");
    EXPECT_EQ(a->backends.size(), 3u);
    EXPECT_EQ(a->backends[0].ip, raw32(0x0af40001));
    EXPECT_EQ(a->backends[0].port, raw16(8080));
    EXPECT_EQ(a->backends[0].id, "10.244.0.1:8080");
    EXPECT_EQ(snap->find(key("203.0.113.10", 81)), nullptr);
    EXPECT_EQ(snap->find(key("203.0.113.10", 80, kProtoUdp)), nullptr);
    EXPECT_EQ(snap->find(key("10.96.0.10", 80)), nullptr);
}

TEST(ServiceSnapshot, UsableEndpointsFollowKubeProxyRule) {
    ServiceState st;
    auto sp = lb_port("web", "203.0.113.10", 80, 0);
    sp.endpoints = {ep("10.244.0.1", 80), ep("10.244.0.2", 80, false, true), ep("10.244.0.3", 80, false)};
    st.ports.push_back(sp);
    auto snap = ServiceSnapshot::build(st);
    const auto* s = snap->find(key("203.0.113.10", 80));
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->backends.size(), 1u) << "ready endpoints only while any is ready";
    EXPECT_EQ(s->backends[0].id, "10.244.0.1:80");

    // None ready: fall back to serving+terminating ones.
    st.ports[0].endpoints[0].ready = false;
    st.ports[0].endpoints[0].serving = false;
    snap = ServiceSnapshot::build(st);
    s = snap->find(key("203.0.113.10", 80));
    ASSERT_EQ(s->backends.size(), 1u);
    EXPECT_EQ(s->backends[0].id, "10.244.0.2:80");

    // None usable: the VIP is still known (NoBackend, not NoService).
    st.ports[0].endpoints = {ep("10.244.0.3", 80, false)};
    snap = ServiceSnapshot::build(st);
    s = snap->find(key("203.0.113.10", 80));
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->backends.empty());
    EXPECT_EQ(s->select(client(1, "203.0.113.10", 80)), nullptr);
}

TEST(ServiceSnapshot, SelectionIsDeterministicAndBalanced) {
    ServiceState st;
    st.ports.push_back(lb_port("web", "203.0.113.10", 443, 8));
    const auto s1 = ServiceSnapshot::build(st);
    const auto s2 = ServiceSnapshot::build(st);  // "another gateway"
    const auto* a = s1->find(key("203.0.113.10", 443));
    const auto* b = s2->find(key("203.0.113.10", 443));
    std::map<std::string, int> hits;
    const int flows = 80000;
    for (uint32_t i = 0; i < flows; ++i) {
        const auto k = client(i, "203.0.113.10", 443);
        const Backend4* x = a->select(k);
        ASSERT_NE(x, nullptr);
        ASSERT_EQ(x->id, b->select(k)->id);
        ++hits[x->id];
    }
    ASSERT_EQ(hits.size(), 8u);
    for (auto& [id, n] : hits) EXPECT_NEAR(n, flows / 8.0, 0.05 * flows / 8.0) << id;
}

TEST(ServiceSnapshot, RemovingAnEndpointKeepsOtherFlowsInPlace) {
    ServiceState st;
    st.ports.push_back(lb_port("web", "203.0.113.10", 80, 10));
    const auto before = ServiceSnapshot::build(st);
    st.ports[0].endpoints.erase(st.ports[0].endpoints.begin() + 4);
    const auto after = ServiceSnapshot::build(st);
    const auto* a = before->find(key("203.0.113.10", 80));
    const auto* b = after->find(key("203.0.113.10", 80));
    int moved_needlessly = 0, total = 0;
    for (uint32_t i = 0; i < 50000; ++i) {
        const auto k = client(i, "203.0.113.10", 80);
        const auto& was = a->select(k)->id;
        if (was == "10.244.0.5:8080") continue;
        ++total;
        if (b->select(k)->id != was) ++moved_needlessly;
    }
    EXPECT_LT(moved_needlessly, total / 100) << "Maglev keeps ≥ 99% of surviving flows in place";
}

TEST(ServiceSnapshot, ClientIpAffinityPinsAllPortsOfAClient) {
    ServiceState st;
    auto sp = lb_port("sticky", "203.0.113.20", 80, 6);
    sp.sessionAffinity = SessionAffinity::ClientIP;
    st.ports.push_back(sp);
    const auto snap = ServiceSnapshot::build(st);
    const auto* s = snap->find(key("203.0.113.20", 80));
    ASSERT_TRUE(s->client_ip_affinity);
    std::map<uint32_t, std::string> chosen;
    std::set<std::string> distinct;
    for (uint32_t i = 0; i < 5000; ++i) {
        const auto k = client(i, "203.0.113.20", 80);  // 250 clients, many ports each
        const auto& id = s->select(k)->id;
        auto [it, fresh] = chosen.emplace(k.src_ip, id);
        EXPECT_EQ(it->second, id) << "client changed backend";
        distinct.insert(id);
    }
    EXPECT_EQ(distinct.size(), 6u) << "clients still spread over all backends";
}

TEST(ServiceSnapshot, SkipsWhatTheGatewayCannotServeWithWarnings) {
    ServiceState st;
    auto sctp = lb_port("sctp", "203.0.113.30", 9000, 1);
    sctp.protocol = Protocol::SCTP;
    auto v6 = lb_port("v6", "2001:db8::10", 80, 1);
    auto mixed = lb_port("mixed", "203.0.113.40", 80, 1);
    mixed.endpoints.push_back(ep("fd00::5", 80));
    auto first = lb_port("first", "203.0.113.50", 80, 1);
    auto clash = lb_port("clash", "203.0.113.50", 80, 2);
    st.ports = {sctp, v6, mixed, first, clash};
    std::vector<std::string> warnings;
    const auto snap = ServiceSnapshot::build(st, {}, &warnings);
    EXPECT_EQ(snap->find(key("203.0.113.30", 9000)), nullptr);
    ASSERT_NE(snap->find(key("203.0.113.40", 80)), nullptr);
    EXPECT_EQ(snap->find(key("203.0.113.40", 80))->backends.size(), 1u);
    EXPECT_EQ(snap->find(key("203.0.113.50", 80))->name, "default/first");
    // The IPv6 VIP is served, but only by IPv6 endpoints: it has none. The
    // IPv6 endpoint of "mixed" serves its IPv6 VIPs (it has none), never
    // its IPv4 one.
    EXPECT_EQ(snap->vip_count(), 3u);
    ASSERT_EQ(warnings.size(), 3u);
    EXPECT_NE(warnings[0].find("SCTP"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[1].find("default/v6: no IPv6 endpoint"), std::string::npos) << warnings[1];
    EXPECT_NE(warnings[2].find("default/clash"), std::string::npos) << warnings[2];
}

TEST(ServiceSnapshot, HasBackendAfterSwapAndDuplicatesMerged) {
    ServiceState st;
    auto sp = lb_port("dns", "203.0.113.53", 53, 0);
    sp.protocol = Protocol::UDP;
    // Unsorted on purpose, with a duplicate and addresses whose byte order
    // differs from their host-order order (10.244.1.2 vs 10.244.2.1).
    sp.endpoints = {ep("10.244.2.1", 53), ep("10.244.1.2", 53), ep("10.244.1.2", 53), ep("10.244.1.2", 5353)};
    st.ports.push_back(sp);
    const auto old_snap = ServiceSnapshot::build(st);
    const auto* s = old_snap->find(key("203.0.113.53", 53, kProtoUdp));
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->backends.size(), 3u);
    EXPECT_EQ(s->backends[0].id, "10.244.1.2:53");
    EXPECT_EQ(s->backends[1].id, "10.244.1.2:5353");
    EXPECT_EQ(s->backends[2].id, "10.244.2.1:53");
    for (const auto& b : s->backends) EXPECT_TRUE(s->has_backend(b.ip, b.port)) << b.id;
    EXPECT_FALSE(s->has_backend(raw32(0x0af40102), raw16(54)));
    EXPECT_FALSE(s->has_backend(raw32(0x0af40103), raw16(53)));

    // The endpoint 10.244.2.1 goes away: a flow pinned to it is detected.
    const Backend4 gone = s->backends[2];
    st.ports[0].endpoints.erase(st.ports[0].endpoints.begin());
    const auto new_snap = ServiceSnapshot::build(st);
    const auto* n = new_snap->find(key("203.0.113.53", 53, kProtoUdp));
    EXPECT_FALSE(n->has_backend(gone.ip, gone.port));
    EXPECT_TRUE(n->has_backend(s->backends[0].ip, s->backends[0].port));
}

TEST(ServiceSnapshot, LoadBalancerSourceRangesFilterLbIpsOnly) {
    ServiceState st;
    auto sp = lb_port("office", "203.0.113.10", 443, 2);
    sp.externalIPs = {ip("198.51.100.7")};
    sp.loadBalancerSourceRanges = {*CIDR::parse("192.0.2.0/25"), *CIDR::parse("198.51.100.200/32"),
                                   *CIDR::parse("2001:db8::/32")};
    st.ports.push_back(sp);
    st.ports.push_back(lb_port("open", "203.0.113.11", 443, 1));
    const auto snap = ServiceSnapshot::build(st);
    const auto lb = key("203.0.113.10", 443);
    EXPECT_EQ(snap->find(lb)->source_ranges.size(), 2u) << "IPv6 ranges do not apply to IPv4 clients";
    EXPECT_TRUE(snap->source_allowed(lb, raw32(0xc0000201)));    // 192.0.2.1
    EXPECT_TRUE(snap->source_allowed(lb, raw32(0xc000027f)));    // 192.0.2.127
    EXPECT_FALSE(snap->source_allowed(lb, raw32(0xc0000280)));   // 192.0.2.128
    EXPECT_TRUE(snap->source_allowed(lb, raw32(0xc63364c8)));    // 198.51.100.200
    EXPECT_FALSE(snap->source_allowed(lb, raw32(0xc63364c9)));   // 198.51.100.201
    EXPECT_FALSE(snap->source_allowed(lb, raw32(0x0a000001)));
    // externalIPs are not filtered (kube-proxy), nor services without ranges.
    EXPECT_TRUE(snap->source_allowed(key("198.51.100.7", 443), raw32(0x0a000001)));
    EXPECT_TRUE(snap->source_allowed(key("203.0.113.11", 443), raw32(0x0a000001)));
    EXPECT_TRUE(snap->source_allowed(key("203.0.113.99", 443), raw32(0x0a000001))) << "unknown VIP";

    // Only IPv6 ranges: IPv4 clients are unrestricted.
    st.ports[0].loadBalancerSourceRanges = {*CIDR::parse("2001:db8::/32")};
    EXPECT_TRUE(ServiceSnapshot::build(st)->source_allowed(lb, raw32(0x0a000001)));
    // 0.0.0.0/0 allows everyone.
    st.ports[0].loadBalancerSourceRanges = {*CIDR::parse("0.0.0.0/0")};
    EXPECT_TRUE(ServiceSnapshot::build(st)->source_allowed(lb, raw32(0x0a000001)));
}

TEST(ServiceSnapshot, AllowlistAndTableSize) {
    ServiceState st;
    auto sp = lb_port("web", "203.0.113.10", 80, 2);
    sp.externalIPs = {ip("198.51.100.7")};
    st.ports.push_back(sp);
    SnapshotOptions o;
    o.vip_allowlist = {ip("198.51.100.7")};
    o.maglev_table_size = 251;
    const auto snap = ServiceSnapshot::build(st, o);
    EXPECT_EQ(snap->find(key("203.0.113.10", 80)), nullptr);
    ASSERT_NE(snap->find(key("198.51.100.7", 80)), nullptr);
    EXPECT_EQ(snap->find(key("198.51.100.7", 80))->maglev.size(), 251u);
    o.maglev_table_size = 250;
    EXPECT_THROW(ServiceSnapshot::build(st, o), std::invalid_argument);
}

}  // namespace
}  // namespace svcnat::dpdk
