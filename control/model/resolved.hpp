// The normalised result of endpoint resolution: one entry per service port,
// with everything a data path needs and nothing it has to look up elsewhere.
// This is the single input of the nftables ruleset builder, the DPDK gateway
// and the health-check server.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "discovery.hpp"
#include "objects.hpp"
#include "route_state.hpp"

namespace svcnat {

struct ResolvedEndpoint {
    IPAddr ip;
    uint16_t port = 0;  // target port, resolved from a name where needed
    bool ready = true;
    bool serving = true;
    bool terminating = false;
    bool is_local = false;  // nodeName equals this node's name
    std::string nodeName;
    std::string zone;
    // DNS name of the endpoint within its service ("" = the dashed address):
    // the slice's or Endpoints' hostname, or a Pod's spec.hostname when its
    // spec.subdomain is the service (as the EndpointSlice controller sets it).
    std::string hostname;

    auto operator<=>(const ResolvedEndpoint&) const = default;
    bool operator==(const ResolvedEndpoint&) const = default;
};

struct ResolvedServicePort {
    std::string ns;
    std::string name;       // the Service's name
    std::string portName;   // ServicePort.name, may be empty
    Protocol protocol = Protocol::TCP;
    uint16_t port = 0;
    uint16_t nodePort = 0;  // 0: none
    ServiceType type = ServiceType::ClusterIP;

    std::vector<IPAddr> clusterIPs;      // empty for headless / ExternalName
    std::vector<IPAddr> externalIPs;
    std::vector<IPAddr> loadBalancerIPs;  // status ingress + spec.loadBalancerIP
    std::vector<CIDR> loadBalancerSourceRanges;

    SessionAffinity sessionAffinity = SessionAffinity::None;
    uint32_t sessionAffinityTimeout = 10800;
    TrafficPolicy externalTrafficPolicy = TrafficPolicy::Cluster;
    TrafficPolicy internalTrafficPolicy = TrafficPolicy::Cluster;
    uint16_t healthCheckNodePort = 0;

    // Sorted by (ip, port); duplicates removed. Includes not-ready endpoints
    // with their conditions: data paths choose (ready first, then
    // serving+terminating) with the helpers below.
    std::vector<ResolvedEndpoint> endpoints;

    // "ns/name:portName" (":portName" omitted when empty), as kube-proxy logs it.
    std::string id() const;

    // A service port's identity: what stays the same when its addresses or
    // endpoints change. ServiceState::ports is sorted by it. Within one
    // valid state (ns, name, portName) is unique already; protocol and port
    // keep the order total whatever the input.
    auto identity() const { return std::tie(ns, name, portName, protocol, port); }
    // id() plus the protocol: "default/kubia:http/TCP", the name the
    // daemon's logs use for a port.
    std::string key() const;

    bool operator==(const ResolvedServicePort&) const = default;
};

// Endpoints that should receive new connections, kube-proxy's rule: the ready
// ones; if there are none, the serving+terminating ones. `local_only` keeps
// only this node's endpoints (traffic policy Local).
std::vector<const ResolvedEndpoint*> usable_endpoints(const ResolvedServicePort& sp, bool local_only);
std::vector<const ResolvedEndpoint*> usable_endpoints(const std::vector<ResolvedEndpoint>& endpoints, bool local_only);

// The node's view: which node we are and its addresses.
struct NodeInfo {
    std::string name;
    std::vector<IPAddr> ips;  // primary IPs (from --node-ip or the Node object)
    std::string zone;
};

inline std::strong_ordering compare_identity(const ResolvedServicePort& a, const ResolvedServicePort& b) {
    return a.identity() <=> b.identity();
}

// The whole desired state for data paths, sorted by identity().
struct ServiceState {
    NodeInfo node;
    std::vector<ResolvedServicePort> ports;
    std::vector<CIDR> service_cidrs;  // the cluster's service ranges (effective_service_cidrs)
    // What cluster DNS answers (filled when DNS is served: Settings::dns_enabled()).
    DiscoveryState discovery;
    // What the L7 proxy serves (filled when Ingress is served: Settings::ingress_enabled()).
    RouteState routes;
};

}  // namespace svcnat
