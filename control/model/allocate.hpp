// ClusterIP, NodePort and healthCheckNodePort allocation like the API server,
// but deterministic: a missing value is derived from a hash of the object's
// namespace/name (probing forward on collision), so restarts and other nodes
// reading the same manifests reach the same answer.
#pragma once

#include <cstdint>
#include <vector>

#include "diagnostic.hpp"
#include "objects.hpp"

namespace svcnat {

struct AllocationOptions {
    std::vector<CIDR> service_cidrs;  // the cluster's ranges, in order (several per family allowed)
    uint16_t node_port_first = 30000;
    uint16_t node_port_last = 32767;
};

// Fills in what is missing: clusterIPs (per ipFamilies/ipFamilyPolicy),
// nodePorts for NodePort/LoadBalancer ports (unless
// allocateLoadBalancerNodePorts is false for LoadBalancer), and
// healthCheckNodePort for LoadBalancer services with externalTrafficPolicy
// Local. Values already present are kept and reserved first. Exhaustion is
// reported as an error Diagnostic on the service.
void allocate(Manifests& manifests, const AllocationOptions& options, std::vector<Diagnostic>& diagnostics);

}  // namespace svcnat
