// Builder + renderer against golden files: one scenario per feature. Set
// SVCNAT_UPDATE_GOLDEN=1 to rewrite the files after an intended change, then
// review the diff (and load them with tests/nft e2e) before committing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fixtures.hpp"
#include "nft/builder.hpp"
#include "nft/render.hpp"

namespace svcnat::nft {
namespace {

using namespace testing;

#ifndef SVCNAT_GOLDEN_DIR
#error "SVCNAT_GOLDEN_DIR must be defined by meson"
#endif

void expect_golden(const std::string& name, const std::string& text) {
    const std::string path = std::string(SVCNAT_GOLDEN_DIR) + "/" + name + ".nft";
    if (std::getenv("SVCNAT_UPDATE_GOLDEN")) {
        std::ofstream(path) << text;
        return;
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << "missing golden file " << path << " (run with SVCNAT_UPDATE_GOLDEN=1)";
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), text) << "golden " << path;
}

std::string render_v4(const ServiceState& st, const Settings& s) {
    auto rs = build_ruleset(st, s);
    return render_table(rs.tables.at(0));
}

const Chain& chain(const Ruleset& rs, const std::string& name, size_t table = 0) {
    return rs.tables.at(table).chains.at(name);
}

// A chain's rules, one per line.
std::string render_chain(IPFamily family, const Chain& c) {
    std::string out;
    for (const auto& r : c.rules) out += render_rule(family, r) + "\n";
    return out;
}

TEST(Builder, ClusterIPGolden) {
    auto st = state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080), ep("10.244.2.7", 8080)}),
                        service("dns", "10.96.0.53", 53, {ep("10.244.1.9", 53)}, Protocol::UDP)});
    expect_golden("clusterip", render_v4(st, test_settings()));
}

TEST(Builder, NoEndpointsRejectsAndUnknownPortRejects) {
    auto st = state_of({service("empty", "10.96.0.20", 80, {})});
    auto rs = build_ruleset(st, test_settings());
    const auto& t = rs.tables.at(0);
    EXPECT_TRUE(t.sets.at(names::kServiceIPs).elements.empty());
    ASSERT_EQ(t.sets.at(names::kNoEndpointServices).elements.size(), 1u);
    EXPECT_EQ(t.sets.at(names::kNoEndpointServices).elements.begin()->second.verdict.chain, names::kRejectChain);
    EXPECT_EQ(t.sets.at(names::kClusterIPs).elements.size(), 1u);
    expect_golden("no-endpoints", render_table(t));
}

TEST(Builder, TerminatingEndpointsUsedOnlyWhenNoneReady) {
    auto term = ep("10.244.1.6", 8080, false, false);
    term.serving = true;
    term.terminating = true;
    auto st = state_of({service("web", "10.96.0.10", 80, {term})});
    auto rs = build_ruleset(st, test_settings());
    EXPECT_EQ(rs.tables[0].sets.at(names::kEndpoints).elements.size(), 1u);
    st.ports[0].endpoints.push_back(ep("10.244.1.7", 8080));
    rs = build_ruleset(st, test_settings());
    const auto& eps = rs.tables[0].sets.at(names::kEndpoints).elements;
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_NE(render(rs).find("10.244.1.7 . 8080"), std::string::npos);
    EXPECT_EQ(render(rs).find("10.244.1.6 . 8080"), std::string::npos);
}

TEST(Builder, NodePortLoadBalancerExternalIPsGolden) {
    auto sp = service("lb", "10.96.0.30", 443, {ep("10.244.1.5", 8443, true), ep("10.244.2.5", 8443)});
    sp.type = ServiceType::LoadBalancer;
    sp.nodePort = 30443;
    sp.externalIPs = {ip("198.51.100.7")};
    sp.loadBalancerIPs = {ip("203.0.113.9")};
    sp.loadBalancerSourceRanges = {cidr("198.51.100.0/24"), cidr("192.0.2.128/25")};
    expect_golden("loadbalancer", render_v4(state_of({sp}), test_settings()));
}

TEST(Builder, ExternalTrafficPolicyLocalGolden) {
    auto sp = service("local", "10.96.0.40", 80, {ep("10.244.1.5", 8080, true), ep("10.244.2.5", 8080)});
    sp.type = ServiceType::LoadBalancer;
    sp.nodePort = 31080;
    sp.loadBalancerIPs = {ip("203.0.113.40")};
    sp.externalTrafficPolicy = TrafficPolicy::Local;
    auto none_local = service("nolocal", "10.96.0.41", 80, {ep("10.244.2.6", 8080)});
    none_local.type = ServiceType::NodePort;
    none_local.nodePort = 31081;
    none_local.externalTrafficPolicy = TrafficPolicy::Local;
    auto st = state_of({sp, none_local});
    auto rs = build_ruleset(st, test_settings());
    // No local endpoint: external traffic dropped (after the short-circuit).
    const auto& np = rs.tables[0].sets.at(names::kNoEndpointNodePorts).elements;
    ASSERT_EQ(np.size(), 1u);
    EXPECT_EQ(np.begin()->second.verdict.kind, VerdictKind::Drop);
    expect_golden("etp-local", render_table(rs.tables[0]));
}

TEST(Builder, InternalTrafficPolicyLocal) {
    auto sp = service("itp", "10.96.0.50", 80, {ep("10.244.1.5", 8080, true), ep("10.244.2.5", 8080)});
    sp.internalTrafficPolicy = TrafficPolicy::Local;
    auto rs = build_ruleset(state_of({sp}), test_settings());
    const auto& c = chain(rs, "service-default/itp/tcp/http");
    const auto text = render_rule(IPFamily::IPv4, c.rules.back());
    EXPECT_NE(text.find("10.244.1.5"), std::string::npos);
    EXPECT_EQ(text.find("10.244.2.5"), std::string::npos);
    sp.endpoints[0].is_local = false;
    rs = build_ruleset(state_of({sp}), test_settings());
    const auto& none = rs.tables[0].sets.at(names::kNoEndpointServices).elements;
    ASSERT_EQ(none.size(), 1u);
    EXPECT_EQ(none.begin()->second.verdict.kind, VerdictKind::Drop);
}

TEST(Builder, SourceRangeZeroAllowsEveryone) {
    auto sp = service("lb", "10.96.0.30", 443, {ep("10.244.1.5", 8443)});
    sp.loadBalancerIPs = {ip("203.0.113.9")};
    sp.loadBalancerSourceRanges = {cidr("0.0.0.0/0")};
    auto rs = build_ruleset(state_of({sp}), test_settings());
    const auto& fw = chain(rs, "fw-default/lb/tcp/http");
    ASSERT_EQ(fw.rules.size(), 3u);
    EXPECT_EQ(render_rule(IPFamily::IPv4, fw.rules[0]), "return");
    // The range holds the node's address: the LB address is a source too.
    EXPECT_EQ(render_rule(IPFamily::IPv4, fw.rules[1]), "ip saddr 203.0.113.9 return");
}

// kube-proxy's rules for loadBalancerSourceRanges: only ranges of the
// table's family count (none: no restriction); the LB addresses are allowed
// as sources when a range holds the node's address.
TEST(Builder, SourceRangesPerFamilyAndTheLoadBalancersOwnAddress) {
    auto sp = service("lb", "10.96.0.30", 443, {ep("10.244.1.5", 8443)});
    sp.loadBalancerIPs = {ip("203.0.113.9")};
    sp.loadBalancerSourceRanges = {cidr("2001:db8::/32")};
    auto rs = build_ruleset(state_of({sp}), test_settings());
    EXPECT_EQ(rs.tables[0].chains.count("fw-default/lb/tcp/http"), 0u) << "IPv6 ranges do not restrict IPv4 clients";
    EXPECT_TRUE(rs.tables[0].sets.at(names::kFirewallIPs).elements.empty());

    sp.loadBalancerSourceRanges = {cidr("198.51.100.0/24")};  // not the node's address (192.0.2.10)
    rs = build_ruleset(state_of({sp}), test_settings());
    auto text = render_chain(IPFamily::IPv4, chain(rs, "fw-default/lb/tcp/http"));
    EXPECT_EQ(text.find("203.0.113.9"), std::string::npos) << text;

    sp.loadBalancerSourceRanges = {cidr("198.51.100.0/24"), cidr("192.0.2.0/24")};
    rs = build_ruleset(state_of({sp}), test_settings());
    text = render_chain(IPFamily::IPv4, chain(rs, "fw-default/lb/tcp/http"));
    EXPECT_NE(text.find("ip saddr 203.0.113.9 return"), std::string::npos) << text;
}

// --masquerade-all marks traffic addressed to a ClusterIP. A pod reaching
// an eTP Local service's NodePort or LB address is short-circuited to the
// cluster path and keeps its source, as in kube-proxy.
TEST(Builder, MasqueradeAllMarksClusterIPTrafficOnlyOnOwnChains) {
    auto sp = service("local", "10.96.0.40", 80, {ep("10.244.1.5", 8080)});
    sp.nodePort = 31000;
    sp.loadBalancerIPs = {ip("203.0.113.40")};
    sp.externalTrafficPolicy = TrafficPolicy::Local;
    sp.endpoints[0].is_local = true;
    auto settings = test_settings();
    settings.masquerade_all = true;
    auto rs = build_ruleset(state_of({sp}), settings);
    const auto svc = render_chain(IPFamily::IPv4, chain(rs, "service-default/local/tcp/http"));
    EXPECT_NE(svc.find("ip daddr 10.96.0.40 jump mark-for-masquerade"), std::string::npos) << svc;
    EXPECT_EQ(svc.find("\njump mark-for-masquerade"), std::string::npos) << svc;
    EXPECT_NE(svc.rfind("jump mark-for-masquerade", 0), 0u) << "no unconditional mark: " << svc;
    const auto ext = render_chain(IPFamily::IPv4, chain(rs, "external-default/local/tcp/http"));
    EXPECT_NE(ext.find("ip saddr 10.244.0.0/16 goto service-default/local/tcp/http"), std::string::npos) << ext;
}

TEST(Builder, UnallocatedClusterIPsAreDroppedPerServiceCIDR) {
    auto st = state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080)})});
    st.service_cidrs.push_back(cidr("10.200.0.0/16"));
    auto rs = build_ruleset(st, test_settings());
    const auto v4 = render_chain(IPFamily::IPv4, chain(rs, "cluster-ips-check"));
    EXPECT_NE(v4.find("ip daddr @cluster-ips goto reject-chain"), std::string::npos) << v4;
    EXPECT_NE(v4.find("ip daddr 10.96.0.0/12 drop"), std::string::npos) << v4;
    EXPECT_NE(v4.find("ip daddr 10.200.0.0/16 drop"), std::string::npos) << v4;
    EXPECT_LT(v4.find("reject-chain"), v4.find("drop")) << "reject for allocated addresses comes first";
    const auto v6 = render_chain(IPFamily::IPv6, rs.tables[1].chains.at("cluster-ips-check"));
    EXPECT_NE(v6.find("ip6 daddr fd00:10:96::/112 drop"), std::string::npos) << v6;
    EXPECT_EQ(v6.find("10.96"), std::string::npos);
}

TEST(Builder, SessionAffinityGolden) {
    auto sp = service("sticky", "10.96.0.60", 80, {ep("10.244.1.5", 8080), ep("10.244.2.5", 8080)});
    sp.sessionAffinity = SessionAffinity::ClientIP;
    sp.sessionAffinityTimeout = 600;
    expect_golden("affinity", render_v4(state_of({sp}), test_settings()));
}

TEST(Builder, MasqueradeAllAndNoClusterCIDR) {
    auto st = state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080)})});
    auto s = test_settings();
    s.masquerade_all = true;
    s.masquerade_bit = 5;
    auto rs = build_ruleset(st, s);
    EXPECT_EQ(render_rule(IPFamily::IPv4, chain(rs, "cluster-1").rules.at(0)), "jump mark-for-masquerade");
    EXPECT_EQ(render_rule(IPFamily::IPv4, chain(rs, "mark-for-masquerade").rules.at(0)),
              "meta mark set meta mark | 0x00000020");
    s.masquerade_all = false;
    s.cluster_cidrs.clear();
    rs = build_ruleset(st, s);
    ASSERT_EQ(chain(rs, "cluster-1").rules.size(), 1u);  // no masquerade decision: DNAT only
    EXPECT_EQ(rs.tables[0].chains.count(names::kMasqueradeNonCluster), 0u);
}

TEST(Builder, NodePortAddressesVariants) {
    auto sp = service("np", "10.96.0.70", 80, {ep("10.244.1.5", 8080)});
    sp.nodePort = 30080;
    auto st = state_of({sp});
    auto s = test_settings();
    auto rs = build_ruleset(st, s);
    EXPECT_EQ(render_rule(IPFamily::IPv4, chain(rs, "services").rules.at(1)),
              "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports");
    s.nodeport_addresses.all_local = true;
    rs = build_ruleset(st, s);
    EXPECT_EQ(render_rule(IPFamily::IPv4, chain(rs, "services").rules.at(1)),
              "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports");
    s.nodeport_addresses.all_local = false;
    s.nodeport_addresses.cidrs = {cidr("192.0.2.0/24"), cidr("198.51.100.0/24"), cidr("2001:db8::/64")};
    rs = build_ruleset(st, s);
    ASSERT_EQ(chain(rs, "services").rules.size(), 3u);
    EXPECT_EQ(render_rule(IPFamily::IPv4, chain(rs, "services").rules.at(2)),
              "ip daddr 198.51.100.0/24 meta l4proto . th dport vmap @service-nodeports");
    ASSERT_EQ(chain(rs, "services", 1).rules.size(), 2u);
}

TEST(Builder, DualStackGolden) {
    auto sp = service("dual", "10.96.0.80", 80, {ep("10.244.1.5", 8080), ep("fd00:10:244::5", 8080)});
    sp.clusterIPs.push_back(ip("fd00:10:96::80"));
    auto s = test_settings();
    s.cluster_cidrs.push_back(cidr("fd00:10:244::/56"));
    auto st = state_of({sp});
    st.node.ips.push_back(ip("2001:db8::10"));
    auto rs = build_ruleset(st, s);
    expect_golden("dualstack-ip6", render_table(rs.tables.at(1)));
    EXPECT_EQ(rs.tables[1].sets.at(names::kEndpoints).elements.size(), 1u);
    EXPECT_EQ(rs.tables[0].sets.at(names::kEndpoints).elements.size(), 1u);
}

TEST(Builder, SetsAndBindingsDoNotGrowWithServices) {
    auto small = build_ruleset(many_services(10, 3), test_settings());
    auto big = build_ruleset(many_services(2000, 3), test_settings());
    EXPECT_EQ(small.tables[0].sets.size(), big.tables[0].sets.size());
    EXPECT_EQ(small.tables[0].chains.size(), big.tables[0].chains.size());
    EXPECT_EQ(big.tables[0].sets.at(names::kEndpoints).elements.size(), 6000u);
}

}  // namespace
}  // namespace svcnat::nft
