// Endpoint resolution as the Kubernetes endpoints / EndpointSlice controllers
// do it: selector over Pods of the same namespace, named target ports through
// the pods' container ports, readiness and publishNotReadyAddresses; Services
// without a selector take their EndpointSlices (label
// kubernetes.io/service-name) or, failing those, their Endpoints object.
#pragma once

#include <vector>

#include "diagnostic.hpp"
#include "objects.hpp"
#include "resolved.hpp"

namespace svcnat {

// Pure: same input, same output (sorted). Headless and ExternalName services
// yield no entries (kube-proxy ignores them). Warnings (e.g. a named
// targetPort that matches no container port of a selected pod) are appended
// to `warnings` when given.
ServiceState resolve(const Manifests& manifests, const NodeInfo& node,
                     std::vector<Diagnostic>* warnings = nullptr);

// Does `labels` satisfy `selector` (matchLabels equality)? An empty selector
// selects nothing (a Service without selector manages no endpoints).
bool selector_matches(const Labels& selector, const Labels& labels);

}  // namespace svcnat
