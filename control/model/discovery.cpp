#include "discovery.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "resolve.hpp"
#include "resolved.hpp"

namespace svcnat {
namespace {

// Ready backends of one service by address, with the ports each serves.
std::vector<DiscoveryBackend> backends_of(const Service& svc, const std::vector<std::vector<ResolvedEndpoint>>& per_port,
                                          const std::vector<ResolvedEndpoint>& portless) {
    std::vector<DiscoveryBackend> out;
    std::map<IPAddr, size_t> at;  // address -> index in out
    auto backend = [&](const ResolvedEndpoint& ep) -> DiscoveryBackend& {
        auto [it, added] = at.try_emplace(ep.ip, out.size());
        if (added) out.push_back({ep.ip, ep.hostname, {}});
        DiscoveryBackend& b = out[it->second];
        if (b.hostname.empty()) b.hostname = ep.hostname;
        return b;
    };
    auto usable = [&](const ResolvedEndpoint& ep) { return ep.ready || svc.publishNotReadyAddresses; };
    for (size_t i = 0; i < per_port.size() && i < svc.ports.size(); ++i)
        for (const auto& ep : per_port[i])
            if (usable(ep)) backend(ep).ports.push_back({svc.ports[i].name, svc.ports[i].protocol, ep.port});
    for (const auto& ep : portless)
        if (usable(ep)) backend(ep);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ip < b.ip; });
    return out;
}

}  // namespace

std::optional<DiscoveredService> discovered_service(const Service& svc,
                                                    const std::vector<std::vector<ResolvedEndpoint>>& per_port,
                                                    const std::vector<ResolvedEndpoint>& portless) {
    DiscoveredService d;
    d.ns = svc.meta.ns;
    d.name = svc.meta.name;
    if (svc.type == ServiceType::ExternalName) {
        d.kind = DiscoveryKind::ExternalName;
        d.externalName = svc.externalName;
    } else if (svc.headless) {
        d.kind = DiscoveryKind::Headless;
    } else if (svc.clusterIPs.empty()) {
        return std::nullopt;  // not allocated: nothing to answer yet
    } else {
        d.clusterIPs = svc.clusterIPs;
    }
    for (const auto& p : svc.ports) d.ports.push_back({p.name, p.protocol, p.port});
    if (d.kind != DiscoveryKind::ExternalName) d.backends = backends_of(svc, per_port, portless);
    return d;
}

DiscoveryState discovery_state(std::vector<DiscoveredService> services, const Manifests& manifests) {
    DiscoveryState out;
    out.services = std::move(services);
    std::sort(out.services.begin(), out.services.end(),
              [](const auto& a, const auto& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
    std::set<std::string> namespaces{"default", "kube-system", "kube-public", "kube-node-lease"};
    for (const auto& svc : manifests.services) namespaces.insert(svc.meta.ns);
    for (const auto& pod : manifests.pods) {
        namespaces.insert(pod.meta.ns);
        if (pod.phase == "Succeeded" || pod.phase == "Failed") continue;
        for (const auto& ip : pod.podIPs) out.pods.push_back({pod.meta.ns, ip});
    }
    for (const auto& s : manifests.endpointSlices) namespaces.insert(s.meta.ns);
    for (const auto& e : manifests.endpoints) namespaces.insert(e.meta.ns);
    std::sort(out.pods.begin(), out.pods.end());
    out.pods.erase(std::unique(out.pods.begin(), out.pods.end()), out.pods.end());
    out.namespaces.assign(namespaces.begin(), namespaces.end());
    return out;
}

DiscoveryState discover(const Manifests& manifests, const NodeInfo& node) {
    return resolve(manifests, node, nullptr, ResolveOptions{.discovery = true}).discovery;
}

namespace {

struct Digest {
    uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void str(const std::string& s) {
        num(s.size());
        bytes(s.data(), s.size());
    }
    void num(uint64_t v) { bytes(&v, sizeof v); }
    void ip(const IPAddr& a) {
        num(static_cast<uint64_t>(a.family));
        bytes(a.bytes.data(), a.bytes.size());
    }
    void port(const DiscoveryPort& p) {
        str(p.name);
        num(static_cast<uint64_t>(p.protocol));
        num(p.port);
    }
};

}  // namespace

uint64_t fingerprint(const DiscoveryState& state) {
    Digest d;
    d.num(state.services.size());
    for (const auto& s : state.services) {
        d.str(s.ns);
        d.str(s.name);
        d.num(static_cast<uint64_t>(s.kind));
        d.num(s.clusterIPs.size());
        for (const auto& ip : s.clusterIPs) d.ip(ip);
        d.str(s.externalName);
        d.num(s.ports.size());
        for (const auto& p : s.ports) d.port(p);
        d.num(s.backends.size());
        for (const auto& b : s.backends) {
            d.ip(b.ip);
            d.str(b.hostname);
            d.num(b.ports.size());
            for (const auto& p : b.ports) d.port(p);
        }
    }
    d.num(state.namespaces.size());
    for (const auto& n : state.namespaces) d.str(n);
    d.num(state.pods.size());
    for (const auto& p : state.pods) {
        d.str(p.ns);
        d.ip(p.ip);
    }
    return d.h;
}

}  // namespace svcnat
