#include "ingress_format.hpp"

#include <algorithm>
#include <set>

#include "kubectl_format.hpp"
#include "tabwriter.hpp"

namespace svcnat::cli {

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

const Endpoints* endpoints_of(const std::vector<Endpoints>& all, const std::string& ns, const std::string& name) {
    for (const auto& e : all)
        if (e.meta.ns == ns && e.meta.name == name) return &e;
    return nullptr;
}

// "svc:port (10.0.0.1:8080,...)", as kubectl's describeBackendV1.
std::string describe_backend(const IngressBackend& b, const std::string& ns, const Manifests& m,
                             const std::vector<Endpoints>& endpoints) {
    const std::string head = b.service + ":" + b.port_str();
    const Service* svc = nullptr;
    for (const auto& s : m.services)
        if (s.meta.ns == ns && s.meta.name == b.service) svc = &s;
    const Endpoints* eps = endpoints_of(endpoints, ns, b.service);
    if (!svc || !eps) return head + " (<error: endpoints \"" + b.service + "\" not found>)";
    for (const auto& sp : svc->ports)
        if (b.port_number ? sp.port == b.port_number : sp.name == b.port_name)
            return head + " (" + format_endpoints(eps, sp.name) + ")";
    return head + " (<none>)";
}

}  // namespace

std::string ingress_hosts_column(const Ingress& ing) {
    constexpr size_t kMax = 4;
    std::vector<std::string> hosts;
    bool more = false;
    for (const auto& r : ing.rules) {
        if (hosts.size() == kMax) more = true;
        if (!more && !r.host.empty()) hosts.push_back(r.host);
    }
    if (hosts.empty()) return "*";
    std::string out = join(hosts, ",");
    if (more) out += " + " + std::to_string(ing.rules.size() - kMax) + " more...";
    return out;
}

std::string ingress_ports_column(const Ingress& ing) { return ing.tls.empty() ? "80" : "80, 443"; }

std::string ingress_address_column(const IngressSettings& s) {
    std::vector<std::string> out;
    for (const auto& ip : s.status_addresses) out.push_back(ip.str());
    if (out.empty())
        for (const auto& a : {s.routes.http, s.routes.https})
            if (a && a->ip != IPAddr{a->ip.family, {}} &&
                std::find(out.begin(), out.end(), a->ip.str()) == out.end())
                out.push_back(a->ip.str());
    return join(out, ",");
}

std::string route_hostnames_column(const HTTPRoute& route) {
    std::vector<std::string> quoted;
    for (const auto& h : route.hostnames) quoted.push_back("\"" + h + "\"");
    return "[" + join(quoted, ",") + "]";
}

std::string describe_ingress(const Ingress& ing, const Manifests& m, const std::vector<Endpoints>& endpoints,
                             const std::string& address) {
    std::string t;
    t += "Name:\t" + ing.meta.name + "\n";
    multiline(t, "Labels", ing.meta.labels, "=");
    t += "Namespace:\t" + ing.meta.ns + "\n";
    t += "Address:\t" + address + "\n";
    t += "Ingress Class:\t" + (ing.ingressClassName.empty() ? std::string("<none>") : ing.ingressClassName) + "\n";
    t += "Default backend:\t" +
         (ing.defaultBackend ? describe_backend(*ing.defaultBackend, ing.meta.ns, m, endpoints) : std::string("<default>")) + "\n";
    if (!ing.tls.empty()) {
        t += "TLS:\n";
        for (const auto& tls : ing.tls)
            t += "  " + (tls.secretName.empty() ? std::string("SNI routes") : tls.secretName + " terminates") + " " +
                 join(tls.hosts, ",") + "\n";
    }
    t += "Rules:\n";
    t += "  Host\tPath\tBackends\n";
    t += "  ----\t----\t--------\n";
    if (ing.rules.empty())
        t += "  *\t*\t" + (ing.defaultBackend ? describe_backend(*ing.defaultBackend, ing.meta.ns, m, endpoints) : "<default>") + "\n";
    for (const auto& r : ing.rules) {
        t += "  " + (r.host.empty() ? std::string("*") : r.host) + "\t\n";
        for (const auto& p : r.paths)
            t += "  \t" + (p.path.empty() ? std::string("/") : p.path) + " \t" + describe_backend(p.backend, ing.meta.ns, m, endpoints) + "\n";
    }
    multiline(t, "Annotations", described_annotations(ing.meta), ": ");
    t += "Events:\t<none>\n";
    return kubectl_describe(t);
}

}  // namespace svcnat::cli
