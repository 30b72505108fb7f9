// Checks that span objects, done after every document has been decoded: the
// API server refuses a second object with the same name, and its allocators
// refuse a ClusterIP or NodePort already held by another Service. The first
// object (in file order) wins; later ones get the error and are dropped.
#pragma once

#include <vector>

#include "control/model/diagnostic.hpp"
#include "control/model/objects.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

struct StagedService {
    Service service;
    ServiceLines lines;
    // Refused by its own file's checks already: kept only so that the checks
    // against the cluster's service ranges report on it too, as the API
    // server reports every problem of an object at once.
    bool rejected = false;
};

// Moves the objects that pass into `out`, appending errors to `diags`.
// `configured_cidrs` (--service-cidr) and the ServiceCIDR objects make the
// cluster's service ranges, which ClusterIPs and families are checked
// against.
void cross_check(std::vector<StagedService>& services, Manifests& staged, const std::vector<CIDR>& configured_cidrs,
                 Manifests& out, std::vector<Diagnostic>& diags);

}  // namespace svcnat::manifest
