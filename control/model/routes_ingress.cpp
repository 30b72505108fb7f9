// Ingresses of svcnat's class as routes, as the Kubernetes documentation
// and ingress-nginx define them: every rule on the plain and the TLS
// listener, paths Exact or Prefix (ImplementationSpecific is svcnat's
// Prefix), a host's unmatched requests to its Ingress's defaultBackend,
// else to the cluster's (the oldest Ingress with only a defaultBackend),
// else 404; a missing Service or port answers 503. TLS hosts get their
// Secret's certificate by SNI, and plain requests for them a 308 to HTTPS.
#include <algorithm>
#include <set>

#include "routes_builder.hpp"

namespace svcnat {

namespace {

constexpr std::string_view kClassAnnotation = "kubernetes.io/ingress.class";
// ingress-nginx's switch, and svcnat's own name for it.
constexpr std::string_view kSslRedirectAnnotations[] = {"svcnat.io/ssl-redirect",
                                                        "nginx.ingress.kubernetes.io/ssl-redirect"};

const IngressClass* find_class(const Manifests& m, const std::string& name) {
    for (const auto& c : m.ingressClasses)
        if (c.meta.name == name) return &c;
    return nullptr;
}

std::string annotation(const ObjectMeta& meta, std::string_view key) {
    auto it = meta.annotations.find(std::string(key));
    return it == meta.annotations.end() ? std::string() : it->second;
}

}  // namespace

bool ingress_is_ours(const Ingress& ing, const Manifests& manifests, const IngressOptions& options, std::string* why) {
    auto no = [&](std::string reason) {
        if (why) *why = std::move(reason);
        return false;
    };
    const std::string& mine = options.ingress_class;
    const IngressClass* cls = find_class(manifests, mine);
    if (cls && cls->controller != kIngressController)
        return no("IngressClass \"" + mine + "\" names controller \"" + cls->controller + "\", not " +
                  std::string(kIngressController));
    if (!ing.ingressClassName.empty()) {
        if (ing.ingressClassName == mine) return true;
        return no("its class \"" + ing.ingressClassName + "\" is not svcnat's (--ingress-class " + mine + ")");
    }
    if (const std::string a = annotation(ing.meta, kClassAnnotation); !a.empty()) {
        if (a == mine) return true;
        return no("its class annotation \"" + a + "\" is not svcnat's (--ingress-class " + mine + ")");
    }
    if (options.watch_without_class || (cls && cls->is_default)) return true;
    return no("it has no class, IngressClass \"" + mine +
              "\" is not the default class and --watch-ingress-without-class is off");
}

namespace routes {

namespace {

std::string field_of_path(size_t rule, size_t path) {
    return "spec.rules[" + std::to_string(rule) + "].http.paths[" + std::to_string(path) + "]";
}

// The path as the route model keeps it: prefixes without their trailing '/'.
std::string route_path(const IngressPath& p) {
    if (p.pathType == IngressPathType::Exact) return p.path;
    std::string s = p.path;
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

L7Route backend_route(Builder& b, const Ingress& ing, const IngressBackend& backend, const Origin& at,
                      L7PathKind kind, std::string path, bool is_default) {
    L7Route r;
    r.path_kind = kind;
    r.path = std::move(path);
    r.is_default = is_default;
    r.invalid_status = 503;
    r.source = "Ingress " + ing.meta.ns + "/" + ing.meta.name + ": " + at.field;
    Origin backend_at = at;
    backend_at.line = backend.line ? backend.line : at.line;
    backend_at.field = at.field + (is_default ? "" : ".backend");
    r.backends.push_back({b.service_backend(backend_at, ing.meta.ns, backend.service, backend.port_number, backend.port_name), 1});
    return r;
}

class IngressPass {
public:
    explicit IngressPass(Builder& b) : b_(b), opts_(b.options) {}

    void run() {
        std::vector<const Ingress*> ours;
        for (const auto& ing : b_.manifests.ingresses) {
            std::string why;
            if (ingress_is_ours(ing, b_.manifests, opts_, &why)) ours.push_back(&ing);
            else b_.notice(ing.meta, "Ingress " + ing.meta.ns + "/" + ing.meta.name + " is not served: " + why);
        }
        if (ours.empty()) return;
        std::sort(ours.begin(), ours.end(), [](const Ingress* a, const Ingress* b) { return older_than(a->meta, b->meta); });
        const Origin first{&ours.front()->meta, "Ingress", 0, 0, 0, "spec"};
        if (opts_.http) http_ = b_.listener(*opts_.http, false, first);
        if (opts_.https) https_ = b_.listener(*opts_.https, true, first);
        for (const Ingress* ing : ours) add(*ing);
        add_cluster_default(ours);
    }

private:
    void each_listener(const auto& f) {
        for (L7Listener* l : {http_, https_})
            if (l) f(*l);
    }

    void add(const Ingress& ing) {
        add_tls(ing);
        std::set<std::string> hosts;
        for (size_t ri = 0; ri < ing.rules.size(); ++ri) {
            const IngressRule& rule = ing.rules[ri];
            hosts.insert(rule.host);
            for (size_t pi = 0; pi < rule.paths.size(); ++pi) {
                const IngressPath& p = rule.paths[pi];
                const Origin at{&ing.meta, "Ingress", static_cast<uint32_t>(ri), static_cast<uint32_t>(pi), p.line,
                                field_of_path(ri, pi)};
                const L7PathKind kind = p.pathType == IngressPathType::Exact ? L7PathKind::Exact : L7PathKind::Prefix;
                L7Route r = backend_route(b_, ing, p.backend, at, kind, route_path(p), false);
                each_listener([&](L7Listener& l) {
                    b_.add(l, {rule.host, false}, r, at);
                    ingress_hosts_[l.address].insert(rule.host);
                });
            }
        }
        // An Ingress's defaultBackend catches what its own hosts' paths do not.
        if (ing.defaultBackend && !ing.rules.empty()) {
            const Origin at{&ing.meta, "Ingress", 0, 0, ing.defaultBackend->line, "spec.defaultBackend"};
            L7Route r = backend_route(b_, ing, *ing.defaultBackend, at, L7PathKind::Prefix, "", true);
            for (const auto& host : hosts) each_listener([&](L7Listener& l) { b_.add(l, {host, false}, r, at); });
        }
    }

    void add_tls(const Ingress& ing) {
        std::set<std::string> tls_hosts;
        for (size_t i = 0; i < ing.tls.size(); ++i) {
            const IngressTLS& tls = ing.tls[i];
            const Origin at{&ing.meta, "Ingress", 0, 0, tls.line, "spec.tls[" + std::to_string(i) + "]"};
            tls_hosts.insert(tls.hosts.begin(), tls.hosts.end());
            if (!https_) {
                b_.warn(ing.meta, tls.line, at.field, "no --ingress-https-address: TLS is not served");
                continue;
            }
            // No secretName: the hosts are served with the default certificate.
            if (tls.secretName.empty()) continue;
            if (auto cert = b_.secret_certificate(at, ing.meta.ns, tls.secretName, tls.hosts))
                b_.add_certificate(*https_, std::move(*cert), at);
        }
        if (!http_ || !https_ || !opts_.ssl_redirect) return;
        for (auto key : kSslRedirectAnnotations)
            if (annotation(ing.meta, key) == "false") return;
        for (const auto& h : tls_hosts) http_->redirect_to_https.push_back(h);
    }

    // The oldest Ingress with a defaultBackend and no rules serves what
    // nothing else does: the host-less virtual host and every Ingress host
    // without a defaultBackend of its own.
    void add_cluster_default(const std::vector<const Ingress*>& ours) {
        auto it = std::find_if(ours.begin(), ours.end(),
                               [](const Ingress* i) { return i->defaultBackend && i->rules.empty(); });
        if (it == ours.end()) return;
        const Ingress& ing = **it;
        const Origin at{&ing.meta, "Ingress", 0, 0, ing.defaultBackend->line, "spec.defaultBackend"};
        L7Route r = backend_route(b_, ing, *ing.defaultBackend, at, L7PathKind::Prefix, "", true);
        for (const Ingress* other : ours)
            if (other != &ing && other->defaultBackend && other->rules.empty())
                b_.warn(other->meta, other->defaultBackend->line, "spec.defaultBackend",
                        "the cluster's default backend is already Ingress " + ing.meta.ns + "/" + ing.meta.name +
                            "'s: this one is not used");
        each_listener([&](L7Listener& l) {
            auto& hosts = ingress_hosts_[l.address];
            hosts.insert("");
            for (const auto& h : hosts)
                if (!b_.has_default(l, {h, false})) b_.add(l, {h, false}, r, at);
        });
    }

    Builder& b_;
    const IngressOptions& opts_;
    L7Listener* http_ = nullptr;
    L7Listener* https_ = nullptr;
    std::map<SocketAddress, std::set<std::string>> ingress_hosts_;
};

}  // namespace

void add_ingresses(Builder& b) { IngressPass(b).run(); }

}  // namespace routes
}  // namespace svcnat
