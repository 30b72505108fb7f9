// route_state(): Ingresses and Gateway API routes, with the endpoints of
// the Services they name, to what the L7 proxy serves (route_state.hpp).
// Pure, like the rest of the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "diagnostic.hpp"
#include "objects.hpp"
#include "resolved.hpp"
#include "route_state.hpp"

namespace svcnat {

// The endpoints of the Services routes may send to, per service port,
// keyed "ns/name" (resolve() fills it while resolving every service once).
struct RoutedService {
    const Service* service = nullptr;
    std::vector<std::vector<ResolvedEndpoint>> per_port;
};
using RoutedServices = std::unordered_map<std::string, RoutedService>;

// "ns/name" of every Service an Ingress or HTTPRoute refers to (whatever
// their class: a cheap superset for resolve() to keep endpoints of).
std::vector<std::string> routed_service_keys(const Manifests& manifests);

// The whole L7 view. Problems that leave the objects valid (an unknown
// class, a Service or port that does not exist, a missing certificate, a
// path another Ingress already serves) are appended to `warnings`.
RouteState route_state(const Manifests& manifests, const RoutedServices& services, const IngressOptions& options,
                       std::vector<Diagnostic>* warnings);

// Is this Ingress svcnat's (its class, the class annotation, the default
// class, --watch-ingress-without-class)? When not, *why says so.
bool ingress_is_ours(const Ingress& ingress, const Manifests& manifests, const IngressOptions& options,
                     std::string* why = nullptr);

// Element-wise prefix match ("" matches everything): the prefix and the path
// are equal, or the path continues the prefix with '/'.
bool prefix_matches(std::string_view prefix, std::string_view path);

// The hostnames a route serves on a listener (Gateway API): each route
// hostname that intersects the listener's, as the more specific of the two;
// the listener's when the route has none; the route's when the listener has
// none ("" = any host). Empty: the route does not attach.
std::vector<std::string> intersect_hostnames(std::string_view listener, const std::vector<std::string>& route);

}  // namespace svcnat
