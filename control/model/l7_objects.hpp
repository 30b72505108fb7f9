// The objects that route HTTP to Services: networking.k8s.io/v1 Ingress and
// IngressClass, the v1 Secrets that hold their certificates and the v1
// Namespaces that Gateway listeners select, and the Gateway API's
// (gateway.networking.k8s.io) GatewayClass, Gateway, HTTPRoute and
// ReferenceGrant. Plain data named after the API fields, as objects.hpp:
// the manifest loader fills and checks them, routes.hpp turns them into
// what the L7 proxy serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object_meta.hpp"

namespace svcnat {

// ---- networking.k8s.io/v1 ----------------------------------------------

enum class IngressPathType : uint8_t { Exact, Prefix, ImplementationSpecific };

// IngressServiceBackend: a Service and one of its ports, by number or name.
struct IngressBackend {
    std::string service;
    std::string port_name;     // port.name, or
    uint16_t port_number = 0;  // port.number (0: by name)
    uint32_t line = 0;         // of the backend, for messages about it
    std::string port_str() const { return port_number ? std::to_string(port_number) : port_name; }
};

struct IngressPath {
    std::string path;  // "" only for ImplementationSpecific without a path ("/")
    IngressPathType pathType = IngressPathType::Prefix;
    IngressBackend backend;
    uint32_t line = 0;
};

struct IngressRule {
    std::string host;  // "" = every host; "*.foo.com" = exactly one label before foo.com
    std::vector<IngressPath> paths;
    uint32_t line = 0;
};

struct IngressTLS {
    std::vector<std::string> hosts;
    std::string secretName;
    uint32_t line = 0;
};

struct Ingress {
    ObjectMeta meta;
    std::string ingressClassName;  // "" when absent
    std::optional<IngressBackend> defaultBackend;
    std::vector<IngressTLS> tls;
    std::vector<IngressRule> rules;
};

struct IngressClass {
    ObjectMeta meta;  // cluster-scoped: meta.ns is empty
    std::string controller;
    bool is_default = false;  // annotation ingressclass.kubernetes.io/is-default-class: "true"
};

// ---- v1 ------------------------------------------------------------------

// A Secret holding a certificate (type kubernetes.io/tls, or any type with
// tls.crt and tls.key, as ingress controllers accept). Other Secrets are not
// kept: svcnat has no use for them.
struct TLSSecret {
    ObjectMeta meta;
    std::string certificate;  // tls.crt, PEM (decoded from data or stringData)
    std::string key;          // tls.key, PEM
    // Why it cannot be served ("" = it can): not PEM, a key that is not the
    // certificate's. The API server does not look (ingress controllers do):
    // the Secret is valid, and its hosts get the default certificate.
    std::string problem;
};

struct Namespace {
    ObjectMeta meta;  // cluster-scoped: meta.ns is empty
};

// ---- gateway.networking.k8s.io ------------------------------------------

struct GatewayClass {
    ObjectMeta meta;  // cluster-scoped
    std::string controllerName;
};

struct LabelSelectorRequirement {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
};

struct LabelSelector {
    Labels matchLabels;
    std::vector<LabelSelectorRequirement> matchExpressions;
    bool matches(const Labels& labels) const;
};

enum class FromNamespaces : uint8_t { Same, All, Selector };

// A reference to a Secret from a listener's tls.certificateRefs.
struct SecretReference {
    std::string ns;  // defaulted to the Gateway's namespace
    std::string name;
    uint32_t line = 0;
};

struct GatewayListener {
    std::string name;
    std::string hostname;  // "" = any
    uint16_t port = 0;
    std::string protocol;  // HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed one
    bool passthrough = false;  // tls.mode Passthrough
    std::vector<SecretReference> certificateRefs;
    FromNamespaces from = FromNamespaces::Same;
    LabelSelector selector;             // from: Selector
    std::vector<std::string> kinds;     // allowedRoutes.kinds (empty: the protocol's)
    uint32_t line = 0;
};

struct Gateway {
    ObjectMeta meta;
    std::string gatewayClassName;
    std::vector<GatewayListener> listeners;
};

struct ParentReference {
    std::string kind = "Gateway";  // with group gateway.networking.k8s.io
    std::string ns;                // defaulted to the route's namespace
    std::string name;
    std::string sectionName;  // "" = every listener
    uint16_t port = 0;        // 0 = any
    uint32_t line = 0;
};

enum class PathMatchType : uint8_t { Exact, PathPrefix, RegularExpression };
enum class ValueMatchType : uint8_t { Exact, RegularExpression };

struct HTTPPathMatch {
    PathMatchType type = PathMatchType::PathPrefix;
    std::string value = "/";
};

// A header or query parameter match.
struct HTTPValueMatch {
    ValueMatchType type = ValueMatchType::Exact;
    std::string name;
    std::string value;
    bool operator==(const HTTPValueMatch&) const = default;
};

struct HTTPRouteMatch {
    HTTPPathMatch path;
    std::vector<HTTPValueMatch> headers;
    std::vector<HTTPValueMatch> queryParams;
    std::string method;  // "" = any
    uint32_t line = 0;
};

struct HTTPHeader {
    std::string name;
    std::string value;
    bool operator==(const HTTPHeader&) const = default;
};

struct HTTPHeaderFilter {
    std::vector<HTTPHeader> set;
    std::vector<HTTPHeader> add;
    std::vector<std::string> remove;
    bool operator==(const HTTPHeaderFilter&) const = default;
};

enum class PathModifierType : uint8_t { ReplaceFullPath, ReplacePrefixMatch };

struct HTTPPathModifier {
    PathModifierType type = PathModifierType::ReplaceFullPath;
    std::string value;
    bool operator==(const HTTPPathModifier&) const = default;
};

struct HTTPRequestRedirect {
    std::string scheme;    // "" = the request's
    std::string hostname;  // "" = the request's
    std::optional<HTTPPathModifier> path;
    uint16_t port = 0;  // 0 = not given
    uint16_t statusCode = 302;
    bool operator==(const HTTPRequestRedirect&) const = default;
};

struct HTTPURLRewrite {
    std::string hostname;
    std::optional<HTTPPathModifier> path;
    bool operator==(const HTTPURLRewrite&) const = default;
};

// Only the filters svcnat serves are kept (the decoder reports the others
// and marks their rule unsupported).
struct HTTPRouteFilter {
    enum class Type : uint8_t { RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite };
    Type type = Type::RequestHeaderModifier;
    HTTPHeaderFilter headers;  // the two header modifiers
    HTTPRequestRedirect redirect;
    HTTPURLRewrite rewrite;
};

struct HTTPBackendRef {
    std::string group;           // "" = core
    std::string kind = "Service";
    std::string ns;              // defaulted to the route's namespace
    std::string name;
    uint16_t port = 0;
    uint32_t weight = 1;
    uint32_t line = 0;
};

struct HTTPRouteRule {
    std::vector<HTTPRouteMatch> matches;  // defaulted to one PathPrefix "/" match
    std::vector<HTTPRouteFilter> filters;
    std::vector<HTTPBackendRef> backendRefs;
    // Why svcnat cannot serve this rule as written ("" = it can): a filter
    // or field of the API svcnat does not implement. Reported when decoded;
    // the rule is left out, the route's other rules are served.
    std::string unsupported;
    uint32_t line = 0;
};

struct HTTPRoute {
    ObjectMeta meta;
    std::vector<ParentReference> parentRefs;
    std::vector<std::string> hostnames;
    std::vector<HTTPRouteRule> rules;
};

// Lets objects of `from` namespaces refer to objects in the grant's own.
struct ReferenceGrant {
    struct From {
        std::string group, kind, ns;
    };
    struct To {
        std::string group, kind, name;  // name "" = every object of the kind
    };
    ObjectMeta meta;
    std::vector<From> from;
    std::vector<To> to;
};

// Does some grant in `to_ns` let a `from_kind` (of `from_group`) in
// `from_ns` refer to the `to_kind` object `to_name`?
bool reference_granted(const std::vector<ReferenceGrant>& grants, std::string_view from_group,
                       std::string_view from_kind, std::string_view from_ns, std::string_view to_group,
                       std::string_view to_kind, std::string_view to_ns, std::string_view to_name);

}  // namespace svcnat
