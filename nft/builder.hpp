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

#include "../control/config/settings.hpp"
#include "../control/model/resolved.hpp"
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

// "ns/name/tcp/portName" (port number when unnamed): the suffix of a
// service port's own chains, readable in `nft list ruleset` like kube-proxy's.
std::string service_chain_suffix(const ResolvedServicePort& sp);

}  // namespace svcnat::nft
