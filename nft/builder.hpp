// ServiceState + Settings -> Ruleset: the whole of kernel mode's policy, as a
// pure function (no I/O), so that every behaviour is unit-tested as text.
//
// Layout (docs/DESIGN.md explains the choices and their costs): dispatch is
// two verdict maps (service-ips keyed daddr . l4proto . dport, and
// service-nodeports keyed l4proto . dport) whose elements jump to a small
// number of shared "class" chains, one per (path, endpoint count N); those
// chains DNAT through the shared maps `endpoints` / `nodeport-endpoints`
// keyed by the service's address and port plus `numgen random mod N`. So the
// number of sets, chains and set bindings does not grow with the number of
// services. Services that need per-client state or per-path endpoint subsets
// (ClientIP affinity, externalTrafficPolicy/internalTrafficPolicy Local) get
// kube-proxy-style chains of their own.
#pragma once

#include <string>

#include "control/config/settings.hpp"
#include "control/model/resolved.hpp"
#include "ruleset.hpp"

namespace svcnat::nft {

Ruleset build_ruleset(const ServiceState& state, const Settings& settings);

// Names of the fixed objects, shared by the builder, tests and tools.
namespace names {
inline constexpr const char* kServiceIPs = "service-ips";
inline constexpr const char* kServiceNodePorts = "service-nodeports";
inline constexpr const char* kEndpoints = "endpoints";
inline constexpr const char* kNodePortEndpoints = "nodeport-endpoints";
inline constexpr const char* kClusterIPs = "cluster-ips";
inline constexpr const char* kHairpin = "hairpin";
inline constexpr const char* kNoEndpointServices = "no-endpoint-services";
inline constexpr const char* kNoEndpointNodePorts = "no-endpoint-nodeports";
inline constexpr const char* kFirewallIPs = "firewall-ips";
inline constexpr const char* kNodePortIPs = "nodeport-ips";
inline constexpr const char* kRejectChain = "reject-chain";
inline constexpr const char* kMarkForMasquerade = "mark-for-masquerade";
inline constexpr const char* kMasqueradeNonCluster = "masquerade-non-cluster";
}  // namespace names

// Class chains `cluster-N`, `external-N`, `nodeport-N` for N = 1..this
// exist whatever the services: a service whose endpoint count changes
// within that range only changes elements. Creating a class chain makes the
// kernel walk the whole `endpoints` map to bind its rule (≈ 10–20 ms at
// 100,000 elements); pinned ones are bound once, before the elements go in.
// Larger N get their chain with their first user, as before.
inline constexpr size_t kPinnedClassChains = 16;

// "cluster-N" / "external-N" / "nodeport-N": N (0 when not a class chain).
size_t class_chain_count(const std::string& name);
// The class chain that class chain `name` jumps to, which must exist while
// it does: "cluster-N" for "external-N"; "" for the others.
std::string class_chain_dependency(const std::string& name);
inline bool is_class_chain(const std::string& name) { return class_chain_count(name) != 0; }
inline bool is_pinned_class_chain(const std::string& name) {
    const size_t n = class_chain_count(name);
    return n != 0 && n <= kPinnedClassChains;
}

// "ns/name/tcp/portName" (port number when unnamed): the suffix of a
// service port's own chains, readable in `nft list ruleset` like kube-proxy's.
std::string service_chain_suffix(const ResolvedServicePort& sp);

// The keys of the elements one service port adds to `family`'s table that
// other ports may share: build_ruleset adds exactly these, and the change
// planner counts each key's users with the same functions.
//   Is the port in the table at all (an address of the family, or a NodePort)?
bool port_in_family(const ResolvedServicePort& sp, IPFamily family);
//   `hairpin` pairs (endpoint . endpoint) of its usable endpoints;
std::vector<WireBytes> hairpin_keys(const ResolvedServicePort& sp, IPFamily family);
//   `cluster-ips` elements (its ClusterIPs).
std::vector<WireBytes> cluster_ip_keys(const ResolvedServicePort& sp, IPFamily family);
// Dispatch keys: `service-ips` (address . proto . port) and
// `service-nodeports` (proto . nodePort). Two ports claiming one key
// conflict: the first writer wins.
WireBytes dispatch_key(const IPAddr& ip, Protocol proto, uint16_t port);
WireBytes node_port_key(Protocol proto, uint16_t node_port);
// Every dispatch key a port claims, in any family.
std::vector<WireBytes> claim_keys(const ResolvedServicePort& sp);

}  // namespace svcnat::nft
