// Kernel mode against kube-proxy's own packet-flow facts.
//
// Upstream kube-proxy (pkg/proxy/nftables/proxier_test.go) checks its rules
// with `runPacketFlowTests`: for a source address, a destination and a port,
// which endpoints the packet may reach and whether it is masqueraded, or
// REJECT / DROP / not intercepted. The scenarios below restate those facts
// in our own table (same test names, same flows, the lab's addresses), and
// replay every flow with real connections through svcnat's rules, once with
// IPv4 and once with IPv6 Services.
//
// Address map (upstream -> lab, IPv4 / IPv6):
//   pod client 10.0.0.2          -> pod6 (10.244.1.16 / fd00:10:244:1::16)
//   endpoints 10.180.x, 10.0.1.x -> pod1..pod5 (the slices say which node)
//   node IP 192.168.0.2           -> node-a's primary 203.0.113.1 / 2001:db8:ff::1
//   alternate node IP             -> 203.0.113.2 / 2001:db8:ff::2 (also the
//                                    source of "node to ..." flows: masquerading
//                                    rewrites it to the primary, so the pod sees
//                                    the difference)
//   external client 203.0.113.2   -> the lab client 203.0.113.100 / 2001:db8:ff::100
//   blocked client 203.0.113.130  -> 203.0.113.130 / 2001:db8:ff::1:130
//   LB source range 203.0.113.0/25 -> 203.0.113.0/25 / 2001:db8:ff::/112
//   ClusterIPs 172.30.0.N         -> 10.96.0.N / fd00:10:96::N
//   LB IPs, externalIPs           -> 198.51.100.N / 2001:db8:198::N, 192.0.2.N / 2001:db8:198::1:N
//   NodePorts 3001..3003          -> 30001..30003 (inside the default range)
// Each pod answers "GET /whoami" with "<pod> <client address it saw>": who
// answered gives the endpoint set, the address gives the masquerade verdict.
// "Not intercepted" is checked by a server on the node itself ("node").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "lab.hpp"
#include "manifests.hpp"

// The table below uses designated initializers that leave defaulted members
// out on purpose; GCC's -Wextra would flag every one of them.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace svcnat::e2e {
namespace {

// ---------------------------------------------------------------- the table

struct PortDef {
    std::string name;
    int port = 80;
    std::string protocol = "TCP";
    int target = 0;  // 0 = port
    int node_port = 0;
};

struct ServiceDef {
    std::string name;
    std::string type = "ClusterIP";
    int cluster_ip = 0;  // host part: 10.96.0.N / fd00:10:96::N
    std::vector<PortDef> ports;
    std::vector<int> lb_ips, external_ips;  // host parts
    std::string external_policy, internal_policy;
    bool source_ranges = false;  // the lab's equivalent of upstream's ranges
};

struct EndpointDef {
    std::string pod;
    std::string node;  // "" = no nodeName
    bool ready = true, serving = true, terminating = false;
};

struct SliceDef {
    std::string service;
    std::vector<EndpointDef> endpoints;
};

// What a flow must end in: these pods answer (any of them, all of them seen),
// "REJECT" (refused at once), "DROP" (no answer) or "NODE" (not intercepted:
// the node's own server answers).
struct Flow {
    std::string name;
    std::string from;  // pod | node | external | blocked | podN (hairpin) | lb:N (the LB address itself)
    std::string to;    // cip:N | lb:N | ext:N | node | node-alt
    int port = 80;
    std::string expect;
    bool masq = false;
    std::string protocol = "TCP";
};

struct Settings {
    bool cluster_cidr = true;  // kube-proxy's LocalTrafficDetector
    bool masquerade_all = false;
    bool nodeport_cidrs = false;  // --nodeport-addresses covering the alternate node IP
};

struct Scenario {
    std::string name;  // upstream test (and sub-test)
    std::vector<ServiceDef> services;
    std::vector<SliceDef> slices;
    std::vector<Flow> flows;
    std::vector<Flow> after_slices_deleted;  // upstream's second round, if any
    Settings settings;
};

const std::string kReject = "REJECT", kDrop = "DROP", kNode = "NODE";

Scenario no_endpoints_reject() {
    ServiceDef svc{.name = "svc1", .type = "LoadBalancer", .cluster_ip = 41,
                   .ports = {{.name = "p80", .port = 80, .node_port = 30001}},
                   .lb_ips = {1}, .external_ips = {11}};
    return {"NoEndpointsReject", {svc}, {},
            {{"pod to cluster IP with no endpoints", "pod", "cip:41", 80, kReject},
             {"external to external IP with no endpoints", "external", "ext:11", 80, kReject},
             {"pod to NodePort with no endpoints", "pod", "node", 30001, kReject},
             {"external to NodePort with no endpoints", "external", "node", 30001, kReject},
             {"pod to LoadBalancer IP with no endpoints", "pod", "lb:1", 80, kReject},
             {"external to LoadBalancer IP with no endpoints", "external", "lb:1", 80, kReject}}};
}

Scenario cluster_ip_general() {
    ServiceDef svc1{.name = "svc1", .cluster_ip = 41, .ports = {{.name = "http", .port = 80}}};
    // Target ports are the lab pods' servers: HTTP 80/8080/9090, UDP 53, SCTP 9999.
    ServiceDef svc2{.name = "svc2", .cluster_ip = 42,
                    .ports = {{.name = "http", .port = 80},
                              {.name = "https", .port = 443, .target = 8080},
                              {.name = "dns-udp", .port = 53, .protocol = "UDP"},
                              {.name = "dns-tcp", .port = 53, .target = 9090},
                              {.name = "dns-sctp", .port = 53, .protocol = "SCTP", .target = 9999}}};
    return {"ClusterIPGeneral", {svc1, svc2},
            {{"svc1", {{"pod1", "node-a"}}}, {"svc2", {{"pod1", "node-a"}, {"pod2", "node2"}}}},
            {{"simple clusterIP", "pod", "cip:41", 80, "pod1", false},
             {"hairpin to cluster IP", "pod1", "cip:41", 80, "pod1", true},
             {"clusterIP with multiple endpoints", "pod", "cip:42", 80, "pod1 pod2", false},
             {"clusterIP with TargetPort", "pod", "cip:42", 443, "pod1 pod2", false},
             {"clusterIP with TCP, UDP, and SCTP on same port (TCP)", "pod", "cip:42", 53, "pod1 pod2", false},
             {"clusterIP with TCP, UDP, and SCTP on same port (UDP)", "pod", "cip:42", 53, "pod1 pod2", false, "UDP"},
             {"clusterIP with TCP, UDP, and SCTP on same port (SCTP)", "pod", "cip:42", 53, "pod1 pod2", false, "SCTP"},
             {"TCP-only port does not match UDP traffic", "pod", "cip:42", 80, kReject, false, "UDP"},
             {"svc1 does not accept svc2's ports", "pod", "cip:41", 443, kReject},
             {"packet to unallocated cluster ip", "pod", "cip:50", 80, kDrop}}};
}

Scenario load_balancer() {
    ServiceDef svc{.name = "svc1", .type = "LoadBalancer", .cluster_ip = 41,
                   .ports = {{.name = "p80", .port = 80, .node_port = 30001}},
                   .lb_ips = {1, 2}, .source_ranges = true};
    return {"LoadBalancer", {svc}, {{"svc1", {{"pod1", ""}}}},
            {{"pod to cluster IP", "pod", "cip:41", 80, "pod1", false},
             {"external to nodePort", "external", "node", 30001, "pod1", true},
             {"nodePort bypasses LoadBalancerSourceRanges", "blocked", "node", 30001, "pod1", true},
             {"accepted external to LB1", "external", "lb:1", 80, "pod1", true},
             {"accepted external to LB2", "external", "lb:2", 80, "pod1", true},
             {"blocked external to LB1", "blocked", "lb:1", 80, kDrop},
             {"blocked external to LB2", "blocked", "lb:2", 80, kDrop},
             {"pod to LB1 (blocked by LoadBalancerSourceRanges)", "pod", "lb:1", 80, kDrop},
             {"pod to LB2 (blocked by LoadBalancerSourceRanges)", "pod", "lb:2", 80, kDrop},
             {"node to LB1 (allowed by LoadBalancerSourceRanges)", "node", "lb:1", 80, "pod1", true},
             {"node to LB2 (allowed by LoadBalancerSourceRanges)", "node", "lb:2", 80, "pod1", true},
             {"same node to LB1, SNATted to LB1 (implicitly allowed)", "lb:1", "lb:1", 80, "pod1", true},
             {"same node to LB2, SNATted to LB2 (implicitly allowed)", "lb:2", "lb:2", 80, "pod1", true}}};
}

Scenario node_ports(bool multiple_addresses) {
    ServiceDef svc{.name = "svc1", .type = "NodePort", .cluster_ip = 41,
                   .ports = {{.name = "p80", .port = 80, .node_port = 30001}}};
    Scenario s{multiple_addresses ? "NodePorts/multiple nodeport-addresses" : "NodePorts",
               {svc},
               {{"svc1", {{"pod1", ""}, {"pod2", "node-a"}}}},
               {{"pod to cluster IP", "pod", "cip:41", 80, "pod1 pod2", false},
                {"external to nodePort", "external", "node", 30001, "pod1 pod2", true},
                {"node to nodePort", "node", "node", 30001, "pod1 pod2", true}}};
    if (multiple_addresses) {
        s.settings.nodeport_cidrs = true;
        s.flows.push_back({"external to nodePort on secondary IP", "external", "node-alt", 30001, "pod1 pod2", true});
    } else {
        s.flows.push_back({"secondary nodeIP ignores NodePorts", "external", "node-alt", 30001, kNode});
    }
    return s;
}

Scenario external_traffic_policy(const std::string& policy) {
    ServiceDef svc{.name = "svc1", .type = "LoadBalancer", .cluster_ip = 41,
                   .ports = {{.name = "p80", .port = 80, .node_port = 30001}},
                   .lb_ips = {1}, .external_ips = {11}, .external_policy = policy};
    Scenario s{"ExternalTrafficPolicy" + policy, {svc}, {{"svc1", {{"pod1", ""}, {"pod2", "node-a"}}}}, {}};
    const bool local = policy == "Local";
    const std::string external = local ? "pod2" : "pod1 pod2";
    s.flows = {{"pod to cluster IP hits both endpoints, unmasqueraded", "pod", "cip:41", 80, "pod1 pod2", false},
               {"pod to external IP hits both endpoints", "pod", "ext:11", 80, "pod1 pod2", !local},
               {"external to external IP", "external", "ext:11", 80, external, !local},
               {"pod to LB IP hits both endpoints", "pod", "lb:1", 80, "pod1 pod2", !local},
               {"external to LB IP", "external", "lb:1", 80, external, !local},
               {"pod to NodePort hits both endpoints", "pod", "node", 30001, "pod1 pod2", !local},
               {"external to NodePort", "external", "node", 30001, external, !local}};
    return s;
}

Scenario internal_traffic_policy(const std::string& name, const std::string& policy,
                                 std::vector<std::string> nodes, const std::string& expect) {
    ServiceDef svc{.name = "svc1", .cluster_ip = 101, .ports = {{.port = 80}}, .internal_policy = policy};
    SliceDef slice{"svc1", {}};
    for (size_t i = 0; i < nodes.size(); ++i) slice.endpoints.push_back({"pod" + std::to_string(i + 1), nodes[i]});
    return {"InternalTrafficPolicy/" + name, {svc}, {slice},
            {{"pod to ClusterIP", "pod", "cip:101", 80, expect, false}},
            {{"endpoints deleted", "pod", "cip:101", 80, kReject}}};
}

// Conditions of upstream's terminating-endpoint cases.
EndpointDef ready(const std::string& pod, const std::string& node) { return {pod, node, true, true, false}; }
EndpointDef serving_terminating(const std::string& pod, const std::string& node) {
    return {pod, node, false, true, true};
}
EndpointDef gone(const std::string& pod, const std::string& node) { return {pod, node, false, false, true}; }

Scenario terminating(const std::string& policy, const std::string& name, std::vector<EndpointDef> endpoints,
                     const std::string& to_cluster, const std::string& to_lb) {
    ServiceDef svc{.name = "svc1", .type = "LoadBalancer", .cluster_ip = 101,
                   .ports = {{.port = 80, .node_port = 30001}}, .lb_ips = {1}, .external_policy = policy};
    const bool lb_masq = policy == "Cluster";
    return {"TerminatingEndpointsTrafficPolicy" + policy + "/" + name, {svc}, {{"svc1", std::move(endpoints)}},
            {{"pod to clusterIP", "pod", "cip:101", 80, to_cluster, false},
             {"external to LB", "external", "lb:1", 80, to_lb, lb_masq && to_lb != kReject && to_lb != kDrop}},
            {{"pod to clusterIP after endpoints deleted", "pod", "cip:101", 80, kReject},
             {"external to LB after endpoints deleted", "external", "lb:1", 80, kReject}}};
}

std::vector<Scenario> terminating_endpoints() {
    const std::string me = "node-a";
    std::vector<Scenario> out;
    for (const std::string policy : {"Local", "Cluster"}) {
        const bool local = policy == "Local";
        const std::string other = local ? "node-1" : "another-node";
        out.push_back(terminating(policy, "ready endpoints exist",
                                  {ready("pod1", me), ready("pod2", me), serving_terminating("pod3", local ? me : other),
                                   gone("pod4", local ? me : other), ready("pod5", other)},
                                  "pod1 pod2 pod5", local ? "pod1 pod2" : "pod1 pod2 pod5"));
        out.push_back(terminating(policy, "only terminating endpoints exist",
                                  {serving_terminating("pod2", me), serving_terminating("pod3", me),
                                   gone("pod4", local ? me : other),
                                   local ? ready("pod5", other) : serving_terminating("pod5", other)},
                                  local ? "pod5" : "pod2 pod3 pod5", local ? "pod2 pod3" : "pod2 pod3 pod5"));
        out.push_back(terminating(policy, "terminating endpoints on remote node",
                                  {serving_terminating("pod5", "node-1")}, "pod5", local ? kDrop : "pod5"));
        out.push_back(terminating(policy, "no usable endpoints on any node",
                                  {gone("pod5", me), gone("pod5", "node-1")}, kReject, kReject));
    }
    return out;
}

// TestInternalExternalMasquerade: three LoadBalancer services (plain, eTP
// Local, iTP Local), each with a local and a remote endpoint; the same flows
// under four settings, with upstream's overrides per setting.
std::vector<Scenario> internal_external_masquerade() {
    std::vector<ServiceDef> services{
        {.name = "svc1", .type = "LoadBalancer", .cluster_ip = 41,
         .ports = {{.name = "p80", .port = 80, .node_port = 30001}}, .lb_ips = {1}},
        {.name = "svc2", .type = "LoadBalancer", .cluster_ip = 42,
         .ports = {{.name = "p80", .port = 80, .node_port = 30002}}, .lb_ips = {5}, .external_policy = "Local"},
        {.name = "svc3", .type = "LoadBalancer", .cluster_ip = 43,
         .ports = {{.name = "p80", .port = 80, .node_port = 30003}}, .lb_ips = {9}, .internal_policy = "Local"}};
    std::vector<SliceDef> slices{{"svc1", {{"pod1", "node-a"}, {"pod4", "remote"}}},
                                 {"svc2", {{"pod2", "node-a"}, {"pod5", "remote"}}},
                                 {"svc3", {{"pod3", "node-a"}, {"pod4", "remote"}}}};
    const std::string s1 = "pod1 pod4", s2 = "pod2 pod5", s3 = "pod3 pod4";
    std::vector<Flow> base{
        {"pod to ClusterIP", "pod", "cip:41", 80, s1, false},
        {"pod to NodePort", "pod", "node", 30001, s1, true},
        {"pod to LB", "pod", "lb:1", 80, s1, true},
        {"node to ClusterIP", "node", "cip:41", 80, s1, true},
        {"node to NodePort", "node", "node", 30001, s1, true},
        {"node to LB", "node", "lb:1", 80, s1, true},
        {"external to ClusterIP", "external", "cip:41", 80, s1, true},
        {"external to NodePort", "external", "node", 30001, s1, true},
        {"external to LB", "external", "lb:1", 80, s1, true},
        {"pod to ClusterIP with eTP:Local", "pod", "cip:42", 80, s2, false},
        {"pod to NodePort with eTP:Local", "pod", "node", 30002, s2, false},
        {"pod to LB with eTP:Local", "pod", "lb:5", 80, s2, false},
        {"node to ClusterIP with eTP:Local", "node", "cip:42", 80, s2, true},
        // Upstream sends this one to svc1's NodePort (3001) as well.
        {"node to NodePort with eTP:Local", "node", "node", 30001, s1, true},
        {"node to LB with eTP:Local", "node", "lb:5", 80, s2, true},
        {"external to ClusterIP with eTP:Local", "external", "cip:42", 80, s2, true},
        {"external to NodePort with eTP:Local", "external", "node", 30002, "pod2", false},
        {"external to LB with eTP:Local", "external", "lb:5", 80, "pod2", false},
        {"pod to ClusterIP with iTP:Local", "pod", "cip:43", 80, "pod3", false},
        {"pod to NodePort with iTP:Local", "pod", "node", 30003, s3, true},
        {"pod to LB with iTP:Local", "pod", "lb:9", 80, s3, true},
        {"node to ClusterIP with iTP:Local", "node", "cip:43", 80, "pod3", true},
        {"node to NodePort with iTP:Local", "node", "node", 30003, s3, true},
        {"node to LB with iTP:Local", "node", "lb:9", 80, s3, true},
        {"external to ClusterIP with iTP:Local", "external", "cip:43", 80, "pod3", true},
        {"external to NodePort with iTP:Local", "external", "node", 30003, s3, true},
        {"external to LB with iTP:Local", "external", "lb:9", 80, s3, true}};

    struct Override {
        std::string flow;
        std::optional<bool> masq;
        std::optional<std::string> expect;
    };
    auto variant = [&](const std::string& name, Settings settings, const std::vector<Override>& overrides) {
        Scenario s{"InternalExternalMasquerade/" + name, services, slices, base, {}, settings};
        for (const auto& o : overrides) {
            auto it = std::find_if(s.flows.begin(), s.flows.end(), [&](const Flow& f) { return f.name == o.flow; });
            if (it == s.flows.end()) throw std::logic_error("override for unknown flow " + o.flow);
            if (o.masq) it->masq = *o.masq;
            if (o.expect) it->expect = *o.expect;
        }
        return s;
    };
    const std::vector<Override> no_detector{
        {"node to ClusterIP", false, {}},
        {"node to ClusterIP with eTP:Local", false, {}},
        {"node to ClusterIP with iTP:Local", false, {}},
        {"external to ClusterIP", false, {}},
        {"external to ClusterIP with eTP:Local", false, {}},
        {"external to ClusterIP with iTP:Local", false, {}},
        {"pod to NodePort with eTP:Local", {}, "pod2"},
        {"pod to LB with eTP:Local", {}, "pod2"}};
    const std::vector<Override> masquerade_all{{"pod to ClusterIP", true, {}},
                                               {"pod to ClusterIP with eTP:Local", true, {}},
                                               {"pod to ClusterIP with iTP:Local", true, {}}};
    std::vector<Override> both = masquerade_all;
    both.push_back({"pod to NodePort with eTP:Local", {}, "pod2"});
    both.push_back({"pod to LB with eTP:Local", {}, "pod2"});
    return {variant("base", {}, {}),
            variant("no LocalTrafficDetector", {.cluster_cidr = false}, no_detector),
            variant("masqueradeAll", {.masquerade_all = true}, masquerade_all),
            variant("masqueradeAll, no LocalTrafficDetector", {.cluster_cidr = false, .masquerade_all = true}, both)};
}

std::vector<Scenario> all_scenarios() {
    std::vector<Scenario> all{no_endpoints_reject(), cluster_ip_general(), load_balancer(), node_ports(false),
                              node_ports(true), external_traffic_policy("Local"), external_traffic_policy("Cluster")};
    all.push_back(internal_traffic_policy("cluster", "Cluster", {"node-a", "node1", "node2"}, "pod1 pod2 pod3"));
    all.push_back(internal_traffic_policy("local, one local endpoint", "Local", {"node-a", "node1", "node2"}, "pod1"));
    all.push_back(
        internal_traffic_policy("local, several local endpoints", "Local", {"node-a", "node-a", "node2"}, "pod1 pod2"));
    all.push_back(internal_traffic_policy("local, no local endpoints", "Local", {"node0", "node1", "node2"}, kDrop));
    for (auto& s : terminating_endpoints()) all.push_back(std::move(s));
    for (auto& s : internal_external_masquerade()) all.push_back(std::move(s));
    return all;
}

// ------------------------------------------------------ the lab's addresses

struct Family {
    std::string name;  // IPv4 | IPv6
    bool v6 = false;
    std::string node, node_alt, client, client_blocked, source_range;

    std::string cluster_ip(int n) const { return (v6 ? "fd00:10:96::" : "10.96.0.") + std::to_string(n); }
    std::string lb_ip(int n) const { return (v6 ? "2001:db8:198::" : "198.51.100.") + std::to_string(n); }
    std::string external_ip(int n) const { return (v6 ? "2001:db8:198::1:" : "192.0.2.") + std::to_string(n); }
    static int pod_number(const std::string& pod) { return std::stoi(pod.substr(3)); }
    std::string pod_ip(const std::string& pod) const {
        return (v6 ? "fd00:10:244:1::" : "10.244.1.") + std::to_string(10 + pod_number(pod));
    }
};

const Family kIPv4{"IPv4", false, "203.0.113.1", "203.0.113.2", "203.0.113.100", "203.0.113.130", "203.0.113.0/25"};
const Family kIPv6{"IPv6", true, "2001:db8:ff::1", "2001:db8:ff::2", "2001:db8:ff::100", "2001:db8:ff::1:130",
                   "2001:db8:ff::/112"};

constexpr int kPods = 6;  // pod1..pod5 serve, pod6 is the "pod" client
const std::string kClientPod = "pod6";

std::string service_yaml(const ServiceDef& s, const Family& f) {
    std::ostringstream y;
    y << "apiVersion: v1\nkind: Service\nmetadata:\n  name: " << s.name << "\n  namespace: default\nspec:\n"
      << "  type: " << s.type << "\n  clusterIP: " << f.cluster_ip(s.cluster_ip) << "\n  ipFamilies: [" << f.name
      << "]\n  ipFamilyPolicy: SingleStack\n";
    if (!s.external_policy.empty()) y << "  externalTrafficPolicy: " << s.external_policy << "\n";
    if (!s.internal_policy.empty()) y << "  internalTrafficPolicy: " << s.internal_policy << "\n";
    if (!s.external_ips.empty()) {
        y << "  externalIPs:\n";
        for (int n : s.external_ips) y << "  - " << f.external_ip(n) << "\n";
    }
    if (s.source_ranges) y << "  loadBalancerSourceRanges:\n  - " << f.source_range << "\n";
    y << "  ports:\n";
    for (const auto& p : s.ports) {
        y << "  - port: " << p.port << "\n    protocol: " << p.protocol << "\n";
        if (!p.name.empty()) y << "    name: " << p.name << "\n";
        y << "    targetPort: " << (p.target ? p.target : p.port) << "\n";
        if (p.node_port) y << "    nodePort: " << p.node_port << "\n";
    }
    if (!s.lb_ips.empty()) {
        y << "status:\n  loadBalancer:\n    ingress:\n";
        for (int n : s.lb_ips) y << "    - ip: " << f.lb_ip(n) << "\n";
    }
    return y.str();
}

std::string slice_yaml(const SliceDef& slice, const ServiceDef& svc, const Family& f) {
    std::vector<SliceEndpointSpec> endpoints;
    for (const auto& e : slice.endpoints)
        endpoints.push_back({f.pod_ip(e.pod), e.node, e.ready, e.serving, e.terminating});
    std::vector<ContainerPortSpec> ports;
    for (const auto& p : svc.ports) ports.push_back({p.name, p.target ? p.target : p.port, p.protocol});
    return endpoint_slice_yaml(slice.service + "-1", slice.service, endpoints, ports, f.name);
}

// ------------------------------------------------------------ the replay

class KubeProxyFlows : public ::testing::TestWithParam<std::tuple<int, Family>> {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root()) return;
        setup_error_.clear();
        if (svcnat_binary().empty() || !std::filesystem::exists(svcnat_binary())) {
            setup_error_ = "svcnat executable not found (SVCNAT_BIN='" + svcnat_binary() + "')";
            return;
        }
        lab_ = std::make_unique<Lab>("e2e-c");
        try {
            lab_->up({.pods = kPods, .ipv6 = true});
            prepare_addresses();
            // "Not intercepted" lands here: the node's own server on the NodePorts.
            lab_->spawn("node", "node-server",
                        {kPython, scripts_dir() + "/podserver.py", "--name", "node", "--http", "30001,30002,30003"});
            wait_for_node_server();
            sctp_ = lab_->has_sctp(kClientPod);
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() { lab_.reset(); }

    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    }

    static std::string scripts_dir() {
        const auto sh = lab_script();
        return sh.substr(0, sh.rfind('/'));
    }

    // Addresses the flows need, all inside the lab's namespaces: the
    // alternate node IP (deprecated in IPv6 so that source selection and
    // masquerading keep choosing the primary) and the blocked client.
    static void prepare_addresses() {
        for (const auto& [where, argv] : std::vector<std::pair<std::string, std::vector<std::string>>>{
                 {"node", {"ip", "addr", "add", kIPv4.node_alt + "/32", "dev", "ext0"}},
                 {"node", {"ip", "-6", "addr", "add", kIPv6.node_alt + "/128", "dev", "ext0", "nodad", "preferred_lft",
                           "0"}},
                 {"client", {"ip", "addr", "add", kIPv4.client_blocked + "/24", "dev", "eth0"}},
                 {"client", {"ip", "-6", "addr", "add", kIPv6.client_blocked + "/64", "dev", "eth0", "nodad"}}}) {
            auto r = lab_->exec(where, argv);
            if (!r.ok()) throw std::runtime_error("adding a lab address failed: " + r.describe());
        }
    }

    static void wait_for_node_server() {
        for (int i = 0; i < 50; ++i) {
            if (lab_->tcp_connect("node", "127.0.0.1", 30001, 1).ok) return;
            usleep(100'000);
        }
        throw std::runtime_error("the node's server did not start");
    }

    ::testing::AssertionResult apply(const Scenario& s, const Family& f, bool with_slices) {
        manifests_ = std::make_unique<ManifestDir>();
        std::vector<std::string> docs{node_yaml("node-a", {kIPv4.node, kIPv6.node})};
        for (const auto& svc : s.services) docs.push_back(service_yaml(svc, f));
        if (with_slices)
            for (const auto& slice : s.slices) {
                auto svc = std::find_if(s.services.begin(), s.services.end(),
                                        [&](const ServiceDef& d) { return d.name == slice.service; });
                docs.push_back(slice_yaml(slice, *svc, f));
            }
        manifests_->write("cluster.yaml", documents(docs));
        std::vector<std::string> argv{svcnat_binary(), "sync", "--once", "--node-name", "node-a", "--service-cidr",
                                      "10.96.0.0/12,fd00:10:96::/112"};
        if (s.settings.cluster_cidr) argv.insert(argv.end(), {"--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48"});
        if (s.settings.masquerade_all) argv.push_back("--masquerade-all");
        if (s.settings.nodeport_cidrs)
            argv.insert(argv.end(), {"--nodeport-addresses", "203.0.113.0/24,2001:db8:ff::/64"});
        argv.push_back(manifests_->path());
        auto r = lab_->exec("node", argv, 60);
        if (!r.ok()) return ::testing::AssertionFailure() << "svcnat sync --once failed: " << r.describe();
        // Each scenario starts from a clean connection-tracking table, as
        // upstream's stateless packet tracer does.
        lab_->exec("node", {"conntrack", "-F"});
        return ::testing::AssertionSuccess();
    }

    struct Origin {
        std::string where, source;
    };
    static Origin origin_of(const std::string& from, const Family& f) {
        if (from == "pod") return {kClientPod, f.pod_ip(kClientPod)};
        if (from == "node") return {"node", f.node_alt};
        if (from == "external") return {"client", f.client};
        if (from == "blocked") return {"client", f.client_blocked};
        if (from.rfind("lb:", 0) == 0) return {"node", f.lb_ip(std::stoi(from.substr(3)))};
        if (from.rfind("pod", 0) == 0) return {from, f.pod_ip(from)};
        throw std::logic_error("unknown flow origin " + from);
    }
    static std::string target_of(const std::string& to, const Family& f) {
        auto n = [&] { return std::stoi(to.substr(to.find(':') + 1)); };
        if (to == "node") return f.node;
        if (to == "node-alt") return f.node_alt;
        if (to.rfind("cip:", 0) == 0) return f.cluster_ip(n());
        if (to.rfind("lb:", 0) == 0) return f.lb_ip(n());
        if (to.rfind("ext:", 0) == 0) return f.external_ip(n());
        throw std::logic_error("unknown flow target " + to);
    }

    // One flow: `count` new connections (or datagrams) and what became of them.
    std::vector<ProbeOutcome> send(const Flow& flow, const Origin& o, const std::string& host, int count,
                                   double timeout_s) const {
        if (flow.protocol == "UDP") return lab_->udp(o.where, host, flow.port, count, 0, timeout_s, o.source);
        if (flow.protocol == "SCTP") return lab_->sctp(o.where, host, flow.port, count, timeout_s);
        const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        return lab_->http(o.where, "http://" + h + ":" + std::to_string(flow.port) + "/whoami", count, timeout_s,
                          o.source);
    }

    // "Same node to LB, SNATted to LB": the node holds the LB address while
    // the flow runs (as a node answering for its load balancer would). On
    // ext0 after the primary (deprecated in IPv6), so that masquerading
    // still picks the primary and the pod can tell.
    struct NodeAddress {
        std::string address;
        NodeAddress(const std::string& a, bool v6) : address(a) {
            auto r = lab_->exec("node", v6 ? std::vector<std::string>{"ip", "-6", "addr", "add", a + "/128", "dev",
                                                                      "ext0", "nodad", "preferred_lft", "0"}
                                           : std::vector<std::string>{"ip", "addr", "add", a + "/32", "dev", "ext0"});
            if (!r.ok()) throw std::runtime_error("adding " + a + " to the node failed: " + r.describe());
        }
        ~NodeAddress() { lab_->exec("node", {"ip", "addr", "del", address, "dev", "ext0"}); }
    };

    ::testing::AssertionResult replay(const Flow& flow, const Family& f) const {
        const Origin o = origin_of(flow.from, f);
        std::optional<NodeAddress> lb_address;
        if (flow.from.rfind("lb:", 0) == 0) lb_address.emplace(o.source, f.v6);
        const std::string host = target_of(flow.to, f);
        if (flow.expect == kReject || flow.expect == kDrop) {
            auto outcomes = send(flow, o, host, 1, flow.expect == kDrop ? 1.0 : 3.0);
            const auto& r = outcomes.at(0);
            const std::string want = flow.expect == kReject ? "ECONNREFUSED" : "timeout";
            if (r.ok || r.error != want || (flow.expect == kReject && r.ms >= 1000))
                return ::testing::AssertionFailure() << "wanted " << flow.expect << ", got " << r.str();
            return ::testing::AssertionSuccess();
        }
        std::set<std::string> expected;
        std::istringstream words(flow.expect == kNode ? "node" : flow.expect);
        for (std::string w; words >> w;) expected.insert(w);
        // Enough tries that every endpoint is seen: 2 endpoints x 20 misses
        // one with p = 2e-6, 3 x 30 with p = 2e-5.
        const int count = expected.size() == 1 ? 4 : 10 * static_cast<int>(expected.size());
        std::set<std::string> answered, seen_sources;
        std::map<std::string, int> errors;
        for (const auto& r : send(flow, o, host, count, 2.0)) {
            std::istringstream reply(r.answer);
            std::string who, client;
            if (!r.ok || !(reply >> who >> client)) {
                ++errors[r.str()];
                continue;
            }
            answered.insert(who);
            seen_sources.insert(client);
        }
        auto failure = [&] {
            auto a = ::testing::AssertionFailure();
            a << "answered by {";
            for (const auto& w : answered) a << " " << w;
            a << " } (want { " << flow.expect << " }), source seen {";
            for (const auto& s : seen_sources) a << " " << s;
            a << " } (sent " << o.source << ", masq wanted " << flow.masq << ")";
            for (const auto& [e, n] : errors) a << "; " << n << "x " << e;
            return a;
        };
        if (!errors.empty() || answered != expected) return failure();
        if (flow.expect == kNode) return ::testing::AssertionSuccess();
        const bool kept = seen_sources == std::set<std::string>{o.source};
        const bool masqueraded = !seen_sources.count(o.source);
        if (flow.masq ? !masqueraded : !kept) return failure();
        return ::testing::AssertionSuccess();
    }

    // Replays the flows; returns how many did what kube-proxy does.
    int replay_all(const std::vector<Flow>& flows, const Family& f, int* skipped) {
        int passed = 0;
        for (const auto& flow : flows) {
            if (flow.protocol == "SCTP" && !sctp_) {
                ++*skipped;  // the kernel has no SCTP: nothing to replay
                continue;
            }
            auto r = replay(flow, f);
            EXPECT_TRUE(r) << "flow \"" << flow.name << "\" (" << flow.from << " -> " << flow.to << ":" << flow.port
                           << "/" << flow.protocol << ")";
            passed += r ? 1 : 0;
        }
        return passed;
    }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::string setup_error_;
    static inline bool sctp_ = false;
    std::unique_ptr<ManifestDir> manifests_;
};

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> all = all_scenarios();
    return all;
}

TEST_P(KubeProxyFlows, Replay) {
    const auto& [index, family] = GetParam();
    const Scenario& s = scenarios().at(index);
    int skipped = 0, passed = 0, total = static_cast<int>(s.flows.size() + s.after_slices_deleted.size());
    ASSERT_TRUE(apply(s, family, true));
    passed += replay_all(s.flows, family, &skipped);
    if (!s.after_slices_deleted.empty()) {
        ASSERT_TRUE(apply(s, family, false));
        passed += replay_all(s.after_slices_deleted, family, &skipped);
    }
    RecordProperty("flows", total);
    RecordProperty("passed", passed);
    RecordProperty("skipped", skipped);
    std::printf("[ flows    ] %s %s: %d/%d as kube-proxy%s\n", s.name.c_str(), family.name.c_str(), passed,
                total - skipped, skipped ? (", " + std::to_string(skipped) + " skipped (no SCTP)").c_str() : "");
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<int, Family>>& info) {
    std::string name = scenarios().at(std::get<0>(info.param)).name + "_" + std::get<1>(info.param).name;
    for (auto& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(KubeProxy, KubeProxyFlows,
                         ::testing::Combine(::testing::Range(0, static_cast<int>(scenarios().size())),
                                            ::testing::Values(kIPv4, kIPv6)),
                         param_name);

}  // namespace
}  // namespace svcnat::e2e
