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
};

// Moves the objects that pass into `out`, appending errors to `diags`.
void cross_check(std::vector<StagedService>& services, Manifests& staged, Manifests& out, std::vector<Diagnostic>& diags);

}  // namespace svcnat::manifest
