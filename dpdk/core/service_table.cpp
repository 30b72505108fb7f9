#include "service_table.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "bytes.hpp"
#include "control/lb/hash.hpp"

namespace svcnat::dpdk {

namespace {

uint32_t raw_v4(const IPAddr& ip) {
    uint32_t v;
    std::memcpy(&v, ip.bytes.data(), 4);  // bytes are already network order
    return v;
}

uint16_t raw_port(uint16_t host_order) {
    const uint8_t b[2] = {static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
    uint16_t v;
    std::memcpy(&v, b, 2);
    return v;
}

std::optional<uint8_t> ip_proto(Protocol p) {
    switch (p) {
        case Protocol::TCP: return kProtoTcp;
        case Protocol::UDP: return kProtoUdp;
        case Protocol::SCTP: return std::nullopt;
    }
    return std::nullopt;
}

void warn(std::vector<std::string>* warnings, std::string text) {
    if (warnings) warnings->push_back(std::move(text));
}

}  // namespace

const Backend4* ServiceBackends::select(const FlowKey4& client_side) const noexcept {
    // ClientIP affinity: hash a key with only the client address (and the
    // protocol), so all ports of one client map to one slot.
    const FlowKey4 key = client_ip_affinity
                             ? make_flow_key4(client_side.src_ip, 0, 0, 0, client_side.proto)
                             : client_side;
    const auto index = maglev.lookup(flow_hash(key));
    if (index == lb::MaglevTable::kNoBackend) return nullptr;
    return &backends[index];
}

namespace {

// (ip, port) as numbers, for ordering backends independently of host order.
std::pair<uint32_t, uint16_t> numeric(uint32_t ip, uint16_t port) {
    return {load_be32(reinterpret_cast<const uint8_t*>(&ip)),
            load_be16(reinterpret_cast<const uint8_t*>(&port))};
}

}  // namespace

bool Cidr4::contains_raw(uint32_t ip_network_order) const noexcept {
    return (load_be32(reinterpret_cast<const uint8_t*>(&ip_network_order)) & mask) == network;
}

bool ServiceBackends::has_backend(uint32_t ip, uint16_t port) const noexcept {
    const auto want = numeric(ip, port);
    const auto it = std::lower_bound(backends.begin(), backends.end(), want,
                                     [](const Backend4& b, const std::pair<uint32_t, uint16_t>& w) {
                                         return numeric(b.ip, b.port) < w;
                                     });
    return it != backends.end() && numeric(it->ip, it->port) == want;
}

size_t ServiceSnapshot::KeyHash::operator()(const ServiceKey4& k) const noexcept {
    return static_cast<size_t>(lb::stable_hash64(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&k), sizeof k), 0));
}

namespace {

// One service port's backends (kube-proxy's usable endpoints, IPv4),
// source ranges and Maglev table; nullptr (with a warning) when the
// endpoints do not fit the table.
std::shared_ptr<ServiceBackends> make_backends(const ResolvedServicePort& sp, uint8_t proto,
                                               uint32_t table_size, std::vector<std::string>* warnings) {
    auto svc = std::make_shared<ServiceBackends>();
    svc->name = sp.id();
    svc->proto = proto;
    svc->client_ip_affinity = sp.sessionAffinity == SessionAffinity::ClientIP;
    for (const CIDR& range : sp.loadBalancerSourceRanges) {
        if (!range.addr.is_v4()) continue;  // applies to IPv6 clients
        const uint32_t mask = range.prefix == 0 ? 0 : ~uint32_t{0} << (32 - range.prefix);
        svc->source_ranges.push_back(Cidr4{range.addr.v4_host_order() & mask, mask});
    }
    // The gateway is a cluster-wide front door in front of every node, so
    // it balances over all usable endpoints; externalTrafficPolicy Local
    // cannot keep the client address through full NAT anyway.
    for (const ResolvedEndpoint* ep : usable_endpoints(sp, false)) {
        if (!ep->ip.is_v4()) {
            warn(warnings, svc->name + ": endpoint " + ep->ip.str() + " is IPv6, skipped");
            continue;
        }
        svc->backends.push_back(Backend4{raw_v4(ep->ip), raw_port(ep->port), 1,
                                         lb::backend_identity(ep->ip, ep->port)});
    }
    // Resolved endpoints are already sorted by (ip, port); sort anyway
    // because has_backend() depends on it, and drop duplicates (an
    // endpoint listed by two slices) that Maglev would reject.
    std::sort(svc->backends.begin(), svc->backends.end(), [](const Backend4& a, const Backend4& b) {
        return numeric(a.ip, a.port) < numeric(b.ip, b.port);
    });
    svc->backends.erase(std::unique(svc->backends.begin(), svc->backends.end(),
                                    [](const Backend4& a, const Backend4& b) {
                                        return a.ip == b.ip && a.port == b.port;
                                    }),
                        svc->backends.end());
    if (svc->backends.size() > lb::MaglevTable::kMaxBackends || svc->backends.size() > table_size) {
        warn(warnings, svc->name + ": " + std::to_string(svc->backends.size()) +
                           " endpoints exceed the Maglev table; service skipped");
        return nullptr;
    }
    std::vector<lb::MaglevBackend> mb;
    mb.reserve(svc->backends.size());
    for (const auto& b : svc->backends) mb.push_back({b.id, b.weight});
    svc->maglev = lb::MaglevTable::build(mb, table_size);
    return svc;
}

}  // namespace

std::shared_ptr<const ServiceSnapshot> ServiceSnapshot::build(const ServiceState& state,
                                                              const SnapshotOptions& options,
                                                              std::vector<std::string>* warnings) {
    if (!lb::is_prime(options.maglev_table_size))
        throw std::invalid_argument("service snapshot: Maglev table size " +
                                    std::to_string(options.maglev_table_size) + " is not prime");
    auto snap = std::make_shared<ServiceSnapshot>();
    auto allowed = [&](const IPAddr& vip) {
        return options.vip_allowlist.empty() ||
               std::find(options.vip_allowlist.begin(), options.vip_allowlist.end(), vip) !=
                   options.vip_allowlist.end();
    };

    for (const ResolvedServicePort& sp : state.ports) {
        // loadBalancerIPs first: an address listed in both is filtered by
        // the source ranges, the stricter reading.
        std::vector<std::pair<IPAddr, bool /*is LB IP*/>> vips;
        for (const auto* list : {&sp.loadBalancerIPs, &sp.externalIPs})
            for (const IPAddr& vip : *list)
                if (allowed(vip) && std::none_of(vips.begin(), vips.end(),
                                                 [&](const auto& v) { return v.first == vip; }))
                    vips.emplace_back(vip, list == &sp.loadBalancerIPs);
        if (vips.empty()) continue;

        const auto proto = ip_proto(sp.protocol);
        if (!proto) {
            warn(warnings, sp.id() + ": protocol " + std::string(to_string(sp.protocol)) +
                               " is not forwarded by the gateway");
            continue;
        }

        auto svc = make_backends(sp, *proto, options.maglev_table_size, warnings);
        if (!svc) continue;

        bool used = false;
        for (const auto& [vip, is_lb_ip] : vips) {
            if (!vip.is_v4()) {
                warn(warnings, svc->name + ": VIP " + vip.str() + " is IPv6, not served yet");
                continue;
            }
            const ServiceKey4 key = make_service_key4(raw_v4(vip), raw_port(sp.port), *proto);
            const Vip entry{svc.get(), is_lb_ip && !svc->source_ranges.empty()};
            if (!snap->by_vip_.emplace(key, entry).second) {
                warn(warnings, svc->name + ": " + vip.str() + ":" + std::to_string(sp.port) + "/" +
                                   std::string(to_string(sp.protocol)) +
                                   " is already served by another service, skipped");
                continue;
            }
            used = true;
        }
        if (used) snap->services_.push_back(std::move(svc));
    }
    return snap;
}

const ServiceBackends* ServiceSnapshot::find(const ServiceKey4& key) const noexcept {
    const auto it = by_vip_.find(key);
    return it == by_vip_.end() ? nullptr : it->second.service;
}

bool ServiceSnapshot::source_allowed(const ServiceKey4& key, uint32_t src_ip) const noexcept {
    const auto it = by_vip_.find(key);
    if (it == by_vip_.end() || !it->second.filter_sources) return true;
    const auto& ranges = it->second.service->source_ranges;
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const Cidr4& c) { return c.contains_raw(src_ip); });
}

}  // namespace svcnat::dpdk
