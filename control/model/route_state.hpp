// What the L7 proxy serves, worked out from Ingresses and Gateway API
// routes: listeners (an address and port, plain or TLS), on each the
// virtual hosts requests are told apart by (Host header), in each the
// routes in precedence order, and the backends they send to (a Service
// port's ready endpoints). Pure and plain data, like the ruleset that kernel
// mode builds from ServiceState: the HAProxy data path (control/ingress)
// renders it and diffs it, `svcnat describe ingress` prints it.
//
// Matching, in one place for both APIs: a listener's virtual host is the
// one whose hostname equals the request's host, else the most specific
// wildcard (an Ingress "*.foo.com" matches exactly one label before
// foo.com, a Gateway API one any number), else the host-less one. Within a
// virtual host the first route in `routes` that matches wins: Exact paths
// first, then prefixes longest first (element-wise on '/': "/foo" matches
// "/foo", "/foo/" and "/foo/bar", not "/foobar"), then routes with a method,
// with more header matches, with more query matches, then the older object
// (creationTimestamp, then namespace/name) and the earlier rule and match.
// An Ingress's defaultBackend comes after every route of its hosts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ip.hpp"
#include "l7_objects.hpp"

namespace svcnat {

// The controller names svcnat answers to in IngressClass.spec.controller
// and GatewayClass.spec.controllerName.
inline constexpr std::string_view kIngressController = "svcnat.io/ingress-controller";
inline constexpr std::string_view kGatewayController = "svcnat.io/gateway-controller";

// Settings of the L7 proxy the route model needs (from --ingress-*).
struct IngressOptions {
    std::string ingress_class = "svcnat";  // --ingress-class
    bool watch_without_class = false;      // --watch-ingress-without-class
    std::optional<SocketAddress> http;     // --ingress-http-address
    std::optional<SocketAddress> https;    // --ingress-https-address
    std::string default_certificate;       // --default-ssl-certificate "ns/name" ("" = a self-signed one)
    bool ssl_redirect = true;              // --ingress-ssl-redirect
    bool enabled() const { return http || https; }
    bool operator==(const IngressOptions&) const = default;
};

struct L7Server {
    IPAddr ip;
    uint16_t port = 0;
    // Terminating but still serving while ready endpoints exist: no new
    // requests, open connections finish (HAProxy weight 0).
    bool drain = false;
    auto operator<=>(const L7Server&) const = default;
    bool operator==(const L7Server&) const = default;
};

// A Service port as a pool of servers; `name` is "ns/service:port".
struct L7Backend {
    std::string name;
    std::vector<L7Server> servers;  // sorted by (ip, port)
    bool operator==(const L7Backend&) const = default;
};

enum class L7PathKind : uint8_t { Exact, Prefix };

struct L7WeightedBackend {
    int32_t backend = -1;  // index into RouteState::backends; -1: an unusable reference
    uint32_t weight = 1;
    bool operator==(const L7WeightedBackend&) const = default;
};

struct L7Route {
    L7PathKind path_kind = L7PathKind::Prefix;
    // Exact: the path as written. Prefix: without its trailing '/' ("" for "/").
    std::string path;
    std::string method;  // "" = any
    std::vector<HTTPValueMatch> headers;
    std::vector<HTTPValueMatch> query;
    HTTPHeaderFilter request_headers;
    HTTPHeaderFilter response_headers;
    std::optional<HTTPRequestRedirect> redirect;
    std::optional<HTTPURLRewrite> rewrite;
    // Weighted choice among backends. Weight-0 entries are kept (they say
    // "send nothing there"); an entry with backend -1 answers
    // `invalid_status` for its share of requests.
    std::vector<L7WeightedBackend> backends;
    uint16_t invalid_status = 500;  // 503 for Ingress backends, as ingress-nginx answers
    bool is_default = false;        // an Ingress's defaultBackend
    std::string source;             // "Ingress web/shop: spec.rules[0].http.paths[1]"

    // Does this route care about more than the path?
    bool conditional() const { return !method.empty() || !headers.empty() || !query.empty(); }
    bool operator==(const L7Route&) const = default;
};

struct L7VirtualHost {
    std::string hostname;    // "" = every host; "*.foo.com" = a wildcard
    bool any_depth = false;  // a Gateway API wildcard: one label or more before the suffix
    std::vector<L7Route> routes;  // highest precedence first
    bool operator==(const L7VirtualHost&) const = default;
};

struct L7Certificate {
    std::string name;              // the Secret, "ns/name"
    std::string pem;               // certificate chain then key
    std::vector<std::string> sni;  // hostnames it is served for (empty: the certificate's own names)
    bool operator==(const L7Certificate&) const = default;
};

struct L7Listener {
    SocketAddress address;
    bool tls = false;
    std::vector<L7VirtualHost> vhosts;  // sorted by (hostname, any_depth)
    // TLS listeners: indexes into RouteState::certificates, in the order
    // SNI is tried; the default certificate comes before them.
    std::vector<uint32_t> certificates;
    // Plain listeners: hostnames whose requests are answered with a 308 to
    // https://host[:redirect_port] (Ingress TLS hosts, as ingress-nginx).
    std::vector<std::string> redirect_to_https;
    uint16_t redirect_port = 443;
    bool operator==(const L7Listener&) const = default;
};

struct RouteState {
    std::vector<L7Listener> listeners;  // sorted by address
    std::vector<L7Backend> backends;    // sorted by name
    std::vector<L7Certificate> certificates;
    // The --default-ssl-certificate Secret when it is usable, else none
    // (the data path makes a self-signed one).
    std::optional<L7Certificate> default_certificate;
    bool operator==(const RouteState&) const = default;
};

}  // namespace svcnat
