// The routing objects (Ingress, IngressClass, TLS Secrets, Namespaces,
// GatewayClass, Gateway, HTTPRoute, ReferenceGrant): what is read, the
// defaults the API server applies, and bad input with the API server's
// (or the Gateway API CRDs') messages, file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/manifest/base64.hpp"
#include "helpers.hpp"
#include "tests/support/tls_fixtures.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> errors_and_warnings(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& d : r.diagnostics)
        if (d.severity != Severity::Notice) out.push_back(d.str());
    return out;
}

// ---- base64 ------------------------------------------------------------------

TEST(Base64, DecodesPaddedInputAndSkipsLineBreaks) {
    size_t at = 99;
    EXPECT_EQ(manifest::decode_base64("aGVsbG8=", &at), "hello");
    EXPECT_EQ(manifest::decode_base64("aGVs\nbG8h", &at), "hell" "o!");
    EXPECT_EQ(manifest::decode_base64("aA==", &at), "h");
    EXPECT_EQ(manifest::decode_base64("", &at), "");
}

TEST(Base64, NamesTheFirstBadByteAsGoDoes) {
    size_t at = 0;
    EXPECT_FALSE(manifest::decode_base64("aGV*bG8=", &at));
    EXPECT_EQ(at, 3u);
    EXPECT_FALSE(manifest::decode_base64("aGVsbG8", &at));  // unpadded: the quantum's start
    EXPECT_EQ(at, 4u);
    EXPECT_FALSE(manifest::decode_base64("aA==aA==", &at));  // padding only at the end
    EXPECT_EQ(at, 2u);
    EXPECT_FALSE(manifest::decode_base64("a===", &at));
    EXPECT_EQ(at, 1u);
}

// ---- Ingress -------------------------------------------------------------------

constexpr std::string_view kFanout = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: simple-fanout-example
  creationTimestamp: "2026-01-02T03:04:05Z"
  annotations:
    kubernetes.io/ingress.class: svcnat
spec:
  ingressClassName: svcnat
  defaultBackend:
    service:
      name: fallback
      port:
        name: http
  tls:
  - hosts: [foo.bar.com, "*.wild.com"]
    secretName: foo-tls
  rules:
  - host: foo.bar.com
    http:
      paths:
      - path: /foo
        pathType: Prefix
        backend:
          service:
            name: service1
            port:
              number: 4200
      - path: /bar
        pathType: Exact
        backend:
          service:
            name: service2
            port:
              number: 8080
  - http:
      paths:
      - pathType: ImplementationSpecific
        backend:
          service: {name: service3, port: {number: 80}}
)";

TEST(IngressFields, ReadsEveryField) {
    auto r = load(kFanout);
    ASSERT_THAT(errors_and_warnings(r), IsEmpty());
    ASSERT_EQ(r.manifests.ingresses.size(), 1u);
    const Ingress& ing = r.manifests.ingresses[0];
    EXPECT_EQ(ing.meta.creationTimestamp, "2026-01-02T03:04:05Z");
    EXPECT_EQ(ing.ingressClassName, "svcnat");
    ASSERT_TRUE(ing.defaultBackend);
    EXPECT_EQ(ing.defaultBackend->service, "fallback");
    EXPECT_EQ(ing.defaultBackend->port_name, "http");
    ASSERT_EQ(ing.tls.size(), 1u);
    EXPECT_THAT(ing.tls[0].hosts, ElementsAre("foo.bar.com", "*.wild.com"));
    EXPECT_EQ(ing.tls[0].secretName, "foo-tls");
    ASSERT_EQ(ing.rules.size(), 2u);
    EXPECT_EQ(ing.rules[0].host, "foo.bar.com");
    ASSERT_EQ(ing.rules[0].paths.size(), 2u);
    EXPECT_EQ(ing.rules[0].paths[0].path, "/foo");
    EXPECT_EQ(ing.rules[0].paths[0].pathType, IngressPathType::Prefix);
    EXPECT_EQ(ing.rules[0].paths[0].backend.service, "service1");
    EXPECT_EQ(ing.rules[0].paths[0].backend.port_number, 4200);
    EXPECT_EQ(ing.rules[0].paths[0].line, 22u);
    EXPECT_EQ(ing.rules[0].paths[1].pathType, IngressPathType::Exact);
    EXPECT_EQ(ing.rules[1].host, "");
    EXPECT_EQ(ing.rules[1].paths[0].path, "");
    EXPECT_EQ(ing.rules[1].paths[0].pathType, IngressPathType::ImplementationSpecific);
}

std::string ingress(std::string_view spec) {
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\nspec:\n" + std::string(spec);
}

std::string one_path(std::string_view path_item) {
    return ingress("  rules:\n  - host: a.com\n    http:\n      paths:\n" + std::string(path_item));
}

const std::string kBackend = "        backend: {service: {name: s, port: {number: 80}}}\n";

struct BadIngress {
    const char* name;
    std::string yaml;
    std::vector<std::string> expected;
};

const std::string kWildcard =
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist "
    "of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. "
    "'*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
    "[a-z0-9])?)*')";

class IngressErrors : public ::testing::TestWithParam<BadIngress> {};

TEST_P(IngressErrors, GivesTheApiServersMessage) {
    auto r = load(GetParam().yaml);
    EXPECT_EQ(errors_and_warnings(r), GetParam().expected);
    EXPECT_TRUE(r.manifests.ingresses.empty()) << "a refused Ingress must not be served";
}

INSTANTIATE_TEST_SUITE_P(
    Table, IngressErrors,
    ::testing::Values(
        BadIngress{"NoRulesNoDefault", ingress("  ingressClassName: svcnat\n"),
                   {"t.yaml:5: spec: Invalid value: []: either `defaultBackend` or `rules` must be specified"}},
        BadIngress{"PathTypeMissing", one_path("      - path: /a\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"}},
        BadIngress{"PathTypeUnknown", one_path("      - path: /a\n        pathType: Regex\n" + kBackend),
                   {"t.yaml:11: spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported values: "
                    "\"Exact\", \"ImplementationSpecific\", \"Prefix\""}},
        BadIngress{"RelativePath", one_path("      - path: a\n        pathType: Prefix\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].path: Invalid value: \"a\": must be an absolute path"}},
        BadIngress{"DoubleSlash", one_path("      - path: /a//b\n        pathType: Exact\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'"}},
        BadIngress{"DotDotSuffix", one_path("      - path: /a/..\n        pathType: Prefix\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].path: Invalid value: \"/a/..\": cannot end with '/..'"}},
        BadIngress{"SpaceInPath", one_path("      - path: /a b\n        pathType: Prefix\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].path: Invalid value: \"/a b\": must only contain valid "
                    "characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)"}},
        BadIngress{"HostileLength", one_path("      - path: /" + std::string(1100, 'a') + "\n        pathType: Prefix\n" + kBackend),
                   {"t.yaml:10: spec.rules[0].http.paths[0].path: Invalid value: \"/" + std::string(1100, 'a') +
                    "\": may not be longer than 1024 characters (svcnat's limit, as the Gateway API's)"}},
        BadIngress{"HostIsAnIP", ingress("  rules:\n  - host: 192.0.2.1\n    http:\n      paths:\n      - path: /\n"
                                         "        pathType: Prefix\n" + kBackend),
                   {"t.yaml:7: spec.rules[0].host: Invalid value: \"192.0.2.1\": must be a DNS name, not an IP address"}},
        BadIngress{"BadWildcard", ingress("  rules:\n  - host: \"*foo.com\"\n    http:\n      paths:\n      - path: /\n"
                                          "        pathType: Prefix\n" + kBackend),
                   {"t.yaml:7: spec.rules[0].host: Invalid value: \"*foo.com\": " + kWildcard}},
        BadIngress{"NoPaths", ingress("  rules:\n  - host: a.com\n    http:\n      paths: []\n"),
                   {"t.yaml:9: spec.rules[0].http.paths: Required value"}},
        BadIngress{"ResourceBackend",
                   one_path("      - path: /\n        pathType: Prefix\n        backend:\n          resource: "
                            "{apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}\n"),
                   {"t.yaml:13: spec.rules[0].http.paths[0].backend.resource: Forbidden: svcnat routes to Services "
                    "only: use `service` (name and port)"}},
        BadIngress{"BothBackends",
                   one_path("      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: s, "
                            "port: {number: 80}}\n          resource: {kind: X, name: y}\n"),
                   {"t.yaml:12: spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both resource and "
                    "service backends"}},
        BadIngress{"PortNameAndNumber",
                   one_path("      - path: /\n        pathType: Prefix\n        backend: {service: {name: s, port: "
                            "{number: 80, name: http}}}\n"),
                   {"t.yaml:12: spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both port name & "
                    "port number"}},
        BadIngress{"NoPort",
                   one_path("      - path: /\n        pathType: Prefix\n        backend: {service: {name: s}}\n"),
                   {"t.yaml:12: spec.rules[0].http.paths[0].backend: Required value: port name or number is required"}},
        BadIngress{"PortOutOfRange",
                   one_path("      - path: /\n        pathType: Prefix\n        backend: {service: {name: s, port: "
                            "{number: 70000}}}\n"),
                   {"t.yaml:12: spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be "
                    "between 1 and 65535, inclusive"}},
        BadIngress{"ClassAnnotationDisagrees",
                   "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations:\n"
                   "    kubernetes.io/ingress.class: nginx\nspec:\n  ingressClassName: svcnat\n  defaultBackend: "
                   "{service: {name: s, port: {number: 80}}}\n",
                   {"t.yaml:3: annotations.kubernetes.io/ingress.class: Invalid value: \"nginx\": must match "
                    "`ingressClassName` when both are specified"}},
        BadIngress{"UnknownField", ingress("  defaultBackend: {service: {name: s, port: {number: 80}}}\n  rulez: []\n"),
                   {"t.yaml:7: unknown field \"spec.rulez\""}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(IngressClassFields, ControllerAndDefaultAnnotation) {
    auto r = load(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: svcnat
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: svcnat.io/ingress-controller
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: bad}
spec:
  controller: no-slash
)");
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:14: spec.controller: Invalid value: \"no-slash\": must be a domain-prefixed path "
                            "(such as \"acme.io/foo\")"));
    ASSERT_EQ(r.manifests.ingressClasses.size(), 1u);
    EXPECT_TRUE(r.manifests.ingressClasses[0].is_default);
    EXPECT_EQ(r.manifests.ingressClasses[0].meta.ns, "");
    EXPECT_EQ(r.manifests.ingressClasses[0].controller, "svcnat.io/ingress-controller");
}

// ---- Secret, Namespace ---------------------------------------------------------

TEST(SecretFields, TLSSecretsAreDecodedOthersSkipped) {
    auto r = load(R"(apiVersion: v1
kind: Secret
metadata: {name: not-pem, namespace: web}
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVA==
  tls.key: S0VZ
---
apiVersion: v1
kind: Secret
metadata: {name: token}
data: {token: dG9r}
---
)" + tls_secret_yaml("web", "foo-tls", "foo.example.com") + "---\n" +
                  tls_secret_yaml("web", "mixed", "foo.example.com", "bar.example.com"));
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:5: warning: data: Secret web/not-pem cannot be served: tls.crt holds no PEM certificate",
                            "t.yaml:46: warning: data: Secret web/mixed cannot be served: tls.key does not match the "
                            "certificate in tls.crt"));
    ASSERT_EQ(r.manifests.secrets.size(), 3u);
    EXPECT_EQ(r.manifests.secrets[0].certificate, "CERT");
    EXPECT_EQ(r.manifests.secrets[0].key, "KEY");
    EXPECT_FALSE(r.manifests.secrets[0].problem.empty());
    EXPECT_EQ(r.manifests.secrets[1].meta.name, "foo-tls");
    EXPECT_EQ(r.manifests.secrets[1].certificate, read_tls_file("foo.example.com.crt"));
    EXPECT_EQ(r.manifests.secrets[1].problem, "");
    EXPECT_FALSE(r.manifests.secrets[2].problem.empty());
}

TEST(SecretErrors, BadBase64AndMissingKeys) {
    auto r = load(R"(apiVersion: v1
kind: Secret
metadata: {name: a}
type: kubernetes.io/tls
data:
  tls.crt: Q0V*
---
apiVersion: v1
kind: Secret
metadata: {name: b}
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVA==
)");
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:5: data[tls.key]: Required value",
                            "t.yaml:6: data[tls.crt]: illegal base64 data at input byte 3",
                            "t.yaml:12: data[tls.key]: Required value"));
    EXPECT_TRUE(r.manifests.secrets.empty());
}

TEST(NamespaceFields, CarriesTheNameLabel) {
    auto r = load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels: {team: a}\n");
    ASSERT_THAT(errors_and_warnings(r), IsEmpty());
    ASSERT_EQ(r.manifests.namespaces.size(), 1u);
    EXPECT_EQ(r.manifests.namespaces[0].meta.labels.at("kubernetes.io/metadata.name"), "web");
    EXPECT_EQ(r.manifests.namespaces[0].meta.labels.at("team"), "a");
}

// ---- Gateway API -----------------------------------------------------------------

constexpr std::string_view kGateway = R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: svcnat}
spec:
  controllerName: svcnat.io/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: svcnat
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.com"
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels: {shared: "yes"}
          matchExpressions: [{key: env, operator: In, values: [prod]}]
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs: [{name: gw-cert}, {name: other, namespace: certs}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]
  to: [{group: "", kind: Secret}]
)";

TEST(GatewayFields, ListenersAndGrants) {
    auto r = load(kGateway);
    ASSERT_THAT(errors_and_warnings(r), IsEmpty());
    ASSERT_EQ(r.manifests.gatewayClasses.size(), 1u);
    EXPECT_EQ(r.manifests.gatewayClasses[0].controllerName, "svcnat.io/gateway-controller");
    ASSERT_EQ(r.manifests.gateways.size(), 1u);
    const Gateway& gw = r.manifests.gateways[0];
    ASSERT_EQ(gw.listeners.size(), 2u);
    EXPECT_EQ(gw.listeners[0].hostname, "*.example.com");
    EXPECT_EQ(gw.listeners[0].from, FromNamespaces::Selector);
    EXPECT_TRUE(gw.listeners[0].selector.matches({{"shared", "yes"}, {"env", "prod"}}));
    EXPECT_FALSE(gw.listeners[0].selector.matches({{"shared", "yes"}, {"env", "dev"}}));
    EXPECT_EQ(gw.listeners[1].protocol, "HTTPS");
    ASSERT_EQ(gw.listeners[1].certificateRefs.size(), 2u);
    EXPECT_EQ(gw.listeners[1].certificateRefs[0].ns, "infra");
    EXPECT_EQ(gw.listeners[1].certificateRefs[1].ns, "certs");
    ASSERT_EQ(r.manifests.referenceGrants.size(), 1u);
    EXPECT_TRUE(reference_granted(r.manifests.referenceGrants, "gateway.networking.k8s.io", "Gateway", "infra", "",
                                  "Secret", "certs", "other"));
    EXPECT_FALSE(reference_granted(r.manifests.referenceGrants, "gateway.networking.k8s.io", "Gateway", "web", "",
                                   "Secret", "certs", "other"));
}

TEST(GatewayErrors, ListenerRules) {
    auto r = load(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: svcnat
  listeners:
  - {name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: c}]}}
  - {name: a, port: 443, protocol: HTTPS}
  - {name: b, port: 0, protocol: HTTP}
)");
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:7: spec.listeners[0].tls: Invalid value: \"object\": tls must not be specified "
                            "for protocols ['HTTP', 'TCP', 'UDP']",
                            "t.yaml:8: spec.listeners[1].tls: Invalid value: \"null\": tls must be specified for "
                            "protocols ['HTTPS', 'TLS']",
                            "t.yaml:8: spec.listeners: Invalid value: \"array\": Listener name must be unique within "
                            "the Gateway",
                            "t.yaml:9: spec.listeners[2].port: Required value"));
    EXPECT_TRUE(r.manifests.gateways.empty());
}

constexpr std::string_view kRoute = R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  hostnames: [foo.example.com]
  rules:
  - matches:
    - path: {type: Exact, value: /exact}
      headers: [{name: version, value: two}, {type: RegularExpression, name: x-id, value: "^[0-9]+$"}]
      queryParams: [{name: q, value: "1"}]
      method: POST
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Set, value: a}]
        add: [{name: X-Add, value: b}]
        remove: [X-Remove]
    - type: URLRewrite
      urlRewrite: {hostname: internal.example.com, path: {type: ReplaceFullPath, replaceFullPath: /new}}
    backendRefs:
    - {name: v1, port: 8080, weight: 90}
    - {name: v2, namespace: other, port: 8080, weight: 10}
  - filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, statusCode: 301}
)";

TEST(HTTPRouteFields, MatchesFiltersBackendsAndDefaults) {
    auto r = load(kRoute);
    ASSERT_THAT(errors_and_warnings(r), IsEmpty());
    ASSERT_EQ(r.manifests.httpRoutes.size(), 1u);
    const HTTPRoute& route = r.manifests.httpRoutes[0];
    ASSERT_EQ(route.parentRefs.size(), 1u);
    EXPECT_EQ(route.parentRefs[0].ns, "infra");
    EXPECT_EQ(route.parentRefs[0].sectionName, "http");
    ASSERT_EQ(route.rules.size(), 2u);
    const auto& m = route.rules[0].matches.at(0);
    EXPECT_EQ(m.path.type, PathMatchType::Exact);
    EXPECT_EQ(m.method, "POST");
    ASSERT_EQ(m.headers.size(), 2u);
    EXPECT_EQ(m.headers[1].type, ValueMatchType::RegularExpression);
    ASSERT_EQ(route.rules[0].filters.size(), 2u);
    EXPECT_EQ(route.rules[0].filters[0].headers.remove, std::vector<std::string>{"X-Remove"});
    EXPECT_EQ(route.rules[0].filters[1].rewrite.path->value, "/new");
    ASSERT_EQ(route.rules[0].backendRefs.size(), 2u);
    EXPECT_EQ(route.rules[0].backendRefs[0].ns, "web");
    EXPECT_EQ(route.rules[0].backendRefs[1].ns, "other");
    EXPECT_EQ(route.rules[0].backendRefs[1].weight, 10u);
    // A rule without matches matches every path (the CRD's default).
    ASSERT_EQ(route.rules[1].matches.size(), 1u);
    EXPECT_EQ(route.rules[1].matches[0].path.type, PathMatchType::PathPrefix);
    EXPECT_EQ(route.rules[1].matches[0].path.value, "/");
    EXPECT_EQ(route.rules[1].filters[0].redirect.statusCode, 301);
}

std::string route_rule(std::string_view rule) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
           "  parentRefs: [{name: gw}]\n  rules:\n" + std::string(rule);
}

TEST(HTTPRouteErrors, CRDRules) {
    auto r = load(route_rule("  - backendRefs: [{name: s}]\n") + "---\n" +
                  route_rule("  - matches: [{path: {type: Exact, value: rel}}]\n") + "---\n" +
                  route_rule("  - filters: [{type: RequestRedirect, requestRedirect: {port: 8443}}]\n"
                             "    backendRefs: [{name: s, port: 80}]\n") + "---\n" +
                  route_rule("  - filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, "
                             "replacePrefixMatch: /x}}}]\n    matches: [{path: {type: Exact, value: /a}}]\n") + "---\n" +
                  route_rule("  - filters: [{type: RequestHeaderModifier}]\n"));
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:7: spec.rules[0].backendRefs[0]: Invalid value: \"object\": Must have port for "
                            "Service reference",
                            "t.yaml:15: spec.rules[0].matches[0].path.value: Invalid value: \"rel\": value must be an "
                            "absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
                            "t.yaml:23: spec.rules[0]: Invalid value: \"object\": RequestRedirect filter must not be "
                            "used together with backendRefs",
                            "t.yaml:32: spec.rules[0]: Invalid value: \"object\": When using URLRewrite filter with "
                            "path.type ReplacePrefixMatch, exactly one PathPrefix match must be specified",
                            "t.yaml:41: spec.rules[0].filters[0]: Invalid value: \"object\": "
                            "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type"));
    EXPECT_TRUE(r.manifests.httpRoutes.empty());
}

TEST(HTTPRouteErrors, UnsupportedFiltersLeaveTheRuleOutWithAWarning) {
    auto r = load(route_rule("  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}}}]\n"
                             "    backendRefs: [{name: s, port: 80}]\n"
                             "  - backendRefs: [{name: s, port: 80}]\n"));
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:7: warning: spec.rules[0].filters[0]: svcnat does not implement the "
                            "RequestMirror filter: the rule is not served"));
    ASSERT_EQ(r.manifests.httpRoutes.size(), 1u);
    EXPECT_FALSE(r.manifests.httpRoutes[0].rules[0].unsupported.empty());
    EXPECT_TRUE(r.manifests.httpRoutes[0].rules[1].unsupported.empty());
}

TEST(HTTPRouteErrors, HostnamesFollowTheCRDPattern) {
    auto r = load("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
                  "  hostnames: [Foo.com, \"*.ok.com\"]\n");
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:5: spec.hostnames[0]: Invalid value: \"Foo.com\": should match "
                            "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"));
}

TEST(RoutingObjects, ApiVersionsAccepted) {
    auto r = load("apiVersion: gateway.networking.k8s.io/v1alpha1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n");
    EXPECT_THAT(errors_and_warnings(r),
                ElementsAre("t.yaml:1: apiVersion: Unsupported value: \"gateway.networking.k8s.io/v1alpha1\": "
                            "supported values: \"gateway.networking.k8s.io/v1\", \"gateway.networking.k8s.io/v1beta1\""));
}

}  // namespace
}  // namespace svcnat::testing
