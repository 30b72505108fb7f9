// Value checks of the routing objects (Ingress, Gateway API) with the API
// server's messages: networking/validation for Ingress, the Gateway API
// CRDs' patterns and CEL rules for Gateways and HTTPRoutes. Each function
// returns the messages for one value (empty: valid).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/model/l7_objects.hpp"

namespace svcnat::manifest {

// An Ingress rule's or TLS entry's host: a DNS-1123 subdomain, or
// "*." and one ("a wildcard DNS-1123 subdomain"); never an IP address.
std::vector<std::string> ingress_host_errors(std::string_view host);

// An Ingress path for its pathType (the API server's checks), plus what
// svcnat needs to put it into the proxy's tables safely: the characters of
// an RFC 3986 path (the rule the Gateway API's CRDs apply to theirs).
std::vector<std::string> ingress_path_errors(std::string_view path, IngressPathType type);

// Gateway API Hostname: a lowercase DNS name, optionally "*." first.
std::vector<std::string> gateway_hostname_errors(std::string_view host);

// An HTTPRoute path match value for its type (the CRD's CEL rules).
std::vector<std::string> route_path_errors(std::string_view path, PathMatchType type);

// An HTTP header or query parameter name (RFC 7230 token, as the CRD's pattern).
std::vector<std::string> http_token_errors(std::string_view name);

// A header value svcnat writes into a request or response (no control
// characters: a line break would split the header).
std::vector<std::string> header_value_errors(std::string_view value);

// A controller name (IngressClass spec.controller, GatewayClass
// spec.controllerName): a DNS-1123 subdomain, '/', then a non-empty path of
// the characters '^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$' allows.
bool is_domain_prefixed_path(std::string_view name);

}  // namespace svcnat::manifest
