// Gateway API HTTPRoutes as routes, on the listeners of the Gateways whose
// GatewayClass names svcnat's controller: attachment by parentRef (name,
// sectionName, port), allowedRoutes (namespaces, kinds), hostname
// intersection; every match of every rule as a route with its filters and
// weighted backends. Unusable backend references (another kind, another
// namespace without a ReferenceGrant, a Service or port that does not
// exist) answer 500 for their share, as the spec requires.
#include <algorithm>

#include "routes_builder.hpp"

namespace svcnat::routes {

namespace {

constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

struct ServedListener {
    const Gateway* gateway;
    const GatewayListener* spec;
    L7Listener* listener;
};

std::string route_name(const HTTPRoute& r) { return r.meta.ns + "/" + r.meta.name; }

Labels namespace_labels(const Manifests& m, const std::string& ns) {
    for (const auto& n : m.namespaces)
        if (n.meta.name == ns) return n.meta.labels;
    return {{"kubernetes.io/metadata.name", ns}};
}

class GatewayPass {
public:
    explicit GatewayPass(Builder& b) : b_(b), opts_(b.options) {}

    void run() {
        std::vector<const Gateway*> gateways;
        for (const auto& gw : b_.manifests.gateways)
            if (is_ours(gw)) gateways.push_back(&gw);
        std::sort(gateways.begin(), gateways.end(), [](const Gateway* a, const Gateway* b) { return older_than(a->meta, b->meta); });
        for (const Gateway* gw : gateways) add_listeners(*gw);
        std::vector<const HTTPRoute*> routes;
        for (const auto& r : b_.manifests.httpRoutes) routes.push_back(&r);
        std::sort(routes.begin(), routes.end(), [](const HTTPRoute* a, const HTTPRoute* b) { return older_than(a->meta, b->meta); });
        for (const HTTPRoute* r : routes) add_route(*r);
    }

private:
    bool is_ours(const Gateway& gw) {
        for (const auto& c : b_.manifests.gatewayClasses)
            if (c.meta.name == gw.gatewayClassName) {
                if (c.controllerName == kGatewayController) return true;
                b_.notice(gw.meta, "Gateway " + gw.meta.ns + "/" + gw.meta.name + " is not served: GatewayClass \"" +
                                       c.meta.name + "\" names controller \"" + c.controllerName + "\"");
                return false;
            }
        b_.notice(gw.meta, "Gateway " + gw.meta.ns + "/" + gw.meta.name + " is not served: GatewayClass \"" +
                               gw.gatewayClassName + "\" not found");
        return false;
    }

    void add_listeners(const Gateway& gw) {
        for (size_t i = 0; i < gw.listeners.size(); ++i) {
            const GatewayListener& l = gw.listeners[i];
            const Origin at{&gw.meta, "Gateway", static_cast<uint32_t>(i), 0, l.line,
                            "spec.listeners[" + std::to_string(i) + "]"};
            const bool tls = l.protocol == "HTTPS";
            if (!tls && l.protocol != "HTTP") {
                b_.warn(gw.meta, l.line, at.field, "protocol " + l.protocol + " is not served (svcnat serves HTTP and HTTPS listeners)");
                continue;
            }
            if (l.passthrough) {
                b_.warn(gw.meta, l.line, at.field, "TLS passthrough is not served (svcnat terminates TLS)");
                continue;
            }
            // The listener's port on the address svcnat serves that protocol on.
            const auto& preferred = tls ? opts_.https : opts_.http;
            const auto& other = tls ? opts_.http : opts_.https;
            const SocketAddress address{(preferred ? *preferred : *other).ip, l.port};
            L7Listener* listener = b_.listener(address, tls, at);
            if (!listener) continue;
            if (tls) add_certificates(gw, l, at, *listener);
            served_.push_back({&gw, &l, listener});
        }
    }

    void add_certificates(const Gateway& gw, const GatewayListener& l, const Origin& at, L7Listener& listener) {
        for (const auto& ref : l.certificateRefs) {
            if (ref.ns != gw.meta.ns && !reference_granted(b_.manifests.referenceGrants, kGatewayGroup, "Gateway",
                                                           gw.meta.ns, "", "Secret", ref.ns, ref.name)) {
                b_.warn(gw.meta, ref.line, at.field + ".tls.certificateRefs",
                        "Secret " + ref.ns + "/" + ref.name + " is in another namespace and no ReferenceGrant allows it "
                        "(RefNotPermitted): the default certificate is served");
                continue;
            }
            std::vector<std::string> sni;
            if (!l.hostname.empty()) sni.push_back(l.hostname);
            if (auto cert = b_.secret_certificate(at, ref.ns, ref.name, std::move(sni)))
                b_.add_certificate(listener, std::move(*cert), at);
        }
    }

    bool admits(const ServedListener& s, const HTTPRoute& route) const {
        const auto& l = *s.spec;
        if (!l.kinds.empty() && std::find(l.kinds.begin(), l.kinds.end(), "HTTPRoute") == l.kinds.end()) return false;
        switch (l.from) {
            case FromNamespaces::Same: return route.meta.ns == s.gateway->meta.ns;
            case FromNamespaces::All: return true;
            case FromNamespaces::Selector: return l.selector.matches(namespace_labels(b_.manifests, route.meta.ns));
        }
        return false;
    }

    // One backend list per rule (warnings once, however many listeners).
    std::vector<L7WeightedBackend> rule_backends(const HTTPRoute& route, size_t ri) {
        std::vector<L7WeightedBackend> out;
        const HTTPRouteRule& rule = route.rules[ri];
        for (size_t bi = 0; bi < rule.backendRefs.size(); ++bi) {
            const HTTPBackendRef& ref = rule.backendRefs[bi];
            const Origin at{&route.meta, "HTTPRoute", static_cast<uint32_t>(ri), 0, ref.line,
                            "spec.rules[" + std::to_string(ri) + "].backendRefs[" + std::to_string(bi) + "]"};
            int32_t index = -1;
            if (!ref.group.empty() || ref.kind != "Service") {
                b_.warn(route.meta, ref.line, at.field,
                        "kind " + (ref.group.empty() ? "" : ref.group + "/") + ref.kind +
                            " is not a Service (InvalidKind): its share of requests gets 500");
            } else if (ref.ns != route.meta.ns &&
                       !reference_granted(b_.manifests.referenceGrants, kGatewayGroup, "HTTPRoute", route.meta.ns, "",
                                          "Service", ref.ns, ref.name)) {
                b_.warn(route.meta, ref.line, at.field,
                        "Service " + ref.ns + "/" + ref.name + " is in another namespace and no ReferenceGrant allows "
                        "it (RefNotPermitted): its share of requests gets 500");
            } else {
                index = b_.service_backend(at, ref.ns, ref.name, ref.port, "");
            }
            out.push_back({index, ref.weight});
        }
        return out;
    }

    static L7Route match_route(const HTTPRouteRule& rule, const HTTPRouteMatch& m,
                               const std::vector<L7WeightedBackend>& backends, std::string source) {
        L7Route r;
        r.path_kind = m.path.type == PathMatchType::Exact ? L7PathKind::Exact : L7PathKind::Prefix;
        r.path = m.path.value;
        if (r.path_kind == L7PathKind::Prefix)
            while (!r.path.empty() && r.path.back() == '/') r.path.pop_back();
        r.method = m.method;
        r.headers = m.headers;
        r.query = m.queryParams;
        for (const auto& f : rule.filters) {
            switch (f.type) {
                case HTTPRouteFilter::Type::RequestHeaderModifier: r.request_headers = f.headers; break;
                case HTTPRouteFilter::Type::ResponseHeaderModifier: r.response_headers = f.headers; break;
                case HTTPRouteFilter::Type::RequestRedirect: r.redirect = f.redirect; break;
                case HTTPRouteFilter::Type::URLRewrite: r.rewrite = f.rewrite; break;
            }
        }
        r.backends = backends;
        r.invalid_status = 500;
        r.source = std::move(source);
        return r;
    }

    void add_route(const HTTPRoute& route) {
        std::vector<std::vector<L7WeightedBackend>> backends;  // per rule, made on first attachment
        bool attached_anywhere = false;
        for (size_t pi = 0; pi < route.parentRefs.size(); ++pi) {
            const ParentReference& ref = route.parentRefs[pi];
            const std::string field = "spec.parentRefs[" + std::to_string(pi) + "]";
            bool gateway_ours = false, attached = false;
            for (const auto& s : served_) {
                if (ref.kind != "Gateway" || s.gateway->meta.ns != ref.ns || s.gateway->meta.name != ref.name) continue;
                gateway_ours = true;
                if ((!ref.sectionName.empty() && ref.sectionName != s.spec->name) || (ref.port && ref.port != s.spec->port))
                    continue;
                if (!admits(s, route)) {
                    if (!ref.sectionName.empty())
                        b_.warn(route.meta, ref.line, field, "listener " + s.spec->name + " of Gateway " + ref.ns + "/" +
                                                                 ref.name + " does not allow this route (NotAllowedByListeners)");
                    continue;
                }
                const auto hostnames = intersect_hostnames(s.spec->hostname, route.hostnames);
                if (hostnames.empty()) continue;
                if (backends.empty())
                    for (size_t ri = 0; ri < route.rules.size(); ++ri) backends.push_back(rule_backends(route, ri));
                attach(route, *s.listener, hostnames, backends);
                attached = true;
            }
            if (gateway_ours && !attached)
                b_.warn(route.meta, ref.line, field,
                        "attaches to no listener of Gateway " + ref.ns + "/" + ref.name +
                            " (sectionName, port, allowedRoutes or hostnames do not match)");
            attached_anywhere = attached_anywhere || attached;
        }
        if (!attached_anywhere && !route.parentRefs.empty())
            b_.notice(route.meta, "HTTPRoute " + route_name(route) + " is not served: no Gateway of svcnat's takes it");
    }

    void attach(const HTTPRoute& route, L7Listener& listener, const std::vector<std::string>& hostnames,
                const std::vector<std::vector<L7WeightedBackend>>& backends) {
        for (size_t ri = 0; ri < route.rules.size(); ++ri) {
            const HTTPRouteRule& rule = route.rules[ri];
            if (!rule.unsupported.empty()) continue;  // reported when decoded
            for (size_t mi = 0; mi < rule.matches.size(); ++mi) {
                const std::string field = "spec.rules[" + std::to_string(ri) + "].matches[" + std::to_string(mi) + "]";
                const Origin at{&route.meta, "HTTPRoute", static_cast<uint32_t>(ri), static_cast<uint32_t>(mi),
                                rule.matches[mi].line ? rule.matches[mi].line : rule.line, field};
                L7Route r = match_route(rule, rule.matches[mi], backends[ri],
                                        "HTTPRoute " + route_name(route) + ": " + field);
                for (const auto& h : hostnames) b_.add(listener, {h, h.starts_with("*.")}, r, at);
            }
        }
    }

    Builder& b_;
    const IngressOptions& opts_;
    std::vector<ServedListener> served_;
};

}  // namespace

void add_gateway_routes(Builder& b) { GatewayPass(b).run(); }

}  // namespace svcnat::routes
