// route_state() and what both APIs share: backends from resolved endpoints,
// listeners, virtual hosts, the precedence order, certificates.
#include "routes.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "routes_builder.hpp"

namespace svcnat {

bool prefix_matches(std::string_view prefix, std::string_view path) {
    if (prefix.empty()) return true;
    return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

namespace {

// The more specific of two hostnames when one covers the other, or "" if
// neither does (Gateway API wildcards cover any number of labels).
std::optional<std::string> intersect(std::string_view listener, std::string_view route) {
    if (listener == route) return std::string(route);
    const bool lw = listener.starts_with("*."), rw = route.starts_with("*.");
    if (lw && !rw && route.ends_with(listener.substr(1))) return std::string(route);
    if (!lw && rw && listener.ends_with(route.substr(1))) return std::string(listener);
    if (lw && rw) {
        if (route.substr(1).ends_with(listener.substr(1))) return std::string(route);
        if (listener.substr(1).ends_with(route.substr(1))) return std::string(listener);
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::string> intersect_hostnames(std::string_view listener, const std::vector<std::string>& route) {
    if (route.empty()) return {std::string(listener)};
    if (listener.empty()) return route;
    std::vector<std::string> out;
    for (const auto& h : route)
        if (auto x = intersect(listener, h); x && std::find(out.begin(), out.end(), *x) == out.end()) out.push_back(*x);
    return out;
}

std::vector<std::string> routed_service_keys(const Manifests& manifests) {
    std::set<std::string> keys;
    for (const auto& ing : manifests.ingresses) {
        if (ing.defaultBackend) keys.insert(ing.meta.ns + "/" + ing.defaultBackend->service);
        for (const auto& rule : ing.rules)
            for (const auto& p : rule.paths) keys.insert(ing.meta.ns + "/" + p.backend.service);
    }
    for (const auto& route : manifests.httpRoutes)
        for (const auto& rule : route.rules)
            for (const auto& ref : rule.backendRefs)
                if (ref.group.empty() && ref.kind == "Service") keys.insert(ref.ns + "/" + ref.name);
    return {keys.begin(), keys.end()};
}

namespace routes {

void Builder::warn(const ObjectMeta& object, uint32_t line, const std::string& field, std::string message) {
    if (!warnings_) return;
    Diagnostic d;
    d.severity = Severity::Warning;
    d.file = object.loc.file;
    d.line = line ? line : object.loc.line;
    d.field = field;
    d.message = std::move(message);
    // The same rule is served on several listeners: said once.
    if (!said_.insert(d.str()).second) return;
    warnings_->push_back(std::move(d));
}

void Builder::warn_setting(const std::string& setting, std::string message) {
    if (!warnings_) return;
    Diagnostic d;
    d.severity = Severity::Warning;
    d.file = setting;
    d.message = std::move(message);
    warnings_->push_back(std::move(d));
}

void Builder::notice(const ObjectMeta& object, std::string message) {
    if (!warnings_) return;
    Diagnostic d;
    d.severity = Severity::Notice;
    d.file = object.loc.file;
    d.line = object.loc.line;
    d.message = std::move(message);
    warnings_->push_back(std::move(d));
}

std::optional<L7Certificate> Builder::secret_certificate(const Origin& from, const std::string& ns,
                                                         const std::string& name, std::vector<std::string> sni) {
    const std::string key = ns + "/" + name;
    std::string hosts;
    for (const auto& h : sni) hosts += (hosts.empty() ? "" : ", ") + h;
    const std::string fallback = ": " + (hosts.empty() ? std::string("its hosts get") : hosts + " get") +
                                 " the default certificate";
    auto it = std::find_if(manifests.secrets.begin(), manifests.secrets.end(),
                           [&](const TLSSecret& s) { return s.meta.ns == ns && s.meta.name == name; });
    if (it == manifests.secrets.end()) {
        warn(*from.object, from.line, from.field, "Secret \"" + key + "\" not found" + fallback);
        return std::nullopt;
    }
    if (!it->problem.empty()) {
        warn(*from.object, from.line, from.field, "Secret \"" + key + "\" cannot be served (" + it->problem + ")" + fallback);
        return std::nullopt;
    }
    std::string pem = it->certificate;
    if (!pem.empty() && pem.back() != '\n') pem += '\n';
    pem += it->key;
    if (!pem.empty() && pem.back() != '\n') pem += '\n';
    return L7Certificate{key, std::move(pem), std::move(sni)};
}

int32_t Builder::service_backend(const Origin& from, const std::string& ns, const std::string& service,
                                 uint16_t port_number, const std::string& port_name) {
    const std::string key = ns + "/" + service;
    auto it = services_.find(key);
    if (it == services_.end() || !it->second.service) {
        warn(*from.object, from.line, from.field, "Service \"" + key + "\" not found");
        return -1;
    }
    const Service& svc = *it->second.service;
    if (svc.type == ServiceType::ExternalName) {
        warn(*from.object, from.line, from.field,
             "Service \"" + key + "\" is of type ExternalName: svcnat routes to a Service's endpoints only");
        return -1;
    }
    size_t i = 0;
    for (; i < svc.ports.size(); ++i)
        if (port_number ? svc.ports[i].port == port_number : svc.ports[i].name == port_name) break;
    if (i == svc.ports.size() || i >= it->second.per_port.size()) {
        warn(*from.object, from.line, from.field,
             "Service \"" + key + "\" has no port " + (port_number ? std::to_string(port_number) : "named \"" + port_name + "\""));
        return -1;
    }
    const std::string name = key + ":" + std::to_string(svc.ports[i].port);
    if (auto known = backend_index_.find(name); known != backend_index_.end()) return known->second;
    L7Backend backend{name, {}};
    const auto& endpoints = it->second.per_port[i];
    const auto usable = usable_endpoints(endpoints, false);
    for (const auto& ep : endpoints) {
        const bool used = std::find(usable.begin(), usable.end(), &ep) != usable.end();
        // Terminating endpoints that still serve finish what they have;
        // new requests go to the ready ones (kube-proxy's rule).
        if (used || (ep.serving && ep.terminating)) backend.servers.push_back({ep.ip, ep.port, !used});
    }
    std::sort(backend.servers.begin(), backend.servers.end());
    const auto index = static_cast<int32_t>(backends_.size());
    backends_.push_back(std::move(backend));
    backend_index_.emplace(name, index);
    return index;
}

L7Listener* Builder::listener(const SocketAddress& address, bool tls, const Origin& from) {
    auto it = listeners_.find(address);
    if (it != listeners_.end()) {
        if (it->second.tls == tls) return &it->second;
        warn(*from.object, from.line, from.field,
             address.str() + " already serves " + (it->second.tls ? "HTTPS" : "HTTP") + ": not served");
        return nullptr;
    }
    L7Listener l;
    l.address = address;
    l.tls = tls;
    if (options.https) l.redirect_port = options.https->port;
    drafts_[address];
    return &listeners_.emplace(address, std::move(l)).first->second;
}

void Builder::add(const L7Listener& listener, const HostKey& host, L7Route route, Origin origin) {
    drafts_[listener.address].vhosts[host].push_back({std::move(route), std::move(origin)});
}

bool Builder::has_default(const L7Listener& listener, const HostKey& host) const {
    auto l = drafts_.find(listener.address);
    if (l == drafts_.end()) return false;
    auto h = l->second.vhosts.find(host);
    if (h == l->second.vhosts.end()) return false;
    return std::any_of(h->second.begin(), h->second.end(), [](const Draft& d) { return d.route.is_default; });
}

std::vector<Builder::HostKey> Builder::hosts(const L7Listener& listener) const {
    std::vector<HostKey> out;
    if (auto l = drafts_.find(listener.address); l != drafts_.end())
        for (const auto& [key, drafts] : l->second.vhosts) out.push_back(key);
    return out;
}

void Builder::add_certificate(L7Listener& listener, L7Certificate cert, const Origin& from) {
    auto& owners = drafts_[listener.address].sni_owner;
    std::vector<std::string> sni;
    for (auto& host : cert.sni) {
        auto [it, inserted] = owners.emplace(host, cert.name);
        if (inserted) sni.push_back(host);
        else if (it->second != cert.name)
            warn(*from.object, from.line, from.field,
                 "host \"" + host + "\" already has the certificate of Secret " + it->second + " on " +
                     listener.address.str() + ": Secret " + cert.name + " is not used for it");
    }
    if (!cert.sni.empty() && sni.empty()) return;
    cert.sni = std::move(sni);
    for (uint32_t i : listener.certificates)
        if (certificates_[i] == cert) return;
    listener.certificates.push_back(static_cast<uint32_t>(certificates_.size()));
    certificates_.push_back(std::move(cert));
}

namespace {

// Precedence within a virtual host (see routes.hpp); smaller first.
auto rank(const L7Route& r) {
    const bool exact = r.path_kind == L7PathKind::Exact;
    return std::make_tuple(r.is_default, exact ? 0 : 1, exact ? 0L : -static_cast<long>(r.path.size()), r.method.empty(),
                           -static_cast<long>(r.headers.size()), -static_cast<long>(r.query.size()));
}

bool earlier(const Origin& a, const Origin& b) {
    if (a.object != b.object) {
        if (older_than(*a.object, *b.object)) return true;
        if (older_than(*b.object, *a.object)) return false;
        if (a.kind != b.kind) return a.kind < b.kind;
    }
    return std::tie(a.rule, a.match) < std::tie(b.rule, b.match);
}

std::string describe_host(const std::string& hostname) { return hostname.empty() ? "every host" : "host \"" + hostname + "\""; }

}  // namespace

std::vector<L7Route> Builder::precedence_order(const HostKey& host, std::vector<Draft>& drafts) {
    std::stable_sort(drafts.begin(), drafts.end(), [](const Draft& a, const Draft& b) {
        const auto ra = rank(a.route), rb = rank(b.route);
        if (ra != rb) return ra < rb;
        return earlier(a.origin, b.origin);
    });
    // A route that matches exactly what an earlier one matches can never
    // win: said once, and left out of the proxy's tables.
    std::map<std::tuple<bool, L7PathKind, std::string>, std::string> unconditional;  // -> the winner's source
    std::vector<L7Route> out;
    out.reserve(drafts.size());
    for (auto& d : drafts) {
        if (!d.route.conditional()) {
            auto [it, inserted] =
                unconditional.emplace(std::make_tuple(d.route.is_default, d.route.path_kind, d.route.path), d.route.source);
            if (!inserted) {
                const std::string what = d.route.is_default ? "the default backend"
                                         : std::string(d.route.path_kind == L7PathKind::Exact ? "Exact" : "Prefix") +
                                               " path \"" + (d.route.path.empty() ? "/" : d.route.path) + "\"";
                warn(*d.origin.object, d.origin.line, d.origin.field,
                     what + " of " + describe_host(host.first) + " is already served by " + it->second +
                         ": this one is not used");
                continue;
            }
        }
        out.push_back(std::move(d.route));
    }
    return out;
}

RouteState Builder::finish() {
    RouteState state;
    // Backends sorted by name; routes refer to them by their new index.
    std::vector<int32_t> order(backends_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return backends_[a].name < backends_[b].name; });
    std::vector<int32_t> new_index(backends_.size());
    for (size_t i = 0; i < order.size(); ++i) new_index[order[i]] = static_cast<int32_t>(i);
    for (int32_t i : order) state.backends.push_back(std::move(backends_[i]));

    for (auto& [address, listener] : listeners_) {
        auto& draft = drafts_[address];
        for (auto& [host, drafts] : draft.vhosts) {
            L7VirtualHost vh{host.first, host.second, precedence_order(host, drafts)};
            for (auto& r : vh.routes)
                for (auto& b : r.backends)
                    if (b.backend >= 0) b.backend = new_index[b.backend];
            listener.vhosts.push_back(std::move(vh));
        }
        std::sort(listener.redirect_to_https.begin(), listener.redirect_to_https.end());
        listener.redirect_to_https.erase(std::unique(listener.redirect_to_https.begin(), listener.redirect_to_https.end()),
                                         listener.redirect_to_https.end());
        state.listeners.push_back(std::move(listener));
    }
    state.certificates = std::move(certificates_);
    state.default_certificate = std::move(default_certificate_);
    return state;
}

}  // namespace routes

RouteState route_state(const Manifests& manifests, const RoutedServices& services, const IngressOptions& options,
                       std::vector<Diagnostic>* warnings) {
    if (!options.enabled()) return {};
    routes::Builder b(manifests, services, options, warnings);
    if (const auto& name = options.default_certificate; !name.empty()) {
        const auto slash = name.find('/');
        const std::string ns = slash == std::string::npos ? "default" : name.substr(0, slash);
        const std::string secret = slash == std::string::npos ? name : name.substr(slash + 1);
        auto it = std::find_if(manifests.secrets.begin(), manifests.secrets.end(),
                               [&](const TLSSecret& s) { return s.meta.ns == ns && s.meta.name == secret; });
        if (it == manifests.secrets.end())
            b.warn_setting("--default-ssl-certificate", "Secret \"" + ns + "/" + secret + "\" not found: a self-signed certificate is served instead");
        else if (!it->problem.empty())
            b.warn_setting("--default-ssl-certificate", "Secret \"" + ns + "/" + secret + "\" cannot be served (" + it->problem + "): a self-signed certificate is served instead");
        else
            b.set_default_certificate(L7Certificate{ns + "/" + secret, it->certificate + "\n" + it->key + "\n", {}});
    }
    routes::add_ingresses(b);
    routes::add_gateway_routes(b);
    return b.finish();
}

}  // namespace svcnat
