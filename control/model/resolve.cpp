// Endpoint resolution: what the EndpointSlice controller would publish for
// each Service, as kube-proxy would read it back. In standalone mode there is
// no controller, so svcnat plays both parts from the manifests.
#include "resolve.hpp"
#include "routes.hpp"

#include <unordered_set>

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>
#include <unordered_map>

#include "control/os/parallel.hpp"
#include "discovery.hpp"
#include "routes.hpp"

namespace svcnat {

namespace {

// The families a service's endpoints may have: its ipFamilies (filled in by
// allocation) or, before allocation, those of its cluster IPs. The
// EndpointSlice controller publishes one slice per family the service has, so
// a single-stack IPv4 service never gets a dual-stack pod's IPv6 address.
std::vector<IPFamily> service_families(const Service& svc) {
    std::vector<IPFamily> fams = svc.ipFamilies;
    if (fams.empty())
        for (const auto& ip : svc.clusterIPs) fams.push_back(ip.family);
    return fams;
}

bool has_family(const std::vector<IPFamily>& fams, IPFamily f) {
    // A service that knows no family yet (e.g. resolved without allocation)
    // accepts both rather than silently dropping endpoints.
    return fams.empty() || std::find(fams.begin(), fams.end(), f) != fams.end();
}

// Lookups built once per resolution, so that resolving S services over P
// pods and S slices costs about S x (matching pods) rather than S x P: the
// benchmarks resolve tens of thousands of services.
class Index {
public:
    explicit Index(const Manifests& m) {
        for (const auto& n : m.nodes) nodes_.emplace(n.meta.name, &n);
        for (const auto& s : m.endpointSlices) slices_[key(s.meta.ns, s.serviceName)].push_back(&s);
        // Like the API server's storage, the last object of a name wins.
        for (const auto& e : m.endpoints) endpoints_[key(e.meta.ns, e.meta.name)] = &e;
        for (const auto& p : m.pods)
            for (const auto& [k, v] : p.meta.labels) pods_by_label_[p.meta.ns][key(k, v)].push_back(&p);
    }

    const Node* node(const std::string& name) const {
        auto it = nodes_.find(name);
        return it == nodes_.end() ? nullptr : it->second;
    }
    const std::vector<const EndpointSlice*>& slices(const Service& svc) const {
        static const std::vector<const EndpointSlice*> none;
        auto it = slices_.find(key(svc.meta.ns, svc.meta.name));
        return it == slices_.end() ? none : it->second;
    }
    const Endpoints* endpoints(const Service& svc) const {
        auto it = endpoints_.find(key(svc.meta.ns, svc.meta.name));
        return it == endpoints_.end() ? nullptr : it->second;
    }
    // Pods of the service's namespace carrying every selector label: the
    // shortest posting list of the selector's pairs, filtered.
    std::vector<const Pod*> selected_pods(const Service& svc) const {
        std::vector<const Pod*> out;
        auto ns = pods_by_label_.find(svc.meta.ns);
        if (ns == pods_by_label_.end() || svc.selector.empty()) return out;
        const std::vector<const Pod*>* shortest = nullptr;
        for (const auto& [k, v] : svc.selector) {
            auto it = ns->second.find(key(k, v));
            if (it == ns->second.end()) return out;
            if (!shortest || it->second.size() < shortest->size()) shortest = &it->second;
        }
        for (const Pod* p : *shortest)
            if (selector_matches(svc.selector, p->meta.labels)) out.push_back(p);
        return out;
    }

private:
    // NUL cannot occur in names, labels or namespaces: an unambiguous pair key.
    static std::string key(const std::string& a, const std::string& b) { return a + '\0' + b; }

    std::unordered_map<std::string, const Node*> nodes_;
    std::unordered_map<std::string, std::vector<const EndpointSlice*>> slices_;
    std::unordered_map<std::string, const Endpoints*> endpoints_;
    std::unordered_map<std::string, std::unordered_map<std::string, std::vector<const Pod*>>> pods_by_label_;
};

// A pod's port for a service port's targetPort: the number itself, or the
// container port with that name and the service port's protocol.
std::optional<uint16_t> pod_target_port(const Pod& pod, const ServicePort& sp) {
    if (!sp.targetPort.is_name) {
        if (sp.targetPort.number <= 0 || sp.targetPort.number > 65535) return std::nullopt;
        return static_cast<uint16_t>(sp.targetPort.number);
    }
    for (const auto& cp : pod.ports)
        if (cp.name == sp.targetPort.name && cp.protocol == sp.protocol && cp.containerPort != 0)
            return cp.containerPort;
    return std::nullopt;
}

// Selected pods the endpoints controller considers at all: with an address
// and not finished (Succeeded/Failed pods never come back).
bool pod_is_candidate(const Pod& pod) {
    if (pod.podIPs.empty()) return false;
    return pod.phase != "Succeeded" && pod.phase != "Failed";
}

// kube-proxy's locality: the endpoint's node is this node.
bool on_this_node(const NodeInfo& node, const std::string& node_name) {
    return !node.name.empty() && node_name == node.name;
}

// One transform per source object: what an endpoint of `svc` is, from a
// selected Pod, a slice's endpoint or an Endpoints address, before its
// address and port are set. Both views (service ports and DNS) use them.

ResolvedEndpoint from_pod(const Pod& pod, const Service& svc, const Index& index, const NodeInfo& node) {
    ResolvedEndpoint ep;
    // As the EndpointSlice controller: serving follows the Ready condition;
    // ready additionally requires "not terminating", unless the service
    // publishes not-ready addresses.
    ep.serving = pod.ready;
    ep.terminating = pod.terminating;
    ep.ready = svc.publishNotReadyAddresses || (pod.ready && !pod.terminating);
    ep.nodeName = pod.nodeName;
    ep.is_local = on_this_node(node, pod.nodeName);
    if (const Node* n = index.node(pod.nodeName)) ep.zone = n->zone;
    // The controller's rule: the pod's hostname names it within the
    // service that its subdomain names.
    if (!pod.hostname.empty() && pod.subdomain == svc.meta.name) ep.hostname = pod.hostname;
    return ep;
}

ResolvedEndpoint from_slice_endpoint(const SliceEndpoint& se, const NodeInfo& node) {
    ResolvedEndpoint ep;
    ep.ready = se.conditions.ready;
    ep.serving = se.conditions.serving;
    ep.terminating = se.conditions.terminating;
    ep.nodeName = se.nodeName;
    ep.zone = se.zone;
    ep.hostname = se.hostname;
    ep.is_local = on_this_node(node, se.nodeName);
    return ep;
}

// Endpoints has no terminating state: listed addresses are ready and
// serving, notReadyAddresses neither.
ResolvedEndpoint from_endpoints_address(const EndpointAddress& a, bool ready, const Index& index,
                                        const NodeInfo& node) {
    ResolvedEndpoint ep;
    ep.ip = a.ip;
    ep.ready = ready;
    ep.serving = ready;
    ep.terminating = false;
    ep.nodeName = a.nodeName;
    ep.hostname = a.hostname;
    ep.is_local = on_this_node(node, a.nodeName);
    if (const Node* n = index.node(a.nodeName)) ep.zone = n->zone;
    return ep;
}

std::vector<const Pod*> candidate_pods(const Service& svc, const Index& index) {
    std::vector<const Pod*> out;
    for (const Pod* pod : index.selected_pods(svc))
        if (pod_is_candidate(*pod)) out.push_back(pod);
    return out;
}

void warn_unmatched_named_port(const Service& svc, size_t i, size_t selected, std::vector<Diagnostic>* warnings) {
    const auto& sp = svc.ports[i];
    Diagnostic d;
    d.severity = Severity::Warning;
    d.file = svc.meta.loc.file;
    d.line = sp.line ? sp.line : svc.meta.loc.line;
    d.field = "spec.ports[" + std::to_string(i) + "].targetPort";
    d.message = "named port \"" + sp.targetPort.name + "\" (" + std::string(to_string(sp.protocol)) +
                ") is not a container port of any of the " + std::to_string(selected) +
                " selected pod(s) of service " + svc.meta.ns + "/" + svc.meta.name + "; the port has no endpoints";
    warnings->push_back(std::move(d));
}

std::vector<std::vector<ResolvedEndpoint>> from_pods(const Service& svc, const Index& index,
                                                     const NodeInfo& node,
                                                     std::vector<Diagnostic>* warnings) {
    std::vector<std::vector<ResolvedEndpoint>> out(svc.ports.size());
    const auto fams = service_families(svc);
    const std::vector<const Pod*> selected = candidate_pods(svc, index);
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        const auto& sp = svc.ports[i];
        bool any_has_name = false;
        for (const Pod* pod : selected) {
            auto target = pod_target_port(*pod, sp);
            if (!target) continue;  // this pod does not serve this port
            any_has_name = true;
            ResolvedEndpoint ep = from_pod(*pod, svc, index, node);
            ep.port = *target;
            for (const auto& ip : pod->podIPs) {
                if (!has_family(fams, ip.family)) continue;
                ep.ip = ip;
                out[i].push_back(ep);
            }
        }
        if (warnings && sp.targetPort.is_name && !selected.empty() && !any_has_name)
            warn_unmatched_named_port(svc, i, selected.size(), warnings);
    }
    return out;
}

std::vector<std::vector<ResolvedEndpoint>> from_slices(const Service& svc,
                                                       const std::vector<const EndpointSlice*>& slices,
                                                       const NodeInfo& node) {
    std::vector<std::vector<ResolvedEndpoint>> out(svc.ports.size());
    const auto fams = service_families(svc);
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        const auto& sp = svc.ports[i];
        for (const EndpointSlice* slice : slices) {
            if (!has_family(fams, slice->addressType)) continue;
            // kube-proxy keys slice ports by (name, protocol), as the
            // service port they belong to.
            for (const auto& port : slice->ports) {
                if (port.name != sp.name || port.protocol != sp.protocol || port.port == 0) continue;
                size_t more = 0;
                for (const auto& se : slice->endpoints) more += se.addresses.size();
                out[i].reserve(out[i].size() + more);
                for (const auto& se : slice->endpoints) {
                    ResolvedEndpoint ep = from_slice_endpoint(se, node);
                    ep.port = port.port;
                    for (const auto& ip : se.addresses) {
                        if (ip.family != slice->addressType) continue;
                        ep.ip = ip;
                        out[i].push_back(ep);
                    }
                }
            }
        }
    }
    return out;
}

std::vector<std::vector<ResolvedEndpoint>> from_endpoints(const Service& svc, const Endpoints& eps,
                                                          const Index& index, const NodeInfo& node) {
    std::vector<std::vector<ResolvedEndpoint>> out(svc.ports.size());
    const auto fams = service_families(svc);
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        const auto& sp = svc.ports[i];
        for (const auto& subset : eps.subsets) {
            for (const auto& port : subset.ports) {
                if (port.name != sp.name || port.protocol != sp.protocol || port.port == 0) continue;
                for (const auto* list : {&subset.addresses, &subset.notReadyAddresses})
                    for (const auto& a : *list) {
                        if (!has_family(fams, a.ip.family)) continue;
                        ResolvedEndpoint ep = from_endpoints_address(a, list == &subset.addresses, index, node);
                        ep.port = port.port;
                        out[i].push_back(std::move(ep));
                    }
            }
        }
    }
    return out;
}

// Sorted by (ip, port), one entry per (ip, port): where two sources list the
// same backend (overlapping slices, or a slice and the pods that svcnat
// resolved itself), the most usable conditions win (ready, then serving,
// then not terminating), then, as in kube-proxy, the one on this node.
void normalise(std::vector<ResolvedEndpoint>& eps) {
    // References, not copies, of the strings: this runs for every endpoint.
    auto rank = [](const ResolvedEndpoint& e) {
        return std::tuple<const IPAddr&, uint16_t, bool, bool, bool, bool, const std::string&, const std::string&,
                          const std::string&>(e.ip, e.port, !e.ready, !e.serving, e.terminating, !e.is_local,
                                              e.nodeName, e.zone, e.hostname);
    };
    auto less = [&](const auto& a, const auto& b) { return rank(a) < rank(b); };
    // Slices usually list their endpoints in order already.
    if (!std::is_sorted(eps.begin(), eps.end(), less)) std::sort(eps.begin(), eps.end(), less);
    // Keep the first (most usable) of each (ip, port); a hostname that only
    // a duplicate carries (a slice next to the pods) is kept with it.
    size_t kept = 0;
    for (size_t i = 0; i < eps.size(); ++i) {
        if (kept > 0 && eps[kept - 1].ip == eps[i].ip && eps[kept - 1].port == eps[i].port) {
            if (eps[kept - 1].hostname.empty()) eps[kept - 1].hostname = std::move(eps[i].hostname);
            continue;
        }
        if (kept != i) eps[kept] = std::move(eps[i]);
        ++kept;
    }
    eps.resize(kept);
}

std::vector<IPAddr> sorted_unique(std::vector<IPAddr> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

}  // namespace

bool selector_matches(const Labels& selector, const Labels& labels) {
    if (selector.empty()) return false;
    for (const auto& [key, value] : selector) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value) return false;
    }
    return true;
}

namespace {

// The addresses of a headless Service without ports (DNS only): its
// selected pods, or the endpoints of its slices or Endpoints, port 0.
std::vector<ResolvedEndpoint> portless_addresses(const Service& svc, const Index& index, const NodeInfo& node) {
    std::vector<ResolvedEndpoint> out;
    const auto fams = service_families(svc);
    auto add = [&](ResolvedEndpoint ep, const IPAddr& ip) {
        if (!has_family(fams, ip.family)) return;
        ep.ip = ip;
        out.push_back(std::move(ep));
    };
    const bool selector = svc.has_selector && !svc.selector.empty();
    if (selector)
        for (const Pod* pod : candidate_pods(svc, index))
            for (const auto& ip : pod->podIPs) add(from_pod(*pod, svc, index, node), ip);
    for (const EndpointSlice* slice : index.slices(svc))
        for (const auto& se : slice->endpoints)
            for (const auto& ip : se.addresses)
                if (ip.family == slice->addressType) add(from_slice_endpoint(se, node), ip);
    if (out.empty() && !selector) {
        if (const Endpoints* eps = index.endpoints(svc))
            for (const auto& subset : eps->subsets)
                for (const auto* list : {&subset.addresses, &subset.notReadyAddresses})
                    for (const auto& a : *list) add(from_endpoints_address(a, list == &subset.addresses, index, node), a.ip);
    }
    normalise(out);
    return out;
}

}  // namespace

namespace {

// What one service resolves to, per service port; and for a headless
// service without ports (which DNS answers for), its addresses.
struct ServiceEndpoints {
    std::vector<std::vector<ResolvedEndpoint>> per_port;
    std::vector<ResolvedEndpoint> portless;
};

ServiceEndpoints endpoints_of(const Service& svc, const Index& index, const NodeInfo& node,
                              std::vector<Diagnostic>* warnings) {
    ServiceEndpoints result;
    auto& out = result.per_port;
    if (svc.type == ServiceType::ExternalName) {
        out.resize(svc.ports.size());
        return result;
    }
    if (svc.has_selector && !svc.selector.empty()) {
        // Standalone svcnat is the EndpointSlice controller for selector
        // services (their endpoints from the pods), and kube-proxy, which
        // serves every slice labelled with the service's name whoever wrote
        // it: a cluster export has slices and no pods; other controllers
        // add slices of their own.
        out = from_pods(svc, index, node, warnings);
        const auto& slices = index.slices(svc);
        if (!slices.empty()) {
            auto more = from_slices(svc, slices, node);
            for (size_t i = 0; i < out.size(); ++i)
                out[i].insert(out[i].end(), std::make_move_iterator(more[i].begin()),
                              std::make_move_iterator(more[i].end()));
        }
    } else {
        const auto& slices = index.slices(svc);
        const Endpoints* eps = index.endpoints(svc);
        // Slices are the current API; Endpoints is what the seed articles use
        // and what older tooling writes. A service with both is served from
        // its slices, as kube-proxy does since it stopped reading Endpoints.
        if (!slices.empty()) out = from_slices(svc, slices, node);
        else if (eps) out = from_endpoints(svc, *eps, index, node);
        else out.resize(svc.ports.size());
    }
    for (auto& v : out) normalise(v);
    if (svc.headless && svc.ports.empty()) result.portless = portless_addresses(svc, index, node);
    return result;
}

}  // namespace

std::vector<std::vector<ResolvedEndpoint>> service_endpoints(const Service& svc, const Manifests& manifests,
                                                             const NodeInfo& node,
                                                             std::vector<Diagnostic>* warnings) {
    return endpoints_of(svc, Index(manifests), node, warnings).per_port;
}

std::vector<std::vector<std::vector<ResolvedEndpoint>>> all_service_endpoints(const Manifests& manifests,
                                                                              const NodeInfo& node,
                                                                              std::vector<Diagnostic>* warnings) {
    const Index index(manifests);
    std::vector<std::vector<std::vector<ResolvedEndpoint>>> out;
    out.reserve(manifests.services.size());
    for (const auto& svc : manifests.services) out.push_back(endpoints_of(svc, index, node, warnings).per_port);
    return out;
}

namespace {

// kube-proxy ignores services without a cluster IP: headless and
// ExternalName ones are DNS-only, and one not yet allocated has no VIP to
// program.
bool has_service_ports(const Service& svc) {
    return svc.type != ServiceType::ExternalName && !svc.headless && !svc.clusterIPs.empty();
}

// The service ports of one service (has_service_ports), appended to `out`.
void resolve_service(const Service& svc, std::vector<std::vector<ResolvedEndpoint>> endpoints,
                     std::vector<ResolvedServicePort>& out) {
    const bool lb = svc.type == ServiceType::LoadBalancer;
    std::vector<IPAddr> lb_ips;
    if (lb) {
        lb_ips = svc.loadBalancerIngress;
        if (svc.loadBalancerIP) lb_ips.push_back(*svc.loadBalancerIP);
        lb_ips = sorted_unique(std::move(lb_ips));
    }
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        const auto& sp = svc.ports[i];
        ResolvedServicePort r;
        r.ns = svc.meta.ns;
        r.name = svc.meta.name;
        r.portName = sp.name;
        r.protocol = sp.protocol;
        r.port = sp.port;
        r.type = svc.type;
        // NodePort only exists for NodePort and LoadBalancer services; a
        // stray value on a ClusterIP service must not open a node port.
        r.nodePort = (svc.type == ServiceType::NodePort || lb) ? sp.nodePort : 0;
        r.clusterIPs = svc.clusterIPs;
        r.externalIPs = sorted_unique(svc.externalIPs);
        r.loadBalancerIPs = lb_ips;
        if (lb) r.loadBalancerSourceRanges = svc.loadBalancerSourceRanges;
        r.sessionAffinity = svc.sessionAffinity;
        r.sessionAffinityTimeout = svc.sessionAffinityTimeout;
        r.externalTrafficPolicy = svc.externalTrafficPolicy;
        r.internalTrafficPolicy = svc.internalTrafficPolicy;
        r.healthCheckNodePort = lb && svc.externalTrafficPolicy == TrafficPolicy::Local ? svc.healthCheckNodePort : 0;
        r.endpoints = std::move(endpoints[i]);
        out.push_back(std::move(r));
    }
}

// Services are resolved in chunks of this many, on all cores: each reads
// the shared index and writes its own ports and warnings, joined in order.
constexpr size_t kServicesPerChunk = 1024;

}  // namespace

ServiceState resolve(const Manifests& manifests, const NodeInfo& node, std::vector<Diagnostic>* warnings,
                     const ResolveOptions& options) {
    ServiceState state;
    state.node = node;
    const Index index(manifests);
    const auto& services = manifests.services;
    const bool with_discovery = options.discovery;
    // Services that routes send to keep their endpoints for route_state()
    // (headless ones too: an L7 proxy sends to endpoints, not to a VIP).
    std::unordered_set<std::string> routed;
    if (options.routes && options.routes->enabled())
        for (auto& key : routed_service_keys(manifests)) routed.insert(std::move(key));
    struct Chunk {
        std::vector<ResolvedServicePort> ports;
        std::vector<Diagnostic> warnings;
        std::vector<DiscoveredService> discovered;
        std::vector<std::pair<const Service*, std::vector<std::vector<ResolvedEndpoint>>>> routed;
    };
    std::vector<Chunk> chunks((services.size() + kServicesPerChunk - 1) / kServicesPerChunk);
    run_parallel(chunks.size(), [&](size_t c) {
        const size_t first = c * kServicesPerChunk, last = std::min(services.size(), first + kServicesPerChunk);
        size_t ports = 0;
        for (size_t s = first; s < last; ++s) ports += services[s].ports.size();
        chunks[c].ports.reserve(ports);
        for (size_t s = first; s < last; ++s) {
            const Service& svc = services[s];
            const bool programmed = has_service_ports(svc);
            const bool is_routed = !routed.empty() && routed.count(svc.meta.ns + "/" + svc.meta.name);
            if (!programmed && !with_discovery && !is_routed) continue;
            // Each service's endpoints once, for every view; warnings only
            // for the services that are programmed (as before DNS existed).
            ServiceEndpoints eps = endpoints_of(svc, index, node, programmed && warnings ? &chunks[c].warnings : nullptr);
            if (with_discovery)
                if (auto d = discovered_service(svc, eps.per_port, eps.portless)) chunks[c].discovered.push_back(std::move(*d));
            if (is_routed) chunks[c].routed.emplace_back(&svc, eps.per_port);
            if (programmed) resolve_service(svc, std::move(eps.per_port), chunks[c].ports);
        }
    });
    size_t ports = 0;
    for (const auto& c : chunks) ports += c.ports.size();
    state.ports.reserve(ports);
    std::vector<DiscoveredService> discovered;
    RoutedServices routed_services;
    for (auto& c : chunks) {
        std::move(c.ports.begin(), c.ports.end(), std::back_inserter(state.ports));
        if (warnings) std::move(c.warnings.begin(), c.warnings.end(), std::back_inserter(*warnings));
        std::move(c.discovered.begin(), c.discovered.end(), std::back_inserter(discovered));
        for (auto& [svc, per_port] : c.routed)
            routed_services[svc->meta.ns + "/" + svc->meta.name] = RoutedService{svc, std::move(per_port)};
    }
    std::sort(state.ports.begin(), state.ports.end(),
              [](const auto& a, const auto& b) { return compare_identity(a, b) < 0; });
    if (with_discovery) state.discovery = discovery_state(std::move(discovered), manifests);
    if (options.routes) state.routes = route_state(manifests, routed_services, *options.routes, warnings);
    return state;
}

}  // namespace svcnat
