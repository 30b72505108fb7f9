#include "service_table.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "bytes.hpp"
#include "control/lb/hash.hpp"

namespace svcnat::dpdk {

namespace {

template <typename Addr>
Cidr<Addr> to_cidr(const Addr& network, unsigned prefix) {
    Cidr<Addr> c;
    uint8_t mask[sizeof(Addr)] = {};
    for (unsigned bit = 0; bit < prefix && bit < sizeof(Addr) * 8; ++bit)
        mask[bit / 8] = static_cast<uint8_t>(mask[bit / 8] | (0x80 >> (bit % 8)));
    std::memcpy(&c.mask, mask, sizeof(Addr));
    uint8_t net[sizeof(Addr)];
    std::memcpy(net, &network, sizeof(Addr));
    for (size_t i = 0; i < sizeof(Addr); ++i) net[i] &= mask[i];
    std::memcpy(&c.network, net, sizeof(Addr));
    return c;
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

// (ip, port) as numbers, for ordering backends independently of host order.
template <typename Addr>
auto numeric(const Addr& ip, uint16_t port) {
    using F = typename FamilyOf<Addr>::type;
    return std::pair{F::numeric(ip), load_be16(reinterpret_cast<const uint8_t*>(&port))};
}

const char* family_name(const Ip4*) { return "IPv4"; }
const char* family_name(const Ip6*) { return "IPv6"; }

// One service port's backends of one family (kube-proxy's usable
// endpoints), source ranges and Maglev table; nullptr (with a warning) when
// the endpoints do not fit the table.
template <typename Addr>
std::shared_ptr<ServiceBackends<Addr>> make_backends(const ResolvedServicePort& sp, uint8_t proto,
                                                     uint32_t table_size, std::vector<std::string>* warnings) {
    auto svc = std::make_shared<ServiceBackends<Addr>>();
    svc->name = sp.id();
    svc->proto = proto;
    svc->client_ip_affinity = sp.sessionAffinity == SessionAffinity::ClientIP;
    for (const CIDR& range : sp.loadBalancerSourceRanges) {
        Addr network;
        if (to_addr(range.addr, &network)) svc->source_ranges.push_back(to_cidr(network, range.prefix));
    }
    // The gateway is a cluster-wide front door in front of every node, so
    // it balances over all usable endpoints; externalTrafficPolicy Local
    // cannot keep the client address through full NAT anyway.
    for (const ResolvedEndpoint* ep : usable_endpoints(sp, false)) {
        Addr ip;
        if (to_addr(ep->ip, &ip))
            svc->backends.push_back(Backend<Addr>{ip, raw_port(ep->port), 1, lb::backend_identity(ep->ip, ep->port)});
    }
    // Resolved endpoints are already sorted by (ip, port); sort anyway
    // because has_backend() depends on it, and drop duplicates (an
    // endpoint listed by two slices) that Maglev would reject.
    std::sort(svc->backends.begin(), svc->backends.end(), [](const Backend<Addr>& a, const Backend<Addr>& b) {
        return numeric(a.ip, a.port) < numeric(b.ip, b.port);
    });
    svc->backends.erase(std::unique(svc->backends.begin(), svc->backends.end(),
                                    [](const Backend<Addr>& a, const Backend<Addr>& b) {
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

template <typename Addr>
const Backend<Addr>* ServiceBackends<Addr>::select(const FlowKey<Addr>& client_side) const noexcept {
    // ClientIP affinity: hash a key with only the client address (and the
    // protocol), so all ports of one client map to one slot.
    const FlowKey<Addr> key = client_ip_affinity
                                  ? make_flow_key<Addr>(client_side.src_ip, Addr{}, 0, 0, client_side.proto)
                                  : client_side;
    const auto index = maglev.lookup(flow_hash(key));
    if (index == lb::MaglevTable::kNoBackend) return nullptr;
    return &backends[index];
}

template <typename Addr>
bool ServiceBackends<Addr>::has_backend(const Addr& ip, uint16_t port) const noexcept {
    const auto want = numeric(ip, port);
    const auto it = std::lower_bound(backends.begin(), backends.end(), want,
                                     [](const Backend<Addr>& b, const auto& w) { return numeric(b.ip, b.port) < w; });
    return it != backends.end() && numeric(it->ip, it->port) == want;
}

template struct ServiceBackends<Ip4>;
template struct ServiceBackends<Ip6>;

template <typename Addr>
void ServiceSnapshot::add_port(const ResolvedServicePort& sp, uint8_t proto,
                               const std::vector<std::pair<IPAddr, bool>>& vips, const SnapshotOptions& options,
                               std::vector<std::string>* warnings) {
    std::vector<std::pair<Addr, bool>> mine;
    for (const auto& [vip, is_lb_ip] : vips) {
        Addr a;
        if (to_addr(vip, &a)) mine.emplace_back(a, is_lb_ip);
    }
    if (mine.empty()) return;
    auto svc = make_backends<Addr>(sp, proto, options.maglev_table_size, warnings);
    if (!svc) return;
    // A VIP of one family is served by endpoints of the same family only.
    if (svc->backends.empty() && !usable_endpoints(sp, false).empty())
        warn(warnings, svc->name + ": no " + family_name(static_cast<Addr*>(nullptr)) + " endpoint for its " +
                           family_name(static_cast<Addr*>(nullptr)) + " VIPs");
    std::vector<Addr> ingress;
    for (const auto& [a, is_lb_ip] : mine)
        if (is_lb_ip) ingress.push_back(a);
    Table<Addr>& t = table<Addr>();
    bool used = false;
    for (const auto& [vip, is_lb_ip] : mine) {
        const ServiceKey<Addr> key = make_service_key(vip, raw_port(sp.port), proto);
        Vip<Addr> entry{svc.get(), is_lb_ip && !svc->source_ranges.empty(), {}};
        if (entry.filter_sources) entry.own_ingress = ingress;
        if (!t.by_vip.emplace(key, std::move(entry)).second) {
            IPAddr shown;
            for (const auto& v : vips) {
                Addr a;
                if (to_addr(v.first, &a) && a == vip) shown = v.first;
            }
            warn(warnings, svc->name + ": " + shown.str() + ":" + std::to_string(sp.port) + "/" +
                               std::string(to_string(sp.protocol)) + " is already served by another service, skipped");
            continue;
        }
        used = true;
    }
    if (used) t.services.push_back(std::move(svc));
}

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
        snap->add_port<Ip4>(sp, *proto, vips, options, warnings);
        snap->add_port<Ip6>(sp, *proto, vips, options, warnings);
    }
    return snap;
}

template <typename Addr>
bool ServiceSnapshot::source_allowed(const ServiceKey<Addr>& key, const Addr& src_ip) const noexcept {
    const auto& by_vip = table<Addr>().by_vip;
    const auto it = by_vip.find(key);
    if (it == by_vip.end() || !it->second.filter_sources) return true;
    const auto& ranges = it->second.service->source_ranges;
    if (std::any_of(ranges.begin(), ranges.end(), [&](const Cidr<Addr>& c) { return c.contains(src_ip); }))
        return true;
    const auto& own = it->second.own_ingress;
    return std::find(own.begin(), own.end(), src_ip) != own.end();
}

template bool ServiceSnapshot::source_allowed(const ServiceKey<Ip4>&, const Ip4&) const noexcept;
template bool ServiceSnapshot::source_allowed(const ServiceKey<Ip6>&, const Ip6&) const noexcept;

}  // namespace svcnat::dpdk
