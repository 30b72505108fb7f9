#include "control/model/allocate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "builders.hpp"

namespace svcnat {
namespace {

using namespace test;

AllocationOptions options(std::vector<const char*> cidrs = {"10.96.0.0/12"}, uint16_t first = 30000,
                          uint16_t last = 32767) {
    AllocationOptions o;
    for (auto* c : cidrs) o.service_cidrs.push_back(*CIDR::parse(c));
    o.node_port_first = first;
    o.node_port_last = last;
    return o;
}

Service svc(const std::string& ns, const std::string& name, ServiceType type = ServiceType::ClusterIP,
            std::vector<ServicePort> ports = {port(80, 8080)}) {
    Service s = service(name, {{"app", name}}, std::move(ports), nullptr);
    s.meta.ns = ns;
    s.type = type;
    return s;
}

const Service& find(const Manifests& m, const std::string& name) {
    return *std::find_if(m.services.begin(), m.services.end(), [&](const Service& s) { return s.meta.name == name; });
}

Manifests sample() {
    Manifests m;
    m.services.push_back(svc("default", "kubia"));
    m.services.push_back(svc("default", "kubia-nodeport", ServiceType::NodePort));
    auto lb = svc("default", "kubia-loadbalancer", ServiceType::LoadBalancer,
                  {port(80, 8080, "http"), port(443, 8443, "https")});
    lb.externalTrafficPolicy = TrafficPolicy::Local;
    m.services.push_back(lb);
    m.services.push_back(svc("kube-system", "kube-dns", ServiceType::ClusterIP,
                             {port(53, 53, "dns", Protocol::UDP), port(53, 53, "dns-tcp", Protocol::TCP)}));
    m.services.push_back(svc("default", "kubernetes"));
    return m;
}

TEST(Allocate, FillsClusterIPsNodePortsAndHealthCheckPort) {
    Manifests m = sample();
    std::vector<Diagnostic> diags;
    allocate(m, options(), diags);
    ASSERT_TRUE(diags.empty()) << diags[0].str();
    auto cidr = *CIDR::parse("10.96.0.0/12");
    std::set<IPAddr> seen;
    for (const auto& s : m.services) {
        ASSERT_EQ(s.clusterIPs.size(), 1u) << s.meta.name;
        EXPECT_TRUE(cidr.contains(s.clusterIPs[0]));
        EXPECT_NE(s.clusterIPs[0], cidr.addr);
        EXPECT_TRUE(seen.insert(s.clusterIPs[0]).second) << "duplicate " << s.clusterIPs[0].str();
        EXPECT_EQ(s.ipFamilies, std::vector<IPFamily>{IPFamily::IPv4});
    }
    // The API server's convention: the first host address is `kubernetes`'.
    EXPECT_EQ(find(m, "kubernetes").clusterIPs[0].str(), "10.96.0.1");
    EXPECT_EQ(find(m, "kubia").ports[0].nodePort, 0);  // ClusterIP: none
    const auto np = find(m, "kubia-nodeport").ports[0].nodePort;
    EXPECT_GE(np, 30000);
    EXPECT_LE(np, 32767);
    const auto& lb = find(m, "kubia-loadbalancer");
    EXPECT_NE(lb.ports[0].nodePort, 0);
    EXPECT_NE(lb.ports[1].nodePort, 0);
    EXPECT_NE(lb.ports[0].nodePort, lb.ports[1].nodePort);
    EXPECT_NE(lb.healthCheckNodePort, 0);
    EXPECT_NE(lb.healthCheckNodePort, lb.ports[0].nodePort);
    EXPECT_EQ(find(m, "kube-dns").ports[0].nodePort, 0);
}

TEST(Allocate, DeterministicAcrossRunsAndInputOrder) {
    Manifests a = sample(), b = sample();
    std::reverse(b.services.begin(), b.services.end());
    std::vector<Diagnostic> da, db;
    allocate(a, options(), da);
    allocate(b, options(), db);
    for (const auto& s : a.services) {
        const auto& t = find(b, s.meta.name);
        EXPECT_EQ(s.clusterIPs, t.clusterIPs) << s.meta.name;
        EXPECT_EQ(s.healthCheckNodePort, t.healthCheckNodePort) << s.meta.name;
        for (size_t i = 0; i < s.ports.size(); ++i) EXPECT_EQ(s.ports[i].nodePort, t.ports[i].nodePort) << s.meta.name;
    }
    // Running again on already-allocated objects changes nothing.
    Manifests again = a;
    std::vector<Diagnostic> d2;
    allocate(again, options(), d2);
    for (size_t i = 0; i < a.services.size(); ++i) {
        EXPECT_EQ(again.services[i].clusterIPs, a.services[i].clusterIPs);
        EXPECT_EQ(again.services[i].ports[0].nodePort, a.services[i].ports[0].nodePort);
    }
}

TEST(Allocate, ExplicitValuesAreKeptAndNeverHandedOut) {
    // Find what `kubia` would get on its own, then pin another service to it:
    // the explicit value must win and `kubia` must move.
    Manifests alone;
    alone.services.push_back(svc("default", "kubia", ServiceType::NodePort));
    std::vector<Diagnostic> d;
    allocate(alone, options(), d);
    const IPAddr natural_ip = alone.services[0].clusterIPs[0];
    const uint16_t natural_port = alone.services[0].ports[0].nodePort;

    Manifests m;
    m.services.push_back(svc("default", "kubia", ServiceType::NodePort));  // sorts first
    auto pinned = svc("default", "zz-pinned", ServiceType::NodePort);
    pinned.clusterIPs = {natural_ip};
    pinned.ports[0].nodePort = natural_port;
    m.services.push_back(pinned);
    allocate(m, options(), d);
    EXPECT_TRUE(d.empty());
    EXPECT_EQ(find(m, "zz-pinned").clusterIPs[0], natural_ip);
    EXPECT_EQ(find(m, "zz-pinned").ports[0].nodePort, natural_port);
    EXPECT_NE(find(m, "kubia").clusterIPs[0], natural_ip);
    EXPECT_NE(find(m, "kubia").ports[0].nodePort, natural_port);
}

TEST(Allocate, SmallRangesSkipNetworkBroadcastAndKubernetesAddress) {
    // 10.0.0.0/29: .0 network, .7 broadcast, .1 kept for `kubernetes`:
    // exactly .2 .. .6 for five services; the sixth fails.
    Manifests m;
    for (int i = 0; i < 6; ++i) m.services.push_back(svc("default", "s" + std::to_string(i)));
    std::vector<Diagnostic> diags;
    allocate(m, options({"10.0.0.0/29"}), diags);
    std::set<std::string> got;
    for (const auto& s : m.services)
        if (!s.clusterIPs.empty()) got.insert(s.clusterIPs[0].str());
    EXPECT_EQ(got, (std::set<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"}));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].severity, Severity::Error);
    EXPECT_EQ(diags[0].field, "spec.clusterIPs");
    EXPECT_EQ(diags[0].message, "Internal error: failed to allocate a serviceIP: range is full (10.0.0.0/29)");
    EXPECT_EQ(diags[0].file, "svc.yaml");
}

TEST(Allocate, FirstRangeOfTheFamilyWithAFreeAddressServes) {
    // Two IPv4 ranges (a second ServiceCIDR): the five addresses of the
    // first go first, the rest come from the second; deterministic.
    auto run = [] {
        Manifests m;
        for (int i = 0; i < 8; ++i) m.services.push_back(svc("default", "s" + std::to_string(i)));
        std::vector<Diagnostic> diags;
        allocate(m, options({"10.0.0.0/29", "10.200.0.0/24"}), diags);
        EXPECT_TRUE(diags.empty());
        std::vector<std::string> got;
        for (const auto& s : m.services) got.push_back(s.clusterIPs.at(0).str());
        return got;
    };
    const auto got = run();
    size_t first = 0, second = 0;
    for (const auto& ip : got) (ip.rfind("10.0.0.", 0) == 0 ? first : second) += 1;
    EXPECT_EQ(first, 5u);
    EXPECT_EQ(second, 3u);
    EXPECT_EQ(run(), got);
    // Full everywhere: the message names every range of the family.
    Manifests m;
    for (int i = 0; i < 6; ++i) m.services.push_back(svc("default", "s" + std::to_string(i)));
    std::vector<Diagnostic> diags;
    allocate(m, options({"10.0.0.0/30", "10.0.1.0/30"}), diags);
    ASSERT_FALSE(diags.empty());
    EXPECT_EQ(diags.back().message,
              "Internal error: failed to allocate a serviceIP: range is full (10.0.0.0/30, 10.0.1.0/30)");
}

TEST(Allocate, NodePortExhaustionIsAnErrorOnThePort) {
    Manifests m;
    auto a = svc("default", "a", ServiceType::NodePort);
    a.ports[0].nodePort = 30001;  // explicit, reserved first
    m.services.push_back(a);
    auto b = svc("default", "b", ServiceType::NodePort, {port(80, 80, "http"), port(81, 81, "alt")});
    b.ports[1].line = 9;
    m.services.push_back(b);
    std::vector<Diagnostic> diags;
    allocate(m, options({"10.96.0.0/12"}, 30000, 30001), diags);
    EXPECT_EQ(find(m, "b").ports[0].nodePort, 30000);
    EXPECT_EQ(find(m, "b").ports[1].nodePort, 0);
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].str(),
              "svc.yaml:9: spec.ports[1].nodePort: Internal error: failed to allocate a nodePort: range is full "
              "(30000-30001)");
}

TEST(Allocate, SamePortNumberDifferentProtocolSharesNodePort) {
    Manifests m;
    m.services.push_back(svc("kube-system", "dns", ServiceType::NodePort,
                             {port(53, 53, "dns", Protocol::UDP), port(53, 53, "dns-tcp", Protocol::TCP)}));
    std::vector<Diagnostic> diags;
    allocate(m, options(), diags);
    EXPECT_NE(m.services[0].ports[0].nodePort, 0);
    EXPECT_EQ(m.services[0].ports[0].nodePort, m.services[0].ports[1].nodePort);
}

TEST(Allocate, LoadBalancerWithoutNodePortsAndExternalName) {
    Manifests m;
    auto lb = svc("default", "lb", ServiceType::LoadBalancer);
    lb.allocateLoadBalancerNodePorts = false;
    m.services.push_back(lb);
    auto en = svc("default", "the-mysql", ServiceType::ExternalName, {});
    m.services.push_back(en);
    auto headless = svc("default", "myapp-headless");
    headless.headless = true;
    m.services.push_back(headless);
    std::vector<Diagnostic> diags;
    allocate(m, options(), diags);
    EXPECT_TRUE(diags.empty());
    EXPECT_EQ(find(m, "lb").ports[0].nodePort, 0);
    EXPECT_EQ(find(m, "lb").clusterIPs.size(), 1u);
    EXPECT_EQ(find(m, "lb").healthCheckNodePort, 0);  // eTP Cluster
    EXPECT_TRUE(find(m, "the-mysql").clusterIPs.empty());
    EXPECT_TRUE(find(m, "myapp-headless").clusterIPs.empty());
    EXPECT_EQ(find(m, "myapp-headless").ipFamilies, std::vector<IPFamily>{IPFamily::IPv4});
}

TEST(Allocate, DualStackPolicies) {
    Manifests m;
    auto single = svc("default", "single");
    m.services.push_back(single);
    auto prefer = svc("default", "prefer");
    prefer.ipFamilyPolicy = IPFamilyPolicy::PreferDualStack;
    m.services.push_back(prefer);
    auto v6first = svc("default", "v6first");
    v6first.ipFamilyPolicy = IPFamilyPolicy::RequireDualStack;
    v6first.ipFamilies = {IPFamily::IPv6, IPFamily::IPv4};
    m.services.push_back(v6first);
    auto half = svc("default", "half");  // explicit v4, second family allocated
    half.ipFamilyPolicy = IPFamilyPolicy::PreferDualStack;
    half.clusterIPs = {ip("10.96.100.100")};
    m.services.push_back(half);
    std::vector<Diagnostic> diags;
    allocate(m, options({"10.96.0.0/12", "fd00:10:96::/108"}), diags);
    ASSERT_TRUE(diags.empty()) << diags[0].str();
    EXPECT_EQ(find(m, "single").clusterIPs.size(), 1u);
    EXPECT_TRUE(find(m, "single").clusterIPs[0].is_v4());
    const auto& p = find(m, "prefer");
    ASSERT_EQ(p.clusterIPs.size(), 2u);
    EXPECT_TRUE(p.clusterIPs[0].is_v4());
    EXPECT_FALSE(p.clusterIPs[1].is_v4());
    EXPECT_TRUE(CIDR::parse("fd00:10:96::/108")->contains(p.clusterIPs[1]));
    EXPECT_EQ(p.ipFamilies, (std::vector<IPFamily>{IPFamily::IPv4, IPFamily::IPv6}));
    const auto& v = find(m, "v6first");
    ASSERT_EQ(v.clusterIPs.size(), 2u);
    EXPECT_FALSE(v.clusterIPs[0].is_v4());
    EXPECT_EQ(find(m, "half").clusterIPs[0].str(), "10.96.100.100");
    EXPECT_EQ(find(m, "half").clusterIPs.size(), 2u);

    // RequireDualStack on a single-stack cluster is an error; Prefer is not.
    Manifests single_stack;
    single_stack.services = {prefer, v6first};
    std::vector<Diagnostic> d2;
    allocate(single_stack, options(), d2);
    EXPECT_EQ(find(single_stack, "prefer").clusterIPs.size(), 1u);
    ASSERT_EQ(d2.size(), 1u);
    EXPECT_EQ(d2[0].field, "spec.ipFamilyPolicy");
}

}  // namespace
}  // namespace svcnat
