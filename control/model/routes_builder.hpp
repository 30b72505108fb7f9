// The part of route_state() both APIs share (internal to the model): the
// backends table, listeners and virtual hosts as they are filled, the
// precedence order, and the warnings with their file and line. Ingresses
// (routes_ingress.cpp) and Gateway API routes (routes_gateway.cpp) add to
// one Builder, so that both merge into the same listeners and hosts.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "routes.hpp"

namespace svcnat::routes {

// Where a route came from: its object (for the conflict order and the
// warning's file) and its place in it.
struct Origin {
    const ObjectMeta* object = nullptr;
    std::string_view kind;  // "Ingress", "HTTPRoute": ties between objects of one name
    uint32_t rule = 0;
    uint32_t match = 0;
    uint32_t line = 0;
    std::string field;  // "spec.rules[0].http.paths[1]"
};

class Builder {
public:
    Builder(const Manifests& manifests, const RoutedServices& services, const IngressOptions& options,
            std::vector<Diagnostic>* warnings)
        : manifests(manifests), options(options), services_(services), warnings_(warnings) {}

    const Manifests& manifests;
    const IngressOptions& options;

    void warn(const ObjectMeta& object, uint32_t line, const std::string& field, std::string message);
    // For what the settings name (--default-ssl-certificate): no file.
    void warn_setting(const std::string& setting, std::string message);
    void notice(const ObjectMeta& object, std::string message);

    // The certificate of a Secret, for `sni`; nullopt (after a warning:
    // those hosts get the default certificate) when it is missing or broken.
    std::optional<L7Certificate> secret_certificate(const Origin& from, const std::string& ns, const std::string& name,
                                                    std::vector<std::string> sni);

    // A Service port (by number, else by name) as a backend: its index, or
    // -1 after a warning naming what is missing.
    int32_t service_backend(const Origin& from, const std::string& ns, const std::string& service,
                            uint16_t port_number, const std::string& port_name);

    // The listener at `address`; nullptr (after a warning) when the address
    // already serves the other kind (plain vs TLS).
    L7Listener* listener(const SocketAddress& address, bool tls, const Origin& from);

    // A virtual host is (hostname, any_depth) on a listener, made by the
    // first route added to it.
    using HostKey = std::pair<std::string, bool>;
    void add(const L7Listener& listener, const HostKey& host, L7Route route, Origin origin);
    bool has_default(const L7Listener& listener, const HostKey& host) const;
    std::vector<HostKey> hosts(const L7Listener& listener) const;

    // A certificate served on `listener` for `sni` (empty: its own names).
    // Hostnames already claimed there by an earlier certificate are dropped
    // with a warning.
    void add_certificate(L7Listener& listener, L7Certificate cert, const Origin& from);
    void set_default_certificate(L7Certificate cert) { default_certificate_ = std::move(cert); }

    RouteState finish();

private:
    struct Draft {
        L7Route route;
        Origin origin;
    };
    struct ListenerDraft {
        std::map<HostKey, std::vector<Draft>> vhosts;
        std::map<std::string, std::string> sni_owner;  // hostname -> the certificate's name
    };
    std::vector<L7Route> precedence_order(const HostKey& host, std::vector<Draft>& drafts);

    const RoutedServices& services_;
    std::vector<Diagnostic>* warnings_;
    std::set<std::string> said_;
    std::map<SocketAddress, L7Listener> listeners_;
    std::map<SocketAddress, ListenerDraft> drafts_;
    std::vector<L7Backend> backends_;              // in first-use order; sorted by finish()
    std::map<std::string, int32_t> backend_index_;  // name -> index into backends_
    std::vector<L7Certificate> certificates_;
    std::optional<L7Certificate> default_certificate_;
};

// Adds what the Ingresses of svcnat's class ask for.
void add_ingresses(Builder& b);
// Adds what the HTTPRoutes attached to svcnat's Gateways ask for.
void add_gateway_routes(Builder& b);

}  // namespace svcnat::routes
