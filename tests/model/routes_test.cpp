// route_state(): Ingress and Gateway API semantics as the model orders them.
// Manifests are read by the real loader; which route answers a request is
// worked out by route_oracle.hpp from the order the model gives. The
// Gateway API cases restate the request tables of the upstream conformance
// tests (kubernetes-sigs/gateway-api conformance/tests) named in each test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/manifest/load.hpp"
#include "control/model/resolve.hpp"
#include "control/model/routes.hpp"
#include "route_oracle.hpp"
#include "tests/support/tls_fixtures.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A Service with one port and ready endpoints at `ips` (target port 8080).
std::string backend(const std::string& name, const std::vector<std::string>& ips, const std::string& ns = "default",
                    int port = 80, const std::string& port_name = "http") {
    std::string y = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
                    "}\nspec:\n  ports: [{name: " + port_name + ", port: " + std::to_string(port) +
                    ", targetPort: 8080}]\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  "
                    "name: " + name + "-1\n  namespace: " + ns + "\n  labels: {kubernetes.io/service-name: " + name +
                    "}\naddressType: IPv4\nports: [{name: " + port_name + ", port: 8080}]\nendpoints:\n";
    for (const auto& ip : ips) y += "- addresses: [" + ip + "]\n";
    return y + "---\n";
}

constexpr std::string_view kHttp = "192.0.2.10:80";
constexpr std::string_view kHttps = "192.0.2.10:443";

IngressOptions options(bool https = true) {
    IngressOptions o;
    o.http = SocketAddress{*IPAddr::parse("192.0.2.10"), 80};
    if (https) o.https = SocketAddress{*IPAddr::parse("192.0.2.10"), 443};
    return o;
}

struct Loaded {
    LoadResult load;
    ServiceState state;
    std::vector<std::string> warnings;  // and notices, as `svcnat check -v` prints them
};

Loaded routes_of(const std::string& yaml, const IngressOptions& opts = options()) {
    Loaded l;
    l.load = load_text(yaml, "t.yaml", Settings{});
    EXPECT_TRUE(l.load.ok()) << (l.load.diagnostics.empty() ? "" : l.load.diagnostics[0].str());
    std::vector<Diagnostic> diags;
    l.state = resolve(l.load.manifests, NodeInfo{}, &diags, ResolveOptions{.routes = &opts});
    for (const auto& d : diags) l.warnings.push_back(d.str());
    return l;
}

const L7Listener& listener(const RouteState& s, std::string_view address) {
    for (const auto& l : s.listeners)
        if (l.address.str() == address) return l;
    ADD_FAILURE() << "no listener " << address;
    static const L7Listener none;
    return none;
}

// The Service that answers (host, path, headers) on `address`.
std::string answer(const Loaded& l, std::string_view address, const Request& r) {
    return backend_service(l.state.routes, match(listener(l.state.routes, address), r));
}

// ---- helpers ---------------------------------------------------------------------

TEST(PrefixMatch, ElementWise) {
    EXPECT_TRUE(prefix_matches("", "/anything"));
    EXPECT_TRUE(prefix_matches("/aaa/bbb", "/aaa/bbb"));
    EXPECT_TRUE(prefix_matches("/aaa/bbb", "/aaa/bbb/"));
    EXPECT_TRUE(prefix_matches("/aaa/bbb", "/aaa/bbb/ccc"));
    EXPECT_FALSE(prefix_matches("/aaa/bbb", "/aaa/bbbxyz"));
    EXPECT_FALSE(prefix_matches("/aaa/bbb", "/aaa"));
}

TEST(HostnameIntersection, GatewayAPITable) {
    using V = std::vector<std::string>;
    EXPECT_EQ(intersect_hostnames("", {}), V{""});
    EXPECT_EQ(intersect_hostnames("", {"foo.com"}), V{"foo.com"});
    EXPECT_EQ(intersect_hostnames("foo.com", {}), V{"foo.com"});
    EXPECT_EQ(intersect_hostnames("foo.com", {"bar.com"}), V{});
    EXPECT_EQ(intersect_hostnames("*.wildcard.io", {"foo.bar.wildcard.io"}), V{"foo.bar.wildcard.io"});
    EXPECT_EQ(intersect_hostnames("*.wildcard.io", {"wildcard.io"}), V{});
    EXPECT_EQ(intersect_hostnames("very.specific.com", {"*.specific.com"}), V{"very.specific.com"});
    EXPECT_EQ(intersect_hostnames("specific.com", {"*.specific.com"}), V{});
    EXPECT_EQ(intersect_hostnames("*.example.com", {"*.foo.example.com"}), V{"*.foo.example.com"});
    EXPECT_EQ(intersect_hostnames("*.foo.example.com", {"*.example.com"}), V{"*.foo.example.com"});
    EXPECT_EQ(intersect_hostnames("*.example.com", {"*.example.net"}), V{});
}

// ---- Ingress -----------------------------------------------------------------------

std::string ingress(const std::string& name, const std::string& spec, const std::string& meta_extra = "") {
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + name + "\n" + meta_extra +
           "spec:\n  ingressClassName: svcnat\n" + spec + "---\n";
}

std::string path(const std::string& p, const std::string& type, const std::string& svc) {
    return "      - {path: " + p + ", pathType: " + type + ", backend: {service: {name: " + svc + ", port: {number: 80}}}}\n";
}

// The Kubernetes documentation's path examples (Ingress "Examples" table).
TEST(IngressRoutes, PathTypeExamplesOfTheKubernetesDocs) {
    const std::string yaml = backend("root", {"10.0.0.1"}) + backend("foo", {"10.0.0.2"}) + backend("foo-slash", {"10.0.0.3"}) +
                             backend("aaa", {"10.0.0.4"}) + backend("exact", {"10.0.0.5"}) + backend("bbb", {"10.0.0.6"}) +
                             ingress("docs", "  rules:\n  - host: a.com\n    http:\n      paths:\n" +
                                                 path("/", "Prefix", "root") + path("/foo", "Exact", "foo") +
                                                 path("/aaa/bbb", "Prefix", "bbb") + path("/aaa", "Prefix", "aaa") +
                                                 path("/aaa/ccc", "Exact", "exact")) +
                             ingress("slash", "  rules:\n  - host: b.com\n    http:\n      paths:\n" +
                                                  path("/foo/", "Prefix", "foo-slash") + path("/foo", "Exact", "foo"));
    auto l = routes_of(yaml);
    EXPECT_THAT(l.warnings, IsEmpty());
    auto at = [&](const std::string& host, const std::string& p) { return answer(l, kHttp, {host, p}); };
    EXPECT_EQ(at("a.com", "/foo"), "foo");             // Exact
    EXPECT_EQ(at("a.com", "/foo/"), "root");           // Exact is case- and slash-exact
    EXPECT_EQ(at("a.com", "/FOO"), "root");
    EXPECT_EQ(at("a.com", "/aaa/bbb"), "bbb");
    EXPECT_EQ(at("a.com", "/aaa/bbb/ccc"), "bbb");     // element-wise prefix
    EXPECT_EQ(at("a.com", "/aaa/bbbxyz"), "aaa");      // not /aaa/bbb: longest element-wise match is /aaa
    EXPECT_EQ(at("a.com", "/aaa/ccc"), "exact");       // Exact beats the Prefix /aaa
    EXPECT_EQ(at("b.com", "/foo"), "foo");             // Exact /foo and Prefix /foo/: Exact wins the tie
    EXPECT_EQ(at("b.com", "/foo/"), "foo-slash");      // trailing slash ignored on the prefix
    EXPECT_EQ(at("b.com", "/foo/x"), "foo-slash");
    EXPECT_EQ(at("c.com", "/"), "");                   // no host, no default: 404
    // Both listeners serve every rule.
    EXPECT_EQ(answer(l, kHttps, {"a.com", "/aaa/bbb/x"}), "bbb");
}

TEST(IngressRoutes, WildcardHostsMatchOneLabel) {
    const std::string yaml = backend("wild", {"10.0.0.1"}) + backend("exact", {"10.0.0.2"}) + backend("any", {"10.0.0.3"}) +
                             ingress("w", "  rules:\n  - host: \"*.foo.com\"\n    http:\n      paths:\n" + path("/", "Prefix", "wild") +
                                              "  - host: bar.foo.com\n    http:\n      paths:\n" + path("/", "Prefix", "exact") +
                                              "  - http:\n      paths:\n" + path("/", "Prefix", "any"));
    auto l = routes_of(yaml);
    EXPECT_EQ(answer(l, kHttp, {"baz.foo.com"}), "wild");
    EXPECT_EQ(answer(l, kHttp, {"bar.foo.com"}), "exact");
    EXPECT_EQ(answer(l, kHttp, {"BAR.foo.com:8080"}), "exact");
    EXPECT_EQ(answer(l, kHttp, {"foo.com"}), "any");           // not a label before foo.com
    EXPECT_EQ(answer(l, kHttp, {"a.baz.foo.com"}), "any");     // two labels
}

TEST(IngressRoutes, BackendsAreReadyEndpointsAndTerminatingOnesDrain) {
    const std::string yaml = R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.2]
- addresses: [10.0.0.1]
- addresses: [10.0.0.3]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: [10.0.0.4]
  conditions: {ready: false}
---
)" + ingress("i", "  defaultBackend: {service: {name: web, port: {name: http}}}\n");
    auto l = routes_of(yaml);
    ASSERT_EQ(l.state.routes.backends.size(), 1u);
    const L7Backend& b = l.state.routes.backends[0];
    EXPECT_EQ(b.name, "default/web:80");
    ASSERT_EQ(b.servers.size(), 3u);
    EXPECT_EQ(b.servers[0], (L7Server{*IPAddr::parse("10.0.0.1"), 8080, false}));
    EXPECT_EQ(b.servers[1], (L7Server{*IPAddr::parse("10.0.0.2"), 8080, false}));
    EXPECT_EQ(b.servers[2], (L7Server{*IPAddr::parse("10.0.0.3"), 8080, true}));
    // The cluster default answers every host, on both listeners.
    EXPECT_EQ(answer(l, kHttp, {"anything.example", "/x"}), "web");
    EXPECT_EQ(answer(l, kHttps, {"", "/"}), "web");
}

TEST(IngressRoutes, MissingServiceOrPortIsAWarningAnd503) {
    const std::string yaml = backend("web", {"10.0.0.1"}) +
                             ingress("i", "  rules:\n  - host: a.com\n    http:\n      paths:\n" + path("/gone", "Prefix", "nope") +
                                              "      - {path: /port, pathType: Prefix, backend: {service: {name: web, port: {name: grpc}}}}\n" +
                                              path("/ok", "Prefix", "web"));
    auto l = routes_of(yaml);
    EXPECT_THAT(l.warnings, ElementsAre("t.yaml:28: warning: spec.rules[0].http.paths[0].backend: Service \"default/nope\" not found",
                                        "t.yaml:29: warning: spec.rules[0].http.paths[1].backend: Service \"default/web\" has no port named \"grpc\""));
    const L7Route* gone = match(listener(l.state.routes, kHttp), {"a.com", "/gone"});
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->backends[0].backend, -1);
    EXPECT_EQ(gone->invalid_status, 503);
    EXPECT_EQ(answer(l, kHttp, {"a.com", "/ok"}), "web");
}

TEST(IngressRoutes, ClassSelection) {
    const std::string svc = backend("web", {"10.0.0.1"});
    auto ing = [](const std::string& name, const std::string& host, const std::string& cls, const std::string& annotation = "") {
        return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + name + "\n" +
               (annotation.empty() ? "" : "  annotations: {kubernetes.io/ingress.class: " + annotation + "}\n") + "spec:\n" +
               (cls.empty() ? "" : "  ingressClassName: " + cls + "\n") + "  rules:\n  - host: " + host +
               "\n    http:\n      paths:\n" + path("/", "Prefix", "web") + "---\n";
    };
    const std::string yaml = svc + ing("mine", "mine.com", "svcnat") + ing("nginx", "nginx.com", "nginx") +
                             ing("annotated", "annotated.com", "", "svcnat") + ing("classless", "classless.com", "");
    auto l = routes_of(yaml);
    EXPECT_EQ(answer(l, kHttp, {"mine.com"}), "web");
    EXPECT_EQ(answer(l, kHttp, {"annotated.com"}), "web");
    EXPECT_EQ(answer(l, kHttp, {"nginx.com"}), "");
    EXPECT_EQ(answer(l, kHttp, {"classless.com"}), "");
    EXPECT_THAT(l.warnings, ElementsAre("t.yaml:31: Ingress default/nginx is not served: its class \"nginx\" is not svcnat's (--ingress-class svcnat)",
                                        "t.yaml:55: Ingress default/classless is not served: it has no class, IngressClass \"svcnat\" is not the default class and --watch-ingress-without-class is off"));
    // svcnat's IngressClass as the default class, or the flag, takes the class-less one.
    auto with_default = routes_of(yaml + "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: svcnat\n"
                                         "  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\n"
                                         "spec: {controller: svcnat.io/ingress-controller}\n");
    EXPECT_EQ(answer(with_default, kHttp, {"classless.com"}), "web");
    IngressOptions flag = options();
    flag.watch_without_class = true;
    EXPECT_EQ(answer(routes_of(yaml, flag), kHttp, {"classless.com"}), "web");
}

TEST(IngressRoutes, OlderIngressWinsAConflictingPath) {
    const std::string yaml = backend("old", {"10.0.0.1"}) + backend("new", {"10.0.0.2"}) +
                             ingress("newer", "  rules:\n  - host: a.com\n    http:\n      paths:\n" + path("/x", "Prefix", "new"),
                                     "  creationTimestamp: \"2026-02-01T00:00:00Z\"\n") +
                             ingress("older", "  rules:\n  - host: a.com\n    http:\n      paths:\n" + path("/x", "Prefix", "old"),
                                     "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n");
    auto l = routes_of(yaml);
    EXPECT_EQ(answer(l, kHttp, {"a.com", "/x/y"}), "old");
    EXPECT_THAT(l.warnings,
                ElementsAre("t.yaml:46: warning: spec.rules[0].http.paths[0]: Prefix path \"/x\" of host \"a.com\" is "
                            "already served by Ingress default/older: spec.rules[0].http.paths[0]: this one is not used"));
}

TEST(IngressRoutes, DefaultBackendOfAnIngressCatchesItsHostsOnly) {
    const std::string yaml = backend("web", {"10.0.0.1"}) + backend("fallback", {"10.0.0.2"}) + backend("global", {"10.0.0.3"}) +
                             ingress("with-default", "  defaultBackend: {service: {name: fallback, port: {number: 80}}}\n"
                                                     "  rules:\n  - host: a.com\n    http:\n      paths:\n" + path("/app", "Prefix", "web")) +
                             ingress("plain", "  rules:\n  - host: b.com\n    http:\n      paths:\n" + path("/app", "Prefix", "web")) +
                             ingress("cluster-default", "  defaultBackend: {service: {name: global, port: {number: 80}}}\n");
    auto l = routes_of(yaml);
    EXPECT_EQ(answer(l, kHttp, {"a.com", "/app"}), "web");
    EXPECT_EQ(answer(l, kHttp, {"a.com", "/other"}), "fallback");
    EXPECT_EQ(answer(l, kHttp, {"b.com", "/other"}), "global");
    EXPECT_EQ(answer(l, kHttp, {"c.com", "/"}), "global");
}

TEST(IngressRoutes, TLSCertificatesBySNIAndRedirects) {
    const std::string yaml =
        backend("web", {"10.0.0.1"}) + tls_secret_yaml("default", "foo-tls", "foo.example.com") + "---\n" +
        tls_secret_yaml("default", "broken", "bar.example.com", "foo.example.com") + "---\n" +
        ingress("tls", "  tls:\n  - {hosts: [foo.example.com], secretName: foo-tls}\n"
                       "  - {hosts: [bar.example.com], secretName: broken}\n  - {hosts: [baz.example.com], secretName: gone}\n"
                       "  rules:\n  - host: foo.example.com\n    http:\n      paths:\n" + path("/", "Prefix", "web")) +
        ingress("no-redirect", "  tls:\n  - {hosts: [quiet.example.com]}\n  rules:\n  - host: quiet.example.com\n    http:\n      paths:\n" +
                                   path("/", "Prefix", "web"),
                "  annotations: {svcnat.io/ssl-redirect: \"false\"}\n");
    auto l = routes_of(yaml);
    const auto& https = listener(l.state.routes, kHttps);
    ASSERT_EQ(https.certificates.size(), 1u);
    const L7Certificate& cert = l.state.routes.certificates[https.certificates[0]];
    EXPECT_EQ(cert.name, "default/foo-tls");
    EXPECT_THAT(cert.sni, ElementsAre("foo.example.com"));
    EXPECT_EQ(cert.pem, read_tls_file("foo.example.com.crt") + read_tls_file("foo.example.com.key"));
    EXPECT_THAT(listener(l.state.routes, kHttp).redirect_to_https,
                ElementsAre("bar.example.com", "baz.example.com", "foo.example.com"));
    std::vector<std::string> about_tls;
    for (const auto& w : l.warnings)
        if (w.find("spec.tls") != std::string::npos) about_tls.push_back(w);
    EXPECT_THAT(about_tls,
                ElementsAre(::testing::HasSubstr("spec.tls[1]: Secret \"default/broken\" cannot be served (tls.key does not "
                                                 "match the certificate in tls.crt): bar.example.com get the default certificate"),
                            ::testing::HasSubstr("spec.tls[2]: Secret \"default/gone\" not found: baz.example.com get the "
                                                 "default certificate")));
}

// ---- Gateway API -------------------------------------------------------------------

const std::string kInfra = "gateway-conformance-infra";

std::string conformance_backends() {
    return backend("infra-backend-v1", {"10.1.0.1"}, kInfra, 8080, "first-port") +
           backend("infra-backend-v2", {"10.1.0.2"}, kInfra, 8080, "first-port") +
           backend("infra-backend-v3", {"10.1.0.3"}, kInfra, 8080, "first-port") +
           "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: svcnat}\n"
           "spec: {controllerName: svcnat.io/gateway-controller}\n---\n";
}

std::string gateway(const std::string& name, const std::string& listeners) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " + name + ", namespace: " + kInfra +
           "}\nspec:\n  gatewayClassName: svcnat\n  listeners:\n" + listeners + "---\n";
}

std::string route(const std::string& name, const std::string& spec, const std::string& ns = kInfra) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n" + spec + "---\n";
}

const std::string kSameNamespace = gateway("same-namespace", "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}\n");

struct Case {
    std::string host;
    std::string path;
    std::map<std::string, std::string> headers;
    std::string backend;  // "" = 404
};

void check(const Loaded& l, std::string_view address, const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        Request r{c.host, c.path, c.headers, {}, "GET"};
        EXPECT_EQ(answer(l, address, r), c.backend) << c.host << c.path;
    }
}

// HTTPRouteMatching: path and header matches of one route.
TEST(GatewayRoutes, HTTPRouteMatching) {
    auto l = routes_of(conformance_backends() + kSameNamespace +
                       route("matching", "  parentRefs: [{name: same-namespace}]\n  rules:\n"
                                         "  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]\n"
                                         "    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"
                                         "  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]\n"
                                         "    backendRefs: [{name: infra-backend-v2, port: 8080}]\n"));
    EXPECT_THAT(l.warnings, IsEmpty());
    check(l, kHttp,
          {{"", "/", {}, "infra-backend-v1"},
           {"", "/example", {}, "infra-backend-v1"},
           {"", "/", {{"version", "one"}}, "infra-backend-v1"},
           {"", "/v2", {}, "infra-backend-v2"},
           {"", "/v2/example", {}, "infra-backend-v2"},
           {"", "/", {{"version", "two"}}, "infra-backend-v2"}});
}

// HTTPRouteMatchingAcrossRoutes.
TEST(GatewayRoutes, HTTPRouteMatchingAcrossRoutes) {
    auto l = routes_of(conformance_backends() + kSameNamespace +
                       route("matching-part1", "  parentRefs: [{name: same-namespace}]\n  hostnames: [example.com, example.net]\n  rules:\n"
                                               "  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]\n"
                                               "    backendRefs: [{name: infra-backend-v1, port: 8080}]\n") +
                       route("matching-part2", "  parentRefs: [{name: same-namespace}]\n  hostnames: [example.com]\n  rules:\n"
                                               "  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]\n"
                                               "    backendRefs: [{name: infra-backend-v2, port: 8080}]\n"));
    check(l, kHttp,
          {{"example.com", "/", {}, "infra-backend-v1"},
           {"example.com", "/example", {}, "infra-backend-v1"},
           {"example.net", "/example", {}, "infra-backend-v1"},
           {"example.com", "/example", {{"version", "one"}}, "infra-backend-v1"},
           {"example.com", "/v2", {}, "infra-backend-v2"},
           {"example.net", "/v2", {}, "infra-backend-v1"},
           {"example.com", "/v2/example", {}, "infra-backend-v2"},
           {"example.com", "/", {{"version", "two"}}, "infra-backend-v2"}});
}

// HTTPRoutePathMatchOrder.
TEST(GatewayRoutes, HTTPRoutePathMatchOrder) {
    auto l = routes_of(conformance_backends() + kSameNamespace +
                       route("path-matching-order", "  parentRefs: [{name: same-namespace}]\n  rules:\n"
                             "  - {matches: [{path: {type: Exact, value: /match}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}\n"
                             "  - {matches: [{path: {type: Exact, value: /match/exact}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}\n"
                             "  - {matches: [{path: {type: Exact, value: /match/exact/one}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}\n"
                             "  - {matches: [{path: {type: PathPrefix, value: /match/}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}\n"
                             "  - {matches: [{path: {type: PathPrefix, value: /match/prefix/}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}\n"
                             "  - {matches: [{path: {type: PathPrefix, value: /match/prefix/one}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}\n"));
    check(l, kHttp,
          {{"", "/match/exact/one", {}, "infra-backend-v3"},
           {"", "/match/exact", {}, "infra-backend-v2"},
           {"", "/match", {}, "infra-backend-v1"},
           {"", "/match/prefix/one/any", {}, "infra-backend-v2"},
           {"", "/match/prefix/any", {}, "infra-backend-v1"},
           {"", "/match/any", {}, "infra-backend-v3"}});
}

// HTTPRouteListenerHostnameMatching.
TEST(GatewayRoutes, HTTPRouteListenerHostnameMatching) {
    auto l = routes_of(conformance_backends() +
                       gateway("httproute-listener-hostname-matching",
                               "  - {name: listener-1, port: 80, protocol: HTTP, hostname: bar.com}\n"
                               "  - {name: listener-2, port: 80, protocol: HTTP, hostname: foo.bar.com}\n"
                               "  - {name: listener-3, port: 80, protocol: HTTP, hostname: \"*.bar.com\"}\n"
                               "  - {name: listener-4, port: 80, protocol: HTTP, hostname: \"*.foo.com\"}\n") +
                       route("backend-v1", "  parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-1}]\n"
                                           "  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]\n") +
                       route("backend-v2", "  parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-2}]\n"
                                           "  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]\n") +
                       route("backend-v3", "  parentRefs:\n  - {name: httproute-listener-hostname-matching, sectionName: listener-3}\n"
                                           "  - {name: httproute-listener-hostname-matching, sectionName: listener-4}\n"
                                           "  rules: [{backendRefs: [{name: infra-backend-v3, port: 8080}]}]\n"));
    check(l, kHttp,
          {{"bar.com", "/", {}, "infra-backend-v1"},
           {"foo.bar.com", "/", {}, "infra-backend-v2"},
           {"baz.bar.com", "/", {}, "infra-backend-v3"},
           {"boo.bar.com", "/", {}, "infra-backend-v3"},
           {"multiple.prefixes.bar.com", "/", {}, "infra-backend-v3"},
           {"multiple.prefixes.foo.com", "/", {}, "infra-backend-v3"},
           {"foo.com", "/", {}, ""},
           {"no.matching.host", "/", {}, ""}});
}

// HTTPRouteHostnameIntersection.
TEST(GatewayRoutes, HTTPRouteHostnameIntersection) {
    auto l = routes_of(conformance_backends() +
                       gateway("httproute-hostname-intersection",
                               "  - {name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.com}\n"
                               "  - {name: listener-2, port: 80, protocol: HTTP, hostname: \"*.wildcard.io\"}\n"
                               "  - {name: listener-3, port: 80, protocol: HTTP, hostname: \"*.anotherwildcard.io\"}\n") +
                       route("specific-host-matches-listener-specific-host",
                             "  parentRefs: [{name: httproute-hostname-intersection}]\n"
                             "  hostnames: [non.matching.com, \"*.nonmatchingwildcard.io\", very.specific.com]\n"
                             "  rules: [{matches: [{path: {type: PathPrefix, value: /s1}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]\n") +
                       route("specific-host-matches-listener-wildcard-host",
                             "  parentRefs: [{name: httproute-hostname-intersection}]\n"
                             "  hostnames: [non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]\n"
                             "  rules: [{matches: [{path: {type: PathPrefix, value: /s2}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]\n") +
                       route("wildcard-host-matches-listener-specific-host",
                             "  parentRefs: [{name: httproute-hostname-intersection}]\n  hostnames: [non.matching.com, \"*.specific.com\"]\n"
                             "  rules: [{matches: [{path: {type: PathPrefix, value: /s3}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}]\n") +
                       route("wildcard-host-matches-listener-wildcard-host",
                             "  parentRefs: [{name: httproute-hostname-intersection}]\n  hostnames: [\"*.anotherwildcard.io\"]\n"
                             "  rules: [{matches: [{path: {type: PathPrefix, value: /s4}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]\n") +
                       route("no-intersecting-hosts",
                             "  parentRefs: [{name: httproute-hostname-intersection}]\n  hostnames: [specific.but.wrong.com, wildcard.io]\n"
                             "  rules: [{matches: [{path: {type: PathPrefix, value: /s5}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]\n"));
    check(l, kHttp,
          {{"very.specific.com", "/s1", {}, "infra-backend-v1"},
           {"very.specific.com:1234", "/s1", {}, "infra-backend-v1"},
           {"non.matching.com", "/s1", {}, ""},
           {"foo.nonmatchingwildcard.io", "/s1", {}, ""},
           {"foo.wildcard.io", "/s1", {}, ""},
           {"very.specific.com", "/non-matching-prefix", {}, ""},
           {"foo.wildcard.io", "/s2", {}, "infra-backend-v2"},
           {"bar.wildcard.io", "/s2", {}, "infra-backend-v2"},
           {"foo.bar.wildcard.io", "/s2", {}, "infra-backend-v2"},
           {"non.matching.com", "/s2", {}, ""},
           {"wildcard.io", "/s2", {}, ""},
           {"very.specific.com", "/s2", {}, ""},
           {"very.specific.com", "/s3", {}, "infra-backend-v3"},
           {"foo.specific.com", "/s3", {}, ""},
           {"foo.wildcard.io", "/s3", {}, ""},
           {"foo.anotherwildcard.io", "/s4", {}, "infra-backend-v1"},
           {"bar.anotherwildcard.io", "/s4", {}, "infra-backend-v1"},
           {"foo.bar.anotherwildcard.io", "/s4", {}, "infra-backend-v1"},
           {"anotherwildcard.io", "/s4", {}, ""},
           {"foo.wildcard.io", "/s4", {}, ""},
           {"very.specific.com", "/s4", {}, ""},
           {"specific.but.wrong.com", "/s5", {}, ""},
           {"wildcard.io", "/s5", {}, ""}});
    EXPECT_THAT(l.warnings, ::testing::Contains(::testing::HasSubstr(
                                "attaches to no listener of Gateway gateway-conformance-infra/httproute-hostname-intersection")));
}

// HTTPRouteCrossNamespace, HTTPRouteReferenceGrant and the invalid
// backendRef tests: what may be referred to, and 500 for what may not.
TEST(GatewayRoutes, BackendReferences) {
    const std::string web = "gateway-conformance-web-backend";
    const std::string base = conformance_backends() + backend("web-backend", {"10.2.0.1"}, web, 8080) +
                             gateway("backend-namespaces", "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n");
    const std::string routes =
        route("cross", "  parentRefs: [{name: backend-namespaces, namespace: " + kInfra + "}]\n  hostnames: [cross.com]\n"
                       "  rules: [{backendRefs: [{name: web-backend, port: 8080}]}]\n", web) +
        route("refgrant", "  parentRefs: [{name: backend-namespaces}]\n  hostnames: [grant.com]\n"
                          "  rules: [{backendRefs: [{name: web-backend, namespace: " + web + ", port: 8080}]}]\n") +
        route("kind", "  parentRefs: [{name: backend-namespaces}]\n  hostnames: [kind.com]\n"
                      "  rules: [{backendRefs: [{group: multicluster.x-k8s.io, kind: ServiceImport, name: x, port: 8080}]}]\n") +
        route("missing", "  parentRefs: [{name: backend-namespaces}]\n  hostnames: [missing.com]\n"
                         "  rules: [{backendRefs: [{name: nonexistent, port: 8080}]}]\n");
    auto without = routes_of(base + routes);
    check(without, kHttp, {{"cross.com", "/", {}, "web-backend"}, {"grant.com", "/", {}, ""}});
    for (const char* host : {"grant.com", "kind.com", "missing.com"}) {
        const L7Route* r = match(listener(without.state.routes, kHttp), {host, "/"});
        ASSERT_TRUE(r) << host;
        EXPECT_EQ(r->backends.at(0).backend, -1) << host;
        EXPECT_EQ(r->invalid_status, 500) << host;
    }
    EXPECT_THAT(without.warnings, ::testing::Contains(::testing::HasSubstr("(RefNotPermitted)")));
    EXPECT_THAT(without.warnings, ::testing::Contains(::testing::HasSubstr("(InvalidKind)")));
    auto with = routes_of(base + routes + "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
                                          "metadata: {name: g, namespace: " + web + "}\nspec:\n"
                                          "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: " + kInfra + "}]\n"
                                          "  to: [{group: \"\", kind: Service}]\n");
    check(with, kHttp, {{"grant.com", "/", {}, "web-backend"}});
}

TEST(GatewayRoutes, AllowedRoutesNamespaces) {
    const std::string yaml =
        conformance_backends() + backend("svc", {"10.3.0.1"}, "team-a", 8080) + backend("svc", {"10.3.0.2"}, "team-b", 8080) +
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {shared: \"yes\"}}\n---\n" +
        gateway("gw", "  - {name: same, port: 80, protocol: HTTP, hostname: same.com}\n"
                      "  - {name: selected, port: 80, protocol: HTTP, hostname: selected.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared: \"yes\"}}}}}\n") +
        route("a", "  parentRefs: [{name: gw, namespace: " + kInfra + "}]\n  rules: [{backendRefs: [{name: svc, port: 8080}]}]\n", "team-a") +
        route("b", "  parentRefs: [{name: gw, namespace: " + kInfra + "}]\n  rules: [{backendRefs: [{name: svc, port: 8080}]}]\n", "team-b");
    auto l = routes_of(yaml);
    const auto& http = listener(l.state.routes, kHttp);
    EXPECT_EQ(l.state.routes.backends.at(match(http, {"selected.com"})->backends[0].backend).name, "team-a/svc:8080");
    EXPECT_EQ(match(http, {"same.com"}), nullptr);
}

TEST(GatewayRoutes, FiltersAndWeightsAreCarried) {
    auto l = routes_of(conformance_backends() + kSameNamespace +
                       route("filters", "  parentRefs: [{name: same-namespace}]\n  rules:\n"
                                        "  - matches: [{path: {type: PathPrefix, value: /prefix/one}}]\n"
                                        "    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}},\n"
                                        "              {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-A, value: b}]}}]\n"
                                        "    backendRefs: [{name: infra-backend-v1, port: 8080, weight: 70}, {name: infra-backend-v2, port: 8080, weight: 30}, {name: infra-backend-v3, port: 8080, weight: 0}]\n"
                                        "  - matches: [{path: {type: Exact, value: /redirect}}]\n"
                                        "    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 301}}]\n"));
    const auto& http = listener(l.state.routes, kHttp);
    const L7Route* r = match(http, {"", "/prefix/one/two"});
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->rewrite && r->rewrite->path);
    EXPECT_EQ(r->rewrite->path->value, "/one");
    EXPECT_EQ(r->request_headers.set.at(0).name, "X-A");
    ASSERT_EQ(r->backends.size(), 3u);
    EXPECT_EQ(r->backends[0].weight, 70u);
    EXPECT_EQ(r->backends[2].weight, 0u);
    const L7Route* redirect = match(http, {"", "/redirect"});
    ASSERT_TRUE(redirect && redirect->redirect);
    EXPECT_EQ(redirect->redirect->hostname, "example.org");
    EXPECT_TRUE(redirect->backends.empty());
}

TEST(GatewayRoutes, GatewaysOfOtherControllersAreNotServed) {
    auto l = routes_of(conformance_backends() +
                       "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: other}\n"
                       "spec: {controllerName: example.com/other}\n---\n" +
                       "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: theirs, namespace: " + kInfra +
                       "}\nspec:\n  gatewayClassName: other\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n---\n");
    for (const auto& lst : l.state.routes.listeners) EXPECT_NE(lst.address.port, 8080);
    EXPECT_THAT(l.warnings, ElementsAre(::testing::HasSubstr("Gateway gateway-conformance-infra/theirs is not served: GatewayClass \"other\" names controller \"example.com/other\"")));
}

}  // namespace
}  // namespace svcnat::testing
