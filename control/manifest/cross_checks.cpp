#include "cross_checks.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "api_validation.hpp"

namespace svcnat::manifest {

namespace {

std::string where(const ObjectMeta& meta) { return meta.loc.file + ":" + std::to_string(meta.loc.line); }

Diagnostic error_at(const ObjectMeta& meta, uint32_t line, std::string field, std::string message) {
    Diagnostic d;
    d.file = meta.loc.file;
    d.line = line ? line : meta.loc.line;
    d.field = std::move(field);
    d.message = std::move(message);
    return d;
}

// Keeps the first object of each namespace/name; reports and drops the rest.
// `meta_of` maps an element to its ObjectMeta.
template <class T, class MetaOf>
void unique_names(std::vector<T>& objects, MetaOf meta_of, std::vector<Diagnostic>& diags) {
    std::unordered_map<std::string, std::string> first_at;  // ns/name -> file:line
    first_at.reserve(objects.size());
    std::vector<T> kept;
    kept.reserve(objects.size());
    for (auto& o : objects) {
        const ObjectMeta& m = meta_of(o);
        auto [it, inserted] = first_at.emplace(m.ns + "/" + m.name, std::string());
        if (!inserted) {
            diags.push_back(error_at(m, m.loc.line, "metadata.name",
                                     duplicate(quote(m.name)) + ": already defined " +
                                         (m.ns.empty() ? "" : "in namespace " + m.ns + " ") + "at " + it->second));
            continue;
        }
        it->second = where(m);
        kept.push_back(std::move(o));
    }
    objects = std::move(kept);
}

std::string ip_list(const Service& s) {
    std::vector<std::string> ips;
    for (const auto& ip : s.clusterIPs) ips.push_back(ip.str());
    return go_string_list(ips);
}

bool has_family(const std::vector<CIDR>& ranges, IPFamily f) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const CIDR& c) { return c.addr.family == f; });
}

// Can the allocator hand out `ip` from `range`? Never the network address,
// nor the broadcast address of an IPv4 range.
bool allocatable(const CIDR& range, const IPAddr& ip) {
    if (!range.contains(ip) || ip == range.addr) return false;
    return !(ip.is_v4() && range.prefix < 31 && ip == range.at(range.size() - 1));
}

// The API server's checks that depend on the cluster's service ranges:
// families it serves, dual-stack, and requested ClusterIPs within a range
// of their family (the allocator's check).
void check_service_ranges(const StagedService& staged, const std::vector<CIDR>& ranges, std::vector<Diagnostic>& diags) {
    const Service& s = staged.service;
    const ServiceLines& lines = staged.lines;
    for (size_t i = 0; i < lines.ipFamilies.size() && i < s.ipFamilies.size(); ++i)
        if (!has_family(ranges, s.ipFamilies[i])) {
            const std::string f(to_string(s.ipFamilies[i]));
            diags.push_back(error_at(s.meta, lines.ipFamilies[i], "spec.ipFamilies[" + std::to_string(i) + "]",
                                     invalid(quote(f), "not configured on this cluster")));
        }
    if (lines.ipFamilyPolicy && s.ipFamilyPolicy == IPFamilyPolicy::RequireDualStack &&
        !(has_family(ranges, IPFamily::IPv4) && has_family(ranges, IPFamily::IPv6)))
        diags.push_back(error_at(s.meta, lines.ipFamilyPolicy, "spec.ipFamilyPolicy",
                                 invalid(quote("RequireDualStack"),
                                         "this cluster is not configured for dual-stack services")));
    if (s.headless) return;
    for (const IPAddr& ip : s.clusterIPs) {
        std::vector<std::string> of_family;
        bool ok = false;
        for (const CIDR& c : ranges)
            if (c.addr.family == ip.family) {
                of_family.push_back(c.str());
                ok = ok || allocatable(c, ip);
            }
        if (ok) continue;
        const std::string detail = "failed to allocate IP " + ip.str() + ": ";
        std::string joined;
        for (const auto& r : of_family) joined += (joined.empty() ? "" : ", ") + r;
        diags.push_back(error_at(
            s.meta, lines.clusterIP, "spec.clusterIPs",
            invalid(ip_list(s), of_family.empty()
                                    ? detail + "no service CIDR of family " + std::string(to_string(ip.family)) +
                                          " is configured (--service-cidr or a ServiceCIDR)"
                                    : detail + "the provided IP (" + ip.str() +
                                          ") is not in the valid range. The range of valid IPs is " + joined)));
    }
}

}  // namespace

void cross_check(std::vector<StagedService>& services, Manifests& staged, const std::vector<CIDR>& configured_cidrs,
                 Manifests& out, std::vector<Diagnostic>& diags) {
    auto meta = [](const auto& o) -> const ObjectMeta& { return o.meta; };
    unique_names(staged.serviceCIDRs, meta, diags);
    const std::vector<CIDR> ranges = effective_service_cidrs(configured_cidrs, staged.serviceCIDRs);
    // Every Service against the ranges, then only those that passed go on.
    std::vector<StagedService> passed;
    passed.reserve(services.size());
    for (auto& s : services) {
        const size_t errors_before = diags.size();
        check_service_ranges(s, ranges, diags);
        if (!s.rejected && diags.size() == errors_before) passed.push_back(std::move(s));
    }
    services = std::move(passed);
    // Names first, so that a duplicate does not also claim IPs and ports.
    unique_names(services, [](const StagedService& s) -> const ObjectMeta& { return s.service.meta; }, diags);
    // (ServiceCIDRs were checked above: nothing is left to report twice.)
    for_each_object_list([&](auto list) { unique_names(staged.*list, meta, diags); });

    struct Owner {
        std::string id;
        std::string at;
    };
    std::unordered_map<IPAddr, Owner> ips;
    std::unordered_map<uint32_t, Owner> node_ports;
    out.services.reserve(out.services.size() + services.size());
    for (auto& staged_service : services) {
        Service& s = staged_service.service;
        const ServiceLines& lines = staged_service.lines;
        const Owner me{s.meta.ns + "/" + s.meta.name, where(s.meta)};
        size_t errors_before = diags.size();
        for (const IPAddr& ip : s.clusterIPs) {
            auto it = ips.find(ip);
            if (it != ips.end())
                diags.push_back(error_at(s.meta, lines.clusterIP, "spec.clusterIPs",
                                         invalid(ip_list(s), "failed to allocate IP " + ip.str() +
                                                                 ": provided IP is already allocated (to Service " +
                                                                 it->second.id + " at " + it->second.at + ")")));
        }
        // One service may use a node port for several protocols; another may not.
        std::vector<uint32_t> mine;
        auto claim = [&](uint32_t port, uint32_t line, std::string field) {
            if (!port) return;
            if (std::find(mine.begin(), mine.end(), port) != mine.end()) return;
            mine.push_back(port);
            auto it = node_ports.find(port);
            if (it != node_ports.end())
                diags.push_back(error_at(s.meta, line, std::move(field),
                                         invalid(std::to_string(port), "provided port is already allocated (to Service " +
                                                                           it->second.id + " at " + it->second.at + ")")));
        };
        for (size_t i = 0; i < s.ports.size(); ++i)
            claim(s.ports[i].nodePort, i < lines.nodePort.size() && lines.nodePort[i] ? lines.nodePort[i] : s.ports[i].line,
                  "spec.ports[" + std::to_string(i) + "].nodePort");
        if (s.healthCheckNodePort && std::find(mine.begin(), mine.end(), s.healthCheckNodePort) != mine.end()) {
            diags.push_back(error_at(s.meta, lines.healthCheckNodePort, "spec.healthCheckNodePort",
                                     invalid(std::to_string(s.healthCheckNodePort),
                                             "provided port is already allocated (to Service " + me.id + " at " + me.at + ")")));
        } else {
            claim(s.healthCheckNodePort, lines.healthCheckNodePort, "spec.healthCheckNodePort");
        }
        if (diags.size() != errors_before) continue;
        for (const IPAddr& ip : s.clusterIPs) ips.emplace(ip, me);
        for (uint32_t p : mine) node_ports.emplace(p, me);
        out.services.push_back(std::move(s));
    }
    for_each_object_list([&](auto list) {
        auto& to = out.*list;
        auto& from = staged.*list;
        if (to.empty()) to = std::move(from);
        else for (auto& x : from) to.push_back(std::move(x));
    });
}

}  // namespace svcnat::manifest
