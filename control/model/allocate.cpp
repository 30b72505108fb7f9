// Deterministic allocation. The API server picks free values at random and
// remembers them in etcd; svcnat has no store, so a missing value must come
// out the same on every restart and every node reading the same manifests:
//   1. every value written in the manifests is reserved first, so adding a
//      service can never move another service's explicit value;
//   2. services are then visited in (namespace, name) order, so file order
//      does not matter;
//   3. a missing value starts at FNV-1a("ns/name[...]") within its range and
//      probes forward past values already taken.
// Adding a service can still move an *allocated* value of a service sorted
// after it when their hashes collide; pin values in the manifests where that
// matters (as for any API server restore).
//
// ClusterIP ranges: the network address is never used, nor the IPv4
// broadcast address; the first host address (10.96.0.1 in 10.96.0.0/12) is
// kept for the `default/kubernetes` service as the API server does, whether
// or not the manifests contain it. With several ranges of a family
// (--service-cidr lists, ServiceCIDR objects) an address comes from the
// first range, in that order, that has one free.
#include "allocate.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

namespace svcnat {

namespace {

uint64_t fnv1a64(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

std::string key_of(const Service& svc) { return svc.meta.ns + "/" + svc.meta.name; }

// A contiguous range of offsets [lo, hi] and a hash-started forward probe.
// `taken(offset)` says whether an offset is in use; `in_use` bounds the probe:
// a free offset exists iff fewer than count offsets are taken, and it is met
// after at most `in_use` taken ones.
template <typename Taken>
std::optional<uint64_t> probe(uint64_t lo, uint64_t hi, uint64_t hash, size_t in_use, Taken taken) {
    if (hi < lo) return std::nullopt;
    const uint64_t count = hi - lo + 1;  // hi - lo < 2^63, no overflow
    uint64_t off = lo + hash % count;
    for (uint64_t step = 0; step < count && step <= in_use; ++step) {
        if (!taken(off)) return off;
        off = off == hi ? lo : off + 1;
    }
    return std::nullopt;
}

class IPPool {
public:
    explicit IPPool(std::vector<CIDR> cidrs) : cidrs_(std::move(cidrs)) {}

    void reserve(const IPAddr& ip) { used_.insert(ip); }

    // The ranges of family `f`, in configuration order.
    std::vector<const CIDR*> cidrs_for(IPFamily f) const {
        std::vector<const CIDR*> out;
        for (const auto& c : cidrs_)
            if (c.addr.family == f) out.push_back(&c);
        return out;
    }

    // From the first range of the family that has a free address.
    std::optional<IPAddr> allocate(const std::vector<const CIDR*>& ranges, const std::string& key) {
        for (const CIDR* cidr : ranges)
            if (auto ip = allocate(*cidr, key)) return ip;
        return std::nullopt;
    }

    std::vector<IPFamily> families() const {
        std::vector<IPFamily> out;
        for (const auto& c : cidrs_)
            if (std::find(out.begin(), out.end(), c.addr.family) == out.end()) out.push_back(c.addr.family);
        return out;
    }

    std::optional<IPAddr> allocate(const CIDR& cidr, const std::string& key) {
        const uint64_t size = cidr.size();
        const bool v4 = cidr.addr.is_v4();
        // Usable host offsets: skip the network address (offset 0) and, for
        // IPv4, the broadcast address (size - 1).
        const uint64_t first_host = 1;
        const uint64_t last_host = v4 ? (size >= 4 ? size - 2 : 0) : size - 1;
        if (size < 4 && v4) return std::nullopt;
        if (size < 2) return std::nullopt;
        if (key == "default/kubernetes" && !used_.count(cidr.at(first_host))) {
            used_.insert(cidr.at(first_host));
            return cidr.at(first_host);
        }
        // Everyone else starts past the address kept for `kubernetes`.
        auto off = probe(first_host + 1, last_host, fnv1a64(key), used_.size(),
                         [&](uint64_t o) { return used_.count(cidr.at(o)) > 0; });
        if (!off) return std::nullopt;
        IPAddr ip = cidr.at(*off);
        used_.insert(ip);
        return ip;
    }

private:
    std::vector<CIDR> cidrs_;
    std::set<IPAddr> used_;
};

class PortPool {
public:
    PortPool(uint16_t first, uint16_t last) : first_(first), last_(last) {}
    void reserve(uint16_t p) {
        if (p) used_.insert(p);
    }
    std::optional<uint16_t> allocate(const std::string& key) {
        auto off = probe(first_, last_, fnv1a64(key), used_.size(),
                         [&](uint64_t o) { return used_.count(static_cast<uint16_t>(o)) > 0; });
        if (!off) return std::nullopt;
        used_.insert(static_cast<uint16_t>(*off));
        return static_cast<uint16_t>(*off);
    }
    std::string range() const { return std::to_string(first_) + "-" + std::to_string(last_); }

private:
    uint16_t first_, last_;
    std::set<uint16_t> used_;
};

Diagnostic error_at(const Service& svc, uint32_t line, std::string field, std::string message) {
    Diagnostic d;
    d.severity = Severity::Error;
    d.file = svc.meta.loc.file;
    d.line = line ? line : svc.meta.loc.line;
    d.field = std::move(field);
    d.message = std::move(message);
    return d;
}

bool contains(const std::vector<IPFamily>& v, IPFamily f) { return std::find(v.begin(), v.end(), f) != v.end(); }

// The families a service should end up with, primary first, as the API
// server derives them from ipFamilies, existing clusterIPs, ipFamilyPolicy
// and the cluster's configured families.
std::vector<IPFamily> wanted_families(const Service& svc, const std::vector<IPFamily>& cluster) {
    std::vector<IPFamily> wanted = svc.ipFamilies;
    if (wanted.empty())
        for (const auto& ip : svc.clusterIPs)
            if (!contains(wanted, ip.family)) wanted.push_back(ip.family);
    if (wanted.empty() && !cluster.empty()) wanted.push_back(cluster.front());
    if (svc.ipFamilyPolicy != IPFamilyPolicy::SingleStack && wanted.size() == 1)
        for (auto f : cluster)
            if (!contains(wanted, f)) wanted.push_back(f);
    return wanted;
}

void allocate_cluster_ips(Service& svc, IPPool& pool, std::vector<Diagnostic>& diags) {
    const auto cluster = pool.families();
    const auto wanted = wanted_families(svc, cluster);
    if (svc.ipFamilyPolicy == IPFamilyPolicy::RequireDualStack && cluster.size() < 2) {
        diags.push_back(error_at(svc, 0, "spec.ipFamilyPolicy",
                                 "Invalid value: \"RequireDualStack\": this cluster is not configured for "
                                 "dual-stack services (--service-cidr has one family)"));
        return;
    }
    std::vector<IPAddr> ips;
    std::vector<IPFamily> fams;
    for (size_t i = 0; i < wanted.size(); ++i) {
        const IPFamily f = wanted[i];
        auto have = std::find_if(svc.clusterIPs.begin(), svc.clusterIPs.end(),
                                 [&](const IPAddr& ip) { return ip.family == f; });
        if (have != svc.clusterIPs.end()) {
            ips.push_back(*have);
            fams.push_back(f);
            continue;
        }
        const auto ranges = pool.cidrs_for(f);
        if (ranges.empty()) {
            // PreferDualStack quietly stays single-stack; an explicit family
            // the cluster lacks is an error, as in the API server.
            if (i < svc.ipFamilies.size() || svc.ipFamilyPolicy == IPFamilyPolicy::RequireDualStack) {
                diags.push_back(error_at(svc, 0, "spec.ipFamilies[" + std::to_string(i) + "]",
                                         "Invalid value: \"" + std::string(to_string(f)) +
                                             "\": not configured on this cluster (no --service-cidr of this family)"));
            }
            continue;
        }
        auto ip = pool.allocate(ranges, key_of(svc));
        if (!ip) {
            std::string names;
            for (const CIDR* c : ranges) names += (names.empty() ? "" : ", ") + c->str();
            diags.push_back(error_at(svc, 0, "spec.clusterIPs",
                                     "Internal error: failed to allocate a serviceIP: range is full (" + names + ")"));
            continue;
        }
        ips.push_back(*ip);
        fams.push_back(f);
    }
    // Explicit addresses of families not wanted (a validation error the
    // loader reports) are kept rather than silently dropped.
    for (const auto& ip : svc.clusterIPs)
        if (std::find(ips.begin(), ips.end(), ip) == ips.end()) {
            ips.push_back(ip);
            if (!contains(fams, ip.family)) fams.push_back(ip.family);
        }
    svc.clusterIPs = std::move(ips);
    svc.ipFamilies = std::move(fams);
}

bool needs_node_ports(const Service& svc) {
    return svc.type == ServiceType::NodePort ||
           (svc.type == ServiceType::LoadBalancer && svc.allocateLoadBalancerNodePorts);
}

void allocate_node_ports(Service& svc, PortPool& pool, std::vector<Diagnostic>& diags) {
    for (size_t i = 0; i < svc.ports.size(); ++i) {
        auto& sp = svc.ports[i];
        if (sp.nodePort) continue;
        // The API server gives ports with the same number but different
        // protocols (DNS on 53/TCP and 53/UDP) the same node port.
        for (const auto& other : svc.ports)
            if (&other != &sp && other.port == sp.port && other.nodePort) sp.nodePort = other.nodePort;
        if (sp.nodePort) continue;
        auto p = pool.allocate(key_of(svc) + ":" + std::to_string(sp.port));
        if (!p) {
            diags.push_back(error_at(svc, sp.line, "spec.ports[" + std::to_string(i) + "].nodePort",
                                     "Internal error: failed to allocate a nodePort: range is full (" +
                                         pool.range() + ")"));
            continue;
        }
        sp.nodePort = *p;
    }
}

}  // namespace

void allocate(Manifests& manifests, const AllocationOptions& options, std::vector<Diagnostic>& diagnostics) {
    IPPool ips(options.service_cidrs);
    PortPool ports(options.node_port_first, options.node_port_last);

    // Pass 1: everything written in the manifests is taken.
    for (const auto& svc : manifests.services) {
        for (const auto& ip : svc.clusterIPs) ips.reserve(ip);
        for (const auto& sp : svc.ports) ports.reserve(sp.nodePort);
        ports.reserve(svc.healthCheckNodePort);
    }

    // Pass 2: fill in, in an order independent of the input files.
    std::vector<Service*> order;
    for (auto& svc : manifests.services) order.push_back(&svc);
    std::sort(order.begin(), order.end(), [](const Service* a, const Service* b) {
        return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
    });
    for (Service* svc : order) {
        if (svc->type == ServiceType::ExternalName) continue;  // DNS only: no IP, no ports
        if (!svc->headless) allocate_cluster_ips(*svc, ips, diagnostics);
        else if (svc->ipFamilies.empty()) svc->ipFamilies = wanted_families(*svc, ips.families());
        if (needs_node_ports(*svc)) allocate_node_ports(*svc, ports, diagnostics);
        if (svc->type == ServiceType::LoadBalancer && svc->externalTrafficPolicy == TrafficPolicy::Local &&
            svc->healthCheckNodePort == 0) {
            auto p = ports.allocate(key_of(*svc) + "#healthCheckNodePort");
            if (p) svc->healthCheckNodePort = *p;
            else
                diagnostics.push_back(error_at(*svc, 0, "spec.healthCheckNodePort",
                                               "Internal error: failed to allocate a nodePort: range is full (" +
                                                   ports.range() + ")"));
        }
    }
}

}  // namespace svcnat
