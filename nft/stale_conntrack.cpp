#include "stale_conntrack.hpp"

#include <set>

namespace svcnat::nft {
namespace {

using EndpointSet = std::set<std::pair<IPAddr, uint16_t>>;

EndpointSet usable_set(const ResolvedServicePort& sp) {
    EndpointSet out;
    for (const auto* e : usable_endpoints(sp, false)) out.emplace(e->ip, e->port);
    return out;
}

void add_service_addresses(const ResolvedServicePort& sp, const NodeInfo& node,
                           std::vector<netlink::UdpConntrackTarget>& out) {
    using M = netlink::UdpConntrackTarget::Match;
    for (const auto* list : {&sp.clusterIPs, &sp.externalIPs, &sp.loadBalancerIPs})
        for (const auto& ip : *list) out.push_back({M::OriginalDestination, ip, sp.port});
    if (sp.nodePort)
        for (const auto& ip : node.ips) out.push_back({M::OriginalDestination, ip, sp.nodePort});
}

}  // namespace

std::vector<netlink::UdpConntrackTarget> stale_udp_targets(const ServiceState& before, const ServiceState& after,
                                                          const StateChanges& changes) {
    using M = netlink::UdpConntrackTarget::Match;
    std::vector<netlink::UdpConntrackTarget> out;
    for (const auto* gone : changes.removed)
        if (gone->protocol == Protocol::UDP) add_service_addresses(*gone, before.node, out);
    for (const auto& [was, now] : changes.changed) {
        if (was->protocol != Protocol::UDP) continue;
        const auto old_usable = usable_set(*was);
        const auto new_usable = usable_set(*now);
        for (const auto& [ip, port] : old_usable)
            if (!new_usable.count({ip, port})) out.push_back({M::ReplySource, ip, port});
        if (old_usable.empty() && !new_usable.empty()) add_service_addresses(*now, after.node, out);
    }
    return out;
}

UdpStaleEntries::UdpStaleEntries(const ServiceState& state) : state_(state) {
    std::vector<netlink::UdpConntrackTarget> addresses;
    for (const auto& sp : state.ports) {
        if (sp.protocol != Protocol::UDP) continue;
        addresses.clear();
        add_service_addresses(sp, state.node, addresses);
        for (const auto& a : addresses) (a.address.is_v4() ? ipv4_ : ipv6_) = true;
    }
}

void UdpStaleEntries::build_index() const {
    indexed_ = true;
    std::vector<netlink::UdpConntrackTarget> addresses;
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

bool UdpStaleEntries::is_stale(const netlink::UdpFlow& flow) const {
    if (!indexed_) build_index();
    auto it = frontends_.find({flow.original_destination, flow.original_port});
    if (it == frontends_.end()) return false;
    const bool dnated = !(flow.reply_source == flow.original_destination && flow.reply_port == flow.original_port);
    if (!dnated) return !it->second.empty();
    return !it->second.count({flow.reply_source, flow.reply_port});
}

}  // namespace svcnat::nft
