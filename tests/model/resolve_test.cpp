#include "control/model/resolve.hpp"

#include <gtest/gtest.h>

#include "builders.hpp"
#include "control/model/discovery.hpp"

namespace svcnat {
namespace {

using namespace test;

NodeInfo node_a() { return NodeInfo{"node-a", {ip("203.0.113.1")}, ""}; }

std::vector<std::string> addrs(const ResolvedServicePort& sp) {
    std::vector<std::string> out;
    for (const auto& e : sp.endpoints) out.push_back(e.ip.str() + ":" + std::to_string(e.port));
    return out;
}

TEST(SelectorMatches, EqualityAndEmpty) {
    EXPECT_TRUE(selector_matches({{"app", "kubia"}}, {{"app", "kubia"}, {"tier", "web"}}));
    EXPECT_FALSE(selector_matches({{"app", "kubia"}}, {{"app", "other"}}));
    EXPECT_FALSE(selector_matches({{"app", "kubia"}, {"tier", "db"}}, {{"app", "kubia"}}));
    EXPECT_FALSE(selector_matches({}, {{"app", "kubia"}}));  // empty selector selects nothing
}

TEST(Resolve, SelectorPicksPodsOfSameNamespaceWithIPs) {
    Manifests m;
    m.services.push_back(service("kubia", {{"app", "kubia"}}, {port(80, 8080)}));
    m.pods.push_back(pod("kubia-c", {{"app", "kubia"}}, {"10.244.1.13"}));
    m.pods.push_back(pod("kubia-a", {{"app", "kubia"}}, {"10.244.1.11"}));
    m.pods.push_back(pod("other", {{"app", "other"}}, {"10.244.1.20"}));
    m.pods.push_back(pod("no-ip", {{"app", "kubia"}}, {}));
    auto in_other_ns = pod("kubia-x", {{"app", "kubia"}}, {"10.244.1.30"});
    in_other_ns.meta.ns = "prod";
    m.pods.push_back(in_other_ns);
    auto done = pod("kubia-done", {{"app", "kubia"}}, {"10.244.1.40"});
    done.phase = "Succeeded";
    m.pods.push_back(done);
    auto failed = pod("kubia-failed", {{"app", "kubia"}}, {"10.244.1.41"});
    failed.phase = "Failed";
    m.pods.push_back(failed);

    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 1u);
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.11:8080", "10.244.1.13:8080"}));
    EXPECT_EQ(st.ports[0].id(), "default/kubia");
    EXPECT_EQ(st.node.name, "node-a");
}

TEST(Resolve, NamedTargetPortMatchesNameAndProtocol) {
    Manifests m;
    m.services.push_back(service("dns", {{"app", "dns"}},
                                 {named_port(53, "dns", "dns-udp", Protocol::UDP),
                                  named_port(53, "dns-tcp", "dns-tcp", Protocol::TCP)}));
    auto a = pod("dns-a", {{"app", "dns"}}, {"10.244.1.11"});
    a.ports = {{"dns", 5353, Protocol::UDP}, {"dns-tcp", 5354, Protocol::TCP}};
    auto b = pod("dns-b", {{"app", "dns"}}, {"10.244.1.12"});
    b.ports = {{"dns", 1053, Protocol::TCP}};  // right name, wrong protocol for dns-udp; no dns-tcp
    m.pods = {a, b};

    std::vector<Diagnostic> warnings;
    auto st = resolve(m, node_a(), &warnings);
    ASSERT_EQ(st.ports.size(), 2u);
    // sorted by portName: dns-tcp, dns-udp
    EXPECT_EQ(st.ports[0].portName, "dns-tcp");
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.11:5354"}));
    EXPECT_EQ(st.ports[1].portName, "dns-udp");
    EXPECT_EQ(addrs(st.ports[1]), (std::vector<std::string>{"10.244.1.11:5353"}));
    EXPECT_TRUE(warnings.empty());  // every port has at least one pod
}

TEST(Resolve, NamedTargetPortNobodyHasIsAWarningWithLocation) {
    Manifests m;
    auto svc = service("web", {{"app", "web"}}, {port(443, 8443, "https"), named_port(80, "http", "http")});
    svc.ports[1].line = 12;
    m.services.push_back(svc);
    auto p = pod("web-a", {{"app", "web"}}, {"10.244.1.11"});
    p.ports = {{"web", 8080, Protocol::TCP}};
    m.pods.push_back(p);

    std::vector<Diagnostic> warnings;
    auto st = resolve(m, node_a(), &warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0].severity, Severity::Warning);
    EXPECT_EQ(warnings[0].str().rfind("svc.yaml:12: warning: spec.ports[1].targetPort: named port \"http\" (TCP)", 0),
              0u)
        << warnings[0].str();
    ASSERT_EQ(st.ports.size(), 2u);
    EXPECT_TRUE(st.ports[0].endpoints.empty());  // http
    EXPECT_EQ(st.ports[1].endpoints.size(), 1u);  // https, numeric target
}

TEST(Resolve, ReadinessTerminatingAndPublishNotReady) {
    Manifests m;
    m.services.push_back(service("app", {{"app", "x"}}, {port(80, 8080)}));
    m.pods.push_back(pod("ready", {{"app", "x"}}, {"10.244.1.11"}, "node-a", true));
    m.pods.push_back(pod("unready", {{"app", "x"}}, {"10.244.1.12"}, "node-a", false));
    auto term = pod("terminating", {{"app", "x"}}, {"10.244.1.13"}, "node-a", true);
    term.terminating = true;
    m.pods.push_back(term);
    auto term_unready = pod("terminating-unready", {{"app", "x"}}, {"10.244.1.14"}, "node-a", false);
    term_unready.terminating = true;
    m.pods.push_back(term_unready);

    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports[0].endpoints.size(), 4u);
    const auto& e = st.ports[0].endpoints;
    EXPECT_TRUE(e[0].ready && e[0].serving && !e[0].terminating);
    EXPECT_TRUE(!e[1].ready && !e[1].serving && !e[1].terminating);
    EXPECT_TRUE(!e[2].ready && e[2].serving && e[2].terminating);
    EXPECT_TRUE(!e[3].ready && !e[3].serving && e[3].terminating);
    auto usable = usable_endpoints(st.ports[0], false);
    ASSERT_EQ(usable.size(), 1u);
    EXPECT_EQ(usable[0]->ip.str(), "10.244.1.11");

    m.services[0].publishNotReadyAddresses = true;
    st = resolve(m, node_a());
    for (const auto& ep : st.ports[0].endpoints) EXPECT_TRUE(ep.ready) << ep.ip.str();
}

TEST(Resolve, LocalityFromNodeName) {
    Manifests m;
    m.services.push_back(service("app", {{"app", "x"}}, {port(80, 8080)}));
    m.pods.push_back(pod("a", {{"app", "x"}}, {"10.244.1.11"}, "node-a"));
    m.pods.push_back(pod("b", {{"app", "x"}}, {"10.244.2.11"}, "node-b"));
    Node nb;
    nb.meta.name = "node-b";
    nb.zone = "zone-2";
    m.nodes.push_back(nb);
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports[0].endpoints.size(), 2u);
    EXPECT_TRUE(st.ports[0].endpoints[0].is_local);
    EXPECT_FALSE(st.ports[0].endpoints[1].is_local);
    EXPECT_EQ(st.ports[0].endpoints[1].zone, "zone-2");
    EXPECT_EQ(usable_endpoints(st.ports[0], true).size(), 1u);

    // A node without a name is never local.
    st = resolve(m, NodeInfo{});
    EXPECT_FALSE(st.ports[0].endpoints[0].is_local);
}

TEST(Resolve, WithoutSelectorUsesEndpointsObject) {
    Manifests m;
    m.services.push_back(service("mongo", {}, {port(27017, 49763)}));
    Endpoints eps;
    eps.meta.name = "mongo";
    EndpointSubset ss;
    ss.addresses.push_back({ip("192.0.2.12"), "", "", ""});
    ss.notReadyAddresses.push_back({ip("192.0.2.13"), "", "", ""});
    ss.ports.push_back({"", Protocol::TCP, 49763});
    eps.subsets.push_back(ss);
    m.endpoints.push_back(eps);
    // Same name, other namespace: not ours.
    Endpoints other = eps;
    other.meta.ns = "prod";
    other.subsets[0].addresses[0].ip = ip("192.0.2.99");
    m.endpoints.push_back(other);

    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 1u);
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"192.0.2.12:49763", "192.0.2.13:49763"}));
    EXPECT_TRUE(st.ports[0].endpoints[0].ready);
    EXPECT_FALSE(st.ports[0].endpoints[1].ready);
    EXPECT_FALSE(st.ports[0].endpoints[1].serving);
}

TEST(Resolve, EndpointsPortsMatchByNameAndProtocol) {
    Manifests m;
    m.services.push_back(service("db", {}, {port(5432, 5432, "pg"), port(9187, 9187, "metrics")}));
    Endpoints eps;
    eps.meta.name = "db";
    EndpointSubset ss;
    ss.addresses.push_back({ip("192.0.2.20"), "", "", ""});
    ss.ports = {{"pg", Protocol::TCP, 15432}, {"metrics", Protocol::UDP, 9187}};
    eps.subsets.push_back(ss);
    m.endpoints.push_back(eps);
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 2u);
    EXPECT_EQ(st.ports[0].portName, "metrics");
    EXPECT_TRUE(st.ports[0].endpoints.empty());  // protocol differs
    EXPECT_EQ(addrs(st.ports[1]), (std::vector<std::string>{"192.0.2.20:15432"}));
}

TEST(Resolve, SlicesWinOverEndpointsAndCarryConditions) {
    Manifests m;
    m.services.push_back(service("ext", {}, {port(80, 80, "http")}));
    EndpointSlice s;
    s.meta.name = "ext-abc";
    s.serviceName = "ext";
    s.ports = {{"http", Protocol::TCP, 8080}, {"http", Protocol::UDP, 9090}};
    SliceEndpoint se;
    se.addresses = {ip("192.0.2.31")};
    se.conditions = {false, true, true};
    se.nodeName = "node-a";
    se.zone = "z1";
    s.endpoints.push_back(se);
    se.addresses = {ip("192.0.2.30")};
    se.conditions = {};
    se.nodeName = "node-b";
    s.endpoints.push_back(se);
    m.endpointSlices.push_back(s);
    // A second slice repeating an endpoint with worse conditions: de-duplicated.
    EndpointSlice dup = s;
    dup.meta.name = "ext-def";
    dup.endpoints.resize(1);
    dup.endpoints[0].addresses = {ip("192.0.2.30")};
    dup.endpoints[0].conditions = {false, false, false};
    m.endpointSlices.push_back(dup);
    // An IPv6 slice for a single-stack IPv4 service is not used.
    EndpointSlice v6 = s;
    v6.meta.name = "ext-v6";
    v6.addressType = IPFamily::IPv6;
    v6.endpoints.resize(1);
    v6.endpoints[0].addresses = {ip("2001:db8::1")};
    m.endpointSlices.push_back(v6);
    Endpoints eps;
    eps.meta.name = "ext";
    m.endpoints.push_back(eps);
    m.services[0].ipFamilies = {IPFamily::IPv4};

    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 1u);
    const auto& e = st.ports[0].endpoints;
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].ip.str(), "192.0.2.30");
    EXPECT_EQ(e[0].port, 8080);
    EXPECT_TRUE(e[0].ready);
    EXPECT_FALSE(e[0].is_local);
    EXPECT_EQ(e[1].ip.str(), "192.0.2.31");
    EXPECT_TRUE(!e[1].ready && e[1].serving && e[1].terminating);
    EXPECT_TRUE(e[1].is_local);
    EXPECT_EQ(e[1].zone, "z1");
}

// A cluster export (kubectl get svc,endpointslices -o yaml): selector
// services, the EndpointSlice controller's slices, no pods.
EndpointSlice controller_slice(const std::string& svc, const std::string& name,
                               std::vector<std::pair<const char*, bool>> ready_ips, const std::string& port_name = "",
                               uint16_t port = 8080, const std::string& node = "node-b") {
    EndpointSlice s;
    s.meta.name = name;
    s.meta.labels = {{"kubernetes.io/service-name", svc},
                     {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}};
    s.serviceName = svc;
    s.ports = {{port_name, Protocol::TCP, port}};
    for (auto [addr, ready] : ready_ips) {
        SliceEndpoint se;
        se.addresses = {ip(addr)};
        se.conditions = {ready, ready, false};
        se.nodeName = node;
        s.endpoints.push_back(se);
    }
    return s;
}

TEST(Resolve, SelectorServiceFromAnExportWithSlicesAndNoPods) {
    Manifests m;
    m.services.push_back(service("web", {{"app", "web"}}, {port(80, 8080)}));
    m.endpointSlices.push_back(controller_slice("web", "web-abc", {{"10.244.1.7", true}, {"10.244.2.8", false}}));
    m.endpointSlices.push_back(controller_slice("web", "web-def", {{"10.244.3.9", true}}));
    m.endpointSlices.push_back(controller_slice("other", "other-x", {{"10.244.9.9", true}}));
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 1u);
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.7:8080", "10.244.2.8:8080", "10.244.3.9:8080"}));
    EXPECT_FALSE(st.ports[0].endpoints[1].ready);
    // get endpoints / describe read the same merge.
    EXPECT_EQ(service_endpoints(m.services[0], m, node_a())[0].size(), 3u);
}

TEST(Resolve, PodsAndSlicesOfOneServiceCountEachBackendOnce) {
    Manifests m;
    m.services.push_back(service("web", {{"app", "web"}}, {port(80, 8080, "http")}));
    // svcnat resolves 10.244.1.7 from its pod (ready, on this node); the
    // exported slice lists it too, not ready, and a backend of its own.
    m.pods.push_back(pod("web-1", {{"app", "web"}}, {"10.244.1.7"}, "node-a"));
    m.endpointSlices.push_back(
        controller_slice("web", "web-abc", {{"10.244.1.7", false}, {"10.244.5.5", true}}, "http", 8080, "node-a"));
    // A slice port of another name or protocol belongs to another service port.
    auto other_port = controller_slice("web", "web-udp", {{"10.244.6.6", true}}, "http");
    other_port.ports[0].protocol = Protocol::UDP;
    m.endpointSlices.push_back(other_port);
    m.endpointSlices.push_back(controller_slice("web", "web-metrics", {{"10.244.7.7", true}}, "metrics", 9090));
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 1u);
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.7:8080", "10.244.5.5:8080"}));
    EXPECT_TRUE(st.ports[0].endpoints[0].ready) << "the most usable conditions win";
    EXPECT_TRUE(st.ports[0].endpoints[0].is_local);
}

TEST(Resolve, DuplicateBackendPrefersTheLocalOneOnATie) {
    Manifests m;
    m.services.push_back(service("web", {{"app", "web"}}, {port(80, 8080)}));
    m.endpointSlices.push_back(controller_slice("web", "a", {{"10.244.1.7", true}}, "", 8080, "node-b"));
    m.endpointSlices.push_back(controller_slice("web", "b", {{"10.244.1.7", true}}, "", 8080, "node-a"));
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports[0].endpoints.size(), 1u);
    EXPECT_TRUE(st.ports[0].endpoints[0].is_local);
}

TEST(Resolve, PodsWithoutSlicesAreUnchanged) {
    Manifests m;
    m.services.push_back(service("web", {{"app", "web"}}, {port(80, 8080)}));
    m.pods.push_back(pod("web-1", {{"app", "web"}}, {"10.244.1.7"}));
    auto st = resolve(m, node_a());
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.7:8080"}));
}

TEST(Resolve, DualStackServiceGetsBothFamilies) {
    Manifests m;
    auto svc = service("ds", {{"app", "ds"}}, {port(80, 8080)});
    svc.clusterIPs = {ip("10.96.0.50"), ip("fd00:10:96::50")};
    svc.ipFamilies = {IPFamily::IPv4, IPFamily::IPv6};
    svc.ipFamilyPolicy = IPFamilyPolicy::PreferDualStack;
    m.services.push_back(svc);
    auto single = service("v4only", {{"app", "ds"}}, {port(81, 8080)}, "10.96.0.51");
    single.ipFamilies = {IPFamily::IPv4};
    m.services.push_back(single);
    m.pods.push_back(pod("ds-a", {{"app", "ds"}}, {"10.244.1.11", "fd00:10:244:1::11"}));

    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 2u);
    EXPECT_EQ(st.ports[0].clusterIPs.size(), 2u);
    EXPECT_EQ(addrs(st.ports[0]), (std::vector<std::string>{"10.244.1.11:8080", "fd00:10:244:1::11:8080"}));
    EXPECT_EQ(addrs(st.ports[1]), (std::vector<std::string>{"10.244.1.11:8080"}));
}

TEST(Resolve, HeadlessExternalNameAndUnallocatedAreSkipped) {
    Manifests m;
    auto headless = service("myapp-headless", {{"app", "web"}}, {port(80, 80, "http")}, nullptr);
    headless.headless = true;
    m.services.push_back(headless);
    auto en = service("the-mysql", {}, {}, nullptr);
    en.type = ServiceType::ExternalName;
    en.externalName = "my.sql.database.example.com";
    m.services.push_back(en);
    m.services.push_back(service("unallocated", {{"app", "web"}}, {port(80, 80)}, nullptr));
    m.pods.push_back(pod("web", {{"app", "web"}}, {"10.244.1.31"}));
    EXPECT_TRUE(resolve(m, node_a()).ports.empty());
    // ... but the endpoints of a headless service are still known (for DNS / get endpoints).
    auto eps = service_endpoints(m.services[0], m, node_a());
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].size(), 1u);
}

// One resolution feeds both views: the service ports are the same with or
// without the DNS view, and the DNS view has every kind of service (headless
// with and without ports, ExternalName, ClusterIP) with its ready backends.
TEST(Resolve, WithDiscoveryTheSameEndpointsFeedBothViews) {
    Manifests m;
    m.services.push_back(service("web", {{"app", "web"}}, {port(80, 8080, "http")}));
    auto headless = service("myapp", {{"app", "web"}}, {port(80, 8080, "http")}, nullptr);
    headless.headless = true;
    m.services.push_back(headless);
    auto portless = service("bare", {{"app", "web"}}, {}, nullptr);
    portless.headless = true;
    m.services.push_back(portless);
    auto en = service("db", {}, {}, nullptr);
    en.type = ServiceType::ExternalName;
    en.externalName = "db.example.com";
    m.services.push_back(en);
    m.services.push_back(service("unallocated", {{"app", "web"}}, {port(80, 80)}, nullptr));
    m.pods.push_back(pod("web-1", {{"app", "web"}}, {"10.244.1.31"}));
    m.pods.push_back(pod("web-2", {{"app", "web"}}, {"10.244.1.32"}, "node-b", /*ready=*/false));
    m.pods.back().hostname = "w2";
    m.pods.back().subdomain = "myapp";

    const ServiceState alone = resolve(m, node_a());
    const ServiceState both = resolve(m, node_a(), nullptr, ResolveOptions{.discovery = true});
    EXPECT_EQ(both.ports, alone.ports);
    EXPECT_TRUE(alone.discovery.services.empty());
    EXPECT_EQ(both.discovery, discover(m, node_a()));
    const auto& d = both.discovery.services;
    ASSERT_EQ(d.size(), 4u) << "unallocated is left out";
    EXPECT_EQ(d[0].name, "bare");
    EXPECT_EQ(d[0].kind, DiscoveryKind::Headless);
    ASSERT_EQ(d[0].backends.size(), 1u) << "ready pods only";
    EXPECT_TRUE(d[0].backends[0].ports.empty());
    EXPECT_EQ(d[1].name, "db");
    EXPECT_EQ(d[1].externalName, "db.example.com");
    EXPECT_EQ(d[2].name, "myapp");
    ASSERT_EQ(d[2].backends.size(), 1u);
    EXPECT_EQ(d[2].backends[0].ip.str(), "10.244.1.31");
    EXPECT_EQ(d[2].backends[0].ports[0].port, 8080);
    EXPECT_EQ(d[3].name, "web");
    EXPECT_EQ(d[3].clusterIPs, std::vector<IPAddr>{ip("10.96.0.10")});
}

TEST(Resolve, CopiesServiceFieldsPerPort) {
    Manifests m;
    auto svc = service("lb", {{"app", "x"}}, {port(80, 8080, "http"), port(443, 8443, "https")});
    svc.type = ServiceType::LoadBalancer;
    svc.ports[0].nodePort = 30080;
    svc.ports[1].nodePort = 30443;
    svc.externalIPs = {ip("192.0.2.80"), ip("192.0.2.80")};
    svc.loadBalancerIngress = {ip("198.51.100.10")};
    svc.loadBalancerIP = ip("198.51.100.11");
    svc.loadBalancerSourceRanges = {*CIDR::parse("198.51.100.0/24")};
    svc.sessionAffinity = SessionAffinity::ClientIP;
    svc.sessionAffinityTimeout = 600;
    svc.externalTrafficPolicy = TrafficPolicy::Local;
    svc.internalTrafficPolicy = TrafficPolicy::Local;
    svc.healthCheckNodePort = 32000;
    m.services.push_back(svc);
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 2u);
    const auto& p = st.ports[1];
    EXPECT_EQ(p.id(), "default/lb:https");
    EXPECT_EQ(p.port, 443);
    EXPECT_EQ(p.nodePort, 30443);
    EXPECT_EQ(p.type, ServiceType::LoadBalancer);
    EXPECT_EQ(p.clusterIPs, std::vector<IPAddr>{ip("10.96.0.10")});
    EXPECT_EQ(p.externalIPs, std::vector<IPAddr>{ip("192.0.2.80")});
    EXPECT_EQ(p.loadBalancerIPs, (std::vector<IPAddr>{ip("198.51.100.10"), ip("198.51.100.11")}));
    EXPECT_EQ(p.loadBalancerSourceRanges.size(), 1u);
    EXPECT_EQ(p.sessionAffinity, SessionAffinity::ClientIP);
    EXPECT_EQ(p.sessionAffinityTimeout, 600u);
    EXPECT_EQ(p.externalTrafficPolicy, TrafficPolicy::Local);
    EXPECT_EQ(p.internalTrafficPolicy, TrafficPolicy::Local);
    EXPECT_EQ(p.healthCheckNodePort, 32000);

    // A ClusterIP service never exposes node ports or LB addresses, even
    // with stray values.
    m.services[0].type = ServiceType::ClusterIP;
    st = resolve(m, node_a());
    EXPECT_EQ(st.ports[0].nodePort, 0);
    EXPECT_TRUE(st.ports[0].loadBalancerIPs.empty());
    EXPECT_EQ(st.ports[0].healthCheckNodePort, 0);
}

TEST(Resolve, OutputIsSortedAndIndependentOfInputOrder) {
    Manifests m;
    m.services.push_back(service("b", {{"app", "x"}}, {port(80, 8080)}, "10.96.0.20"));
    m.services.push_back(service("a", {{"app", "x"}}, {port(80, 8080)}, "10.96.0.21"));
    auto in_kube_system = service("a", {{"app", "x"}}, {port(80, 8080)}, "10.96.0.22");
    in_kube_system.meta.ns = "kube-system";
    m.services.push_back(in_kube_system);
    m.pods.push_back(pod("p2", {{"app", "x"}}, {"10.244.1.12"}));
    m.pods.push_back(pod("p1", {{"app", "x"}}, {"10.244.1.11"}));
    m.pods.push_back(pod("p1-again", {{"app", "x"}}, {"10.244.1.11"}));  // same IP twice: one endpoint
    auto st = resolve(m, node_a());
    ASSERT_EQ(st.ports.size(), 3u);
    EXPECT_EQ(st.ports[0].id(), "default/a");
    EXPECT_EQ(st.ports[1].id(), "default/b");
    EXPECT_EQ(st.ports[2].id(), "kube-system/a");
    EXPECT_EQ(addrs(st.ports[1]), (std::vector<std::string>{"10.244.1.11:8080", "10.244.1.12:8080"}));

    Manifests reversed = m;
    std::reverse(reversed.services.begin(), reversed.services.end());
    std::reverse(reversed.pods.begin(), reversed.pods.end());
    EXPECT_EQ(resolve(reversed, node_a()).ports, st.ports);
}

}  // namespace
}  // namespace svcnat
