// Endpoint resolution as the Kubernetes EndpointSlice controller and
// kube-proxy do it together: a Service with a selector gets the endpoints of
// its matching Pods (same namespace, named target ports through the pods'
// container ports, readiness, publishNotReadyAddresses) merged with every
// EndpointSlice labelled kubernetes.io/service-name=<its name>, whoever
// wrote it; a backend listed twice counts once, with its most usable
// conditions. Services without a selector take their EndpointSlices or,
// failing those, their Endpoints object.
#pragma once

#include <vector>

#include "diagnostic.hpp"
#include "objects.hpp"
#include "resolved.hpp"
#include "route_state.hpp"

namespace svcnat {

// The views resolve() fills beside the data paths' service ports.
struct ResolveOptions {
    bool discovery = false;                // state.discovery: what cluster DNS answers (discovery.hpp)
    const IngressOptions* routes = nullptr;  // state.routes: what the L7 proxy serves (routes.hpp)
};

// Pure: same input, same output (sorted). Headless and ExternalName services
// yield no entries (kube-proxy ignores them). Warnings (e.g. a named
// targetPort that matches no container port of a selected pod) are appended
// to `warnings` when given. The views asked for in `options` come from the
// same endpoints: each service is resolved once for all of them.
ServiceState resolve(const Manifests& manifests, const NodeInfo& node,
                     std::vector<Diagnostic>* warnings = nullptr, const ResolveOptions& options = {});

// The endpoints of one service, per entry of svc.ports (same order), sorted
// and de-duplicated as in resolve(). Unlike resolve() it also answers for
// headless services (their endpoints are what DNS would return), which
// `svcnat get endpoints` and `describe` show; ExternalName gives empty lists.
std::vector<std::vector<ResolvedEndpoint>> service_endpoints(const Service& svc, const Manifests& manifests,
                                                             const NodeInfo& node,
                                                             std::vector<Diagnostic>* warnings = nullptr);

// service_endpoints() for every service of `manifests` (same order), with
// the lookups built once: for listing many services.
std::vector<std::vector<std::vector<ResolvedEndpoint>>> all_service_endpoints(const Manifests& manifests,
                                                                              const NodeInfo& node,
                                                                              std::vector<Diagnostic>* warnings = nullptr);

// Does `labels` satisfy `selector` (matchLabels equality)? An empty selector
// selects nothing (a Service without selector manages no endpoints).
bool selector_matches(const Labels& selector, const Labels& labels);

}  // namespace svcnat
