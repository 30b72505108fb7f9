#include "syncer_changes.hpp"

#include <set>
#include <string>
#include <unordered_map>

namespace svcnat::nft {
namespace {

std::string port_key(const ResolvedServicePort& sp) {
    return sp.id() + "/" + std::string(to_string(sp.protocol));
}

std::unordered_map<std::string, const ResolvedServicePort*> index_ports(const ServiceState& s) {
    std::unordered_map<std::string, const ResolvedServicePort*> m;
    m.reserve(s.ports.size());
    for (const auto& sp : s.ports) m.emplace(port_key(sp), &sp);
    return m;
}

using EndpointSet = std::set<std::pair<IPAddr, uint16_t>>;

EndpointSet endpoint_set(const ResolvedServicePort& sp) {
    EndpointSet out;
    for (const auto& e : sp.endpoints) out.emplace(e.ip, e.port);
    return out;
}

EndpointSet usable_set(const ResolvedServicePort& sp) {
    EndpointSet out;
    for (const auto* e : usable_endpoints(sp, false)) out.emplace(e->ip, e->port);
    return out;
}

size_t symmetric_difference(const EndpointSet& a, const EndpointSet& b) {
    size_t n = 0;
    for (const auto& x : a) n += !b.count(x);
    for (const auto& x : b) n += !a.count(x);
    return n;
}

void add_service_addresses(const ResolvedServicePort& sp, const NodeInfo& node,
                           std::vector<nftnet::UdpConntrackTarget>& out) {
    using M = nftnet::UdpConntrackTarget::Match;
    for (const auto* list : {&sp.clusterIPs, &sp.externalIPs, &sp.loadBalancerIPs})
        for (const auto& ip : *list) out.push_back({M::OriginalDestination, ip, sp.port});
    if (sp.nodePort)
        for (const auto& ip : node.ips) out.push_back({M::OriginalDestination, ip, sp.nodePort});
}

}  // namespace

ChangeCounts count_changes(const ServiceState* before, const ServiceState& after) {
    ChangeCounts c;
    if (!before) {
        c.service_ports = after.ports.size();
        for (const auto& sp : after.ports) c.endpoints += sp.endpoints.size();
        return c;
    }
    auto old_index = index_ports(*before);
    auto new_index = index_ports(after);
    for (const auto& [key, sp] : new_index) {
        auto it = old_index.find(key);
        if (it == old_index.end()) {
            ++c.service_ports;
            c.endpoints += sp->endpoints.size();
        } else if (!(*it->second == *sp)) {
            ++c.service_ports;
            c.endpoints += symmetric_difference(endpoint_set(*it->second), endpoint_set(*sp));
        }
    }
    for (const auto& [key, sp] : old_index)
        if (!new_index.count(key)) {
            ++c.service_ports;
            c.endpoints += sp->endpoints.size();
        }
    return c;
}

size_t count_no_local_endpoints(const ServiceState& s) {
    size_t n = 0;
    for (const auto& sp : s.ports) {
        const bool external = !sp.externalIPs.empty() || !sp.loadBalancerIPs.empty() || sp.nodePort != 0;
        const bool local = sp.internalTrafficPolicy == TrafficPolicy::Local ||
                           (external && sp.externalTrafficPolicy == TrafficPolicy::Local);
        if (local && usable_endpoints(sp, true).empty()) ++n;
    }
    return n;
}

std::vector<nftnet::UdpConntrackTarget> stale_udp_targets(const ServiceState& before, const ServiceState& after) {
    using M = nftnet::UdpConntrackTarget::Match;
    std::vector<nftnet::UdpConntrackTarget> out;
    auto new_index = index_ports(after);
    for (const auto& old_sp : before.ports) {
        if (old_sp.protocol != Protocol::UDP) continue;
        auto it = new_index.find(port_key(old_sp));
        if (it == new_index.end()) {
            add_service_addresses(old_sp, before.node, out);
            continue;
        }
        const auto old_usable = usable_set(old_sp);
        const auto new_usable = usable_set(*it->second);
        for (const auto& [ip, port] : old_usable)
            if (!new_usable.count({ip, port})) out.push_back({M::ReplySource, ip, port});
        if (old_usable.empty() && !new_usable.empty()) add_service_addresses(*it->second, after.node, out);
    }
    return out;
}

UdpStaleEntries::UdpStaleEntries(const ServiceState& state) : state_(state) {
    std::vector<nftnet::UdpConntrackTarget> addresses;
    for (const auto& sp : state.ports) {
        if (sp.protocol != Protocol::UDP) continue;
        addresses.clear();
        add_service_addresses(sp, state.node, addresses);
        for (const auto& a : addresses) (a.address.is_v4() ? ipv4_ : ipv6_) = true;
    }
}

void UdpStaleEntries::build_index() const {
    indexed_ = true;
    std::vector<nftnet::UdpConntrackTarget> addresses;
    for (const auto& sp : state_.ports) {
        if (sp.protocol != Protocol::UDP) continue;
        addresses.clear();
        add_service_addresses(sp, state_.node, addresses);
        const auto usable = usable_set(sp);
        // An address:port shared by several service ports keeps the union:
        // never delete a flow that some service still sends there.
        for (const auto& a : addresses) frontends_[{a.address, a.port}].insert(usable.begin(), usable.end());
    }
}

bool UdpStaleEntries::is_stale(const nftnet::UdpFlow& flow) const {
    if (!indexed_) build_index();
    auto it = frontends_.find({flow.original_destination, flow.original_port});
    if (it == frontends_.end()) return false;
    const bool dnated = !(flow.reply_source == flow.original_destination && flow.reply_port == flow.original_port);
    if (!dnated) return !it->second.empty();
    return !it->second.count({flow.reply_source, flow.reply_port});
}

}  // namespace svcnat::nft
