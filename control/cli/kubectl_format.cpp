#include "kubectl_format.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "control/model/resolve.hpp"
#include "tabwriter.hpp"

namespace svcnat::cli {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

std::vector<std::string> strs(const std::vector<IPAddr>& ips) {
    std::vector<std::string> out;
    for (const auto& ip : ips) out.push_back(ip.str());
    return out;
}

// net.JoinHostPort: brackets around IPv6 addresses.
std::string host_port(const IPAddr& ip, uint16_t port) {
    return ip.is_v4() ? ip.str() + ":" + std::to_string(port) : "[" + ip.str() + "]:" + std::to_string(port);
}

}  // namespace

Labels described_annotations(const ObjectMeta& meta) {
    Labels annotations = meta.annotations;
    annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
    return annotations;
}

std::string format_labels(const Labels& labels) {
    if (labels.empty()) return "<none>";
    std::vector<std::string> kv;
    for (const auto& [k, v] : labels) kv.push_back(k + "=" + v);  // std::map: sorted by key
    return join(kv, ",");
}

std::string cluster_ip_column(const Service& svc) {
    if (svc.headless) return "None";
    if (svc.clusterIPs.empty()) return "<none>";
    return svc.clusterIPs.front().str();
}

std::string external_ip_column(const Service& svc, bool wide) {
    const auto external = strs(svc.externalIPs);
    switch (svc.type) {
        case ServiceType::ClusterIP:
        case ServiceType::NodePort:
            return external.empty() ? "<none>" : join(external, ",");
        case ServiceType::LoadBalancer: {
            std::string lb = join(strs(svc.loadBalancerIngress), ",");
            // kubectl shortens a long ingress list unless -o wide.
            if (!wide && lb.size() > 16) lb = lb.substr(0, 13) + "...";
            std::vector<std::string> all;
            if (!lb.empty()) all.push_back(lb);
            all.insert(all.end(), external.begin(), external.end());
            return all.empty() ? "<pending>" : join(all, ",");
        }
        case ServiceType::ExternalName:
            return svc.externalName;
    }
    return "<unknown>";
}

std::string ports_column(const Service& svc) {
    std::vector<std::string> pieces;
    for (const auto& p : svc.ports) {
        std::string proto(to_string(p.protocol));
        pieces.push_back(p.nodePort ? std::to_string(p.port) + ":" + std::to_string(p.nodePort) + "/" + proto
                                    : std::to_string(p.port) + "/" + proto);
    }
    return pieces.empty() ? "<none>" : join(pieces, ",");
}

Endpoints synthesize_endpoints(const Service& svc, const std::vector<std::vector<ResolvedEndpoint>>& per_port) {
    Endpoints eps;
    eps.meta.name = svc.meta.name;
    eps.meta.ns = svc.meta.ns;
    eps.meta.labels = svc.meta.labels;
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        // A named targetPort may resolve to different numbers on different
        // pods; each number gets its own subset, as the controller does.
        std::map<uint16_t, EndpointSubset> by_target;
        for (const auto& ep : per_port[i]) {
            auto& ss = by_target[ep.port];
            if (ss.ports.empty()) ss.ports.push_back({svc.ports[i].name, svc.ports[i].protocol, ep.port});
            EndpointAddress a{ep.ip, ep.nodeName, "", ""};
            (ep.ready ? ss.addresses : ss.notReadyAddresses).push_back(a);
        }
        for (auto& [port, ss] : by_target) eps.subsets.push_back(std::move(ss));
    }
    return eps;
}

std::vector<Endpoints> all_endpoints(const Manifests& manifests, const NodeInfo& node) {
    std::vector<Endpoints> out;
    auto has_service = [&](const Endpoints& e) {
        return std::any_of(manifests.services.begin(), manifests.services.end(), [&](const Service& s) {
            return s.meta.ns == e.meta.ns && s.meta.name == e.meta.name && s.type != ServiceType::ExternalName;
        });
    };
    // What svcnat serves for each service: its Pods, EndpointSlices and
    // Endpoints merged by resolution, so a selector service fed by exported
    // slices, or a selector-less one fed by slices alone, shows what the
    // rules send traffic to (kubectl would show only Endpoints objects).
    const auto resolved = all_service_endpoints(manifests, node);
    for (size_t i = 0; i < manifests.services.size(); ++i) {
        const Service& svc = manifests.services[i];
        if (svc.type != ServiceType::ExternalName) out.push_back(synthesize_endpoints(svc, resolved[i]));
    }
    // Endpoints of no service are shown as written, as kubectl would.
    for (const auto& e : manifests.endpoints)
        if (!has_service(e)) out.push_back(e);
    std::sort(out.begin(), out.end(), [](const Endpoints& a, const Endpoints& b) {
        return std::tie(a.meta.ns, a.meta.name) < std::tie(b.meta.ns, b.meta.name);
    });
    return out;
}

std::string format_endpoints(const Endpoints* eps, const std::optional<std::string>& port_name) {
    if (!eps || eps->subsets.empty()) return "<none>";
    const size_t max = 3;
    std::vector<std::string> list;
    size_t count = 0;
    bool more = false;
    for (const auto& ss : eps->subsets) {
        if (ss.ports.empty()) {  // headless services may have no ports
            count += ss.addresses.size();
            for (const auto& a : ss.addresses) {
                if (list.size() == max) {
                    more = true;
                    break;
                }
                list.push_back(a.ip.str());
            }
            continue;
        }
        for (const auto& port : ss.ports) {
            if (port_name && port.name != *port_name) continue;
            count += ss.addresses.size();
            for (const auto& a : ss.addresses) {
                if (list.size() == max) {
                    more = true;
                    break;
                }
                list.push_back(host_port(a.ip, port.port));
            }
        }
    }
    std::string ret = join(list, ",");
    if (more) return ret + " + " + std::to_string(count - max) + " more...";
    return ret.empty() ? "<none>" : ret;
}

void multiline(std::string& out, const char* title, const Labels& values, const char* sep) {
    out += std::string(title) + ":\t";
    if (values.empty()) {
        out += "<none>\n";
        return;
    }
    bool first = true;
    for (const auto& [k, v] : values) {
        if (!first) out += "\t";
        out += k + sep + v + "\n";
        first = false;
    }
}

std::string describe_service(const Service& svc, const Endpoints* eps) {
    std::string t;
    t += "Name:\t" + svc.meta.name + "\n";
    t += "Namespace:\t" + svc.meta.ns + "\n";
    multiline(t, "Labels", svc.meta.labels, "=");
    multiline(t, "Annotations", described_annotations(svc.meta), ": ");
    t += "Selector:\t" + format_labels(svc.selector) + "\n";
    t += "Type:\t" + std::string(to_string(svc.type)) + "\n";
    const bool external_name = svc.type == ServiceType::ExternalName;
    // The API server leaves ipFamilyPolicy unset on ExternalName services.
    if (!external_name) t += "IP Family Policy:\t" + std::string(to_string(svc.ipFamilyPolicy)) + "\n";
    std::vector<std::string> fams;
    for (auto f : svc.ipFamilies) fams.emplace_back(to_string(f));
    t += "IP Families:\t" + (fams.empty() ? std::string("<none>") : join(fams, ",")) + "\n";
    const std::string ip = svc.headless ? "None" : svc.clusterIPs.empty() ? "" : svc.clusterIPs.front().str();
    t += "IP:\t" + ip + "\n";
    if (svc.headless) t += "IPs:\tNone\n";
    else if (!svc.clusterIPs.empty()) t += "IPs:\t" + join(strs(svc.clusterIPs), ",") + "\n";
    else t += "IPs:\t<none>\n";
    if (external_name) t += "External Name:\t" + svc.externalName + "\n";
    if (!svc.externalIPs.empty()) t += "External IPs:\t" + join(strs(svc.externalIPs), ",") + "\n";
    if (svc.loadBalancerIP) t += "Desired LoadBalancer IP:\t" + svc.loadBalancerIP->str() + "\n";
    if (!svc.loadBalancerIngress.empty())
        t += "LoadBalancer Ingress:\t" + join(strs(svc.loadBalancerIngress), ", ") + "\n";
    for (const auto& sp : svc.ports) {
        const std::string name = sp.name.empty() ? "<unset>" : sp.name;
        const std::string proto(to_string(sp.protocol));
        t += "Port:\t" + name + "\t" + std::to_string(sp.port) + "/" + proto + "\n";
        t += "TargetPort:\t" + sp.targetPort.str() + "/" + proto + "\n";
        if (sp.nodePort) t += "NodePort:\t" + name + "\t" + std::to_string(sp.nodePort) + "/" + proto + "\n";
        t += "Endpoints:\t" + format_endpoints(eps, sp.name) + "\n";
    }
    t += "Session Affinity:\t" + std::string(to_string(svc.sessionAffinity)) + "\n";
    const bool external_traffic = svc.type == ServiceType::NodePort || svc.type == ServiceType::LoadBalancer;
    if (external_traffic)
        t += "External Traffic Policy:\t" + std::string(to_string(svc.externalTrafficPolicy)) + "\n";
    if (!external_name)
        t += "Internal Traffic Policy:\t" + std::string(to_string(svc.internalTrafficPolicy)) + "\n";
    if (svc.healthCheckNodePort) t += "HealthCheck NodePort:\t" + std::to_string(svc.healthCheckNodePort) + "\n";
    if (!svc.loadBalancerSourceRanges.empty()) {
        std::vector<std::string> ranges;
        for (const auto& c : svc.loadBalancerSourceRanges) ranges.push_back(c.str());
        t += "LoadBalancer Source Ranges:\t" + join(ranges, ",") + "\n";
    }
    // Manifests carry no events; kubectl prints this line for an empty list.
    t += "Events:\t<none>\n";
    return kubectl_describe(t);
}

}  // namespace svcnat::cli
