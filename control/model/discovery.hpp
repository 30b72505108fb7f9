// What cluster DNS needs to know, derived from the same resolution that
// feeds the kernel rules: every Service (headless and ExternalName ones
// too, which kube-proxy ignores), its ports, its ready backends with their
// DNS hostnames, the namespaces that exist, and the pods (for verified pod
// records). Pure and plain data: the DNS answer tables (control/dns) are
// built from it, so names and rules change in the same reload.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "objects.hpp"

namespace svcnat {

struct NodeInfo;
struct ResolvedEndpoint;

struct DiscoveryPort {
    std::string name;  // the service port's name ("" = unnamed: no SRV name of its own)
    Protocol protocol = Protocol::TCP;
    uint16_t port = 0;
    bool operator==(const DiscoveryPort&) const = default;
};

// One ready backend (an address): `hostname` names it within its service
// ("" = the dashed address, 10-244-1-11); `ports` are its target ports under
// the service ports' names (empty for a headless service without ports).
struct DiscoveryBackend {
    IPAddr ip;
    std::string hostname;
    std::vector<DiscoveryPort> ports;
    bool operator==(const DiscoveryBackend&) const = default;
};

enum class DiscoveryKind { ClusterIP, Headless, ExternalName };

struct DiscoveredService {
    std::string ns, name;
    DiscoveryKind kind = DiscoveryKind::ClusterIP;
    std::vector<IPAddr> clusterIPs;       // ClusterIP kind (NodePort and LoadBalancer too)
    std::string externalName;             // ExternalName kind, as written
    std::vector<DiscoveryPort> ports;     // the service's ports
    std::vector<DiscoveryBackend> backends;  // ready (or publishNotReadyAddresses) endpoints, by address
    bool operator==(const DiscoveredService&) const = default;
};

struct DiscoveryPod {
    std::string ns;
    IPAddr ip;
    bool operator==(const DiscoveryPod&) const = default;
    auto operator<=>(const DiscoveryPod&) const = default;
};

struct DiscoveryState {
    std::vector<DiscoveredService> services;  // sorted by (ns, name)
    // Namespaces that exist: those of any object, and the four every
    // cluster has (default, kube-system, kube-public, kube-node-lease).
    std::vector<std::string> namespaces;  // sorted
    std::vector<DiscoveryPod> pods;       // running pods' addresses, sorted
    bool operator==(const DiscoveryState&) const = default;
};

// The whole view, for callers that want it alone: resolve(..., true)'s
// discovery (resolve.hpp). Services that are not yet allocated (no
// ClusterIP) are left out.
DiscoveryState discover(const Manifests& manifests, const NodeInfo& node);

// The two steps resolve() takes. One service's view from its endpoints (per
// service port; `portless`: a headless service without ports), nullopt
// when it is not allocated yet:
std::optional<DiscoveredService> discovered_service(const Service& svc,
                                                    const std::vector<std::vector<ResolvedEndpoint>>& per_port,
                                                    const std::vector<ResolvedEndpoint>& portless);
// and the whole view from the services' (in any order): sorted, with the
// namespaces and pods of `manifests`.
DiscoveryState discovery_state(std::vector<DiscoveredService> services, const Manifests& manifests);

// A 64-bit digest of everything in `state`: equal states, equal digests
// (a reload that changed nothing DNS answers keeps the answer table).
uint64_t fingerprint(const DiscoveryState& state);

}  // namespace svcnat
