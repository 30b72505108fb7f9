// The gateway's view of the Services it fronts: VIP:port/proto → backends and
// their Maglev table, as one immutable snapshot.
//
// Built off the fast path (control thread) from svcnat's resolved model:
// every loadBalancerIP and externalIP of a ResolvedServicePort becomes a VIP
// with the port's usable endpoints (kube-proxy's rule: ready, else
// serving+terminating) as weight-1 backends. All VIPs of one service port
// share one Maglev table.
//
// Publication (read-copy-update): the snapshot never changes after build().
// The gateway keeps an std::atomic<const ServiceSnapshot*> (or a plain pointer
// read with __atomic_load_n acquire) that lcores read once per burst. To
// reload: build the new snapshot, store the pointer (release), then call
// rte_rcu_qsbr_synchronize() (or poll rte_rcu_qsbr_check with a token from
// rte_rcu_qsbr_start) on a QSBR variable for which every forwarding lcore
// reports rte_rcu_qsbr_quiescent() once per loop iteration after finishing
// its burst; only then free the old snapshot. Flow entries copy the
// backend's address and port, never pointers into a snapshot, so existing
// flows are unaffected by a swap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <type_traits>
#include <utility>
#include <vector>

#include "control/lb/hash.hpp"
#include "control/lb/maglev.hpp"
#include "control/model/resolved.hpp"
#include "flow_key.hpp"
#include "inet.hpp"

namespace svcnat::dpdk {

// One template per family (inet.hpp) for keys, backends, source ranges and
// the per-service-port table; a snapshot holds a table of each family. A
// dual-stack Service port gets an IPv4 and an IPv6 table: each VIP is served
// by the endpoints of its own family, as kube-proxy runs one proxier per
// family.
template <typename Addr>
struct ServiceKey {
    Addr vip;        // network order
    uint16_t port;   // network order
    uint8_t proto;   // kProtoTcp / kProtoUdp
    uint8_t pad;     // always zero
    bool operator==(const ServiceKey&) const = default;
};
using ServiceKey4 = ServiceKey<Ip4>;
using ServiceKey6 = ServiceKey<Ip6>;
static_assert(sizeof(ServiceKey4) == 8);
static_assert(sizeof(ServiceKey6) == 20);
static_assert(std::has_unique_object_representations_v<ServiceKey4>);
static_assert(std::has_unique_object_representations_v<ServiceKey6>);

template <typename Addr>
inline ServiceKey<Addr> make_service_key(const Addr& vip, uint16_t port, uint8_t proto) noexcept {
    return ServiceKey<Addr>{vip, port, proto, 0};
}

template <typename Addr>
struct Backend {
    Addr ip{};           // network order
    uint16_t port = 0;   // network order
    uint32_t weight = 1;
    std::string id;      // lb::backend_identity(), the Maglev identity
};
using Backend4 = Backend<Ip4>;
using Backend6 = Backend<Ip6>;

// A prefix as network address and mask, both raw network order like the
// addresses they are matched against, for source-range checks.
template <typename Addr>
struct Cidr {
    Addr network{};  // host bits clear
    Addr mask{};
    bool contains(const Addr& ip) const noexcept {
        if constexpr (std::is_integral_v<Addr>) {
            return (ip & mask) == network;
        } else {
            for (size_t i = 0; i < ip.size(); ++i)
                if ((ip[i] & mask[i]) != network[i]) return false;
            return true;
        }
    }
    bool operator==(const Cidr&) const = default;
};
using Cidr4 = Cidr<Ip4>;
using Cidr6 = Cidr<Ip6>;

// One service port of one family (shared by all its VIPs of that family).
template <typename Addr>
struct ServiceBackends {
    std::string name;                // ResolvedServicePort::id(), for logs/metrics
    uint8_t proto = kProtoTcp;
    bool client_ip_affinity = false; // sessionAffinity: ClientIP
    // The entries of spec.loadBalancerSourceRanges of this family; empty =
    // any client. Enforced on the service's loadBalancerIPs only, like
    // kube-proxy (externalIPs are not filtered), which also admits the
    // service's own ingress IPs as sources: see ServiceSnapshot::source_allowed().
    std::vector<Cidr<Addr>> source_ranges;
    std::vector<Backend<Addr>> backends;  // sorted by (ip, port) numerically
    lb::MaglevTable maglev;

    // Backend for a new flow, or nullptr when there is none. With ClientIP
    // affinity only the client address is hashed, so every connection of a
    // client lands on the same backend for as long as the backend set is
    // stable (Maglev keeps most clients in place when it changes); the
    // Kubernetes affinity timeout is not applicable to a stateless choice.
    const Backend<Addr>* select(const FlowKey<Addr>& client_side) const noexcept;

    // Is ip:port (network order) still a backend of this service? O(log N).
    // After a snapshot swap the application asks this for existing flows
    // (e.g. in its expiry sweep) and ends UDP flows whose backend is gone, as
    // kube-proxy flushes UDP conntrack entries of removed endpoints; TCP
    // flows are left to finish or time out.
    bool has_backend(const Addr& ip, uint16_t port) const noexcept;
};
using ServiceBackends4 = ServiceBackends<Ip4>;
using ServiceBackends6 = ServiceBackends<Ip6>;
extern template struct ServiceBackends<Ip4>;
extern template struct ServiceBackends<Ip6>;

struct SnapshotOptions {
    uint32_t maglev_table_size = lb::MaglevTable::kDefaultSize;
    // Only these VIPs are served; empty = every loadBalancerIP/externalIP.
    std::vector<IPAddr> vip_allowlist;
};

class ServiceSnapshot {
public:
    // Builds the snapshot. SCTP ports, endpoints of the other family than a
    // VIP, and ports whose VIP+port+proto repeats an earlier one are skipped
    // with a warning (appended to `warnings` when given). Throws
    // std::invalid_argument only for invalid options (e.g. non-prime table
    // size).
    static std::shared_ptr<const ServiceSnapshot> build(const ServiceState& state,
                                                        const SnapshotOptions& options = {},
                                                        std::vector<std::string>* warnings = nullptr);

    // nullptr when no service has this VIP:port/proto.
    template <typename Addr>
    const ServiceBackends<Addr>* find(const ServiceKey<Addr>& key) const noexcept {
        const auto& by_vip = table<Addr>().by_vip;
        const auto it = by_vip.find(key);
        return it == by_vip.end() ? nullptr : it->second.service;
    }

    // May a NEW flow from `src_ip` (network order) use this VIP? False only
    // when `key` is one of its service's loadBalancerIPs, the service has
    // loadBalancerSourceRanges of this family, and neither a range nor one
    // of the service's own loadBalancerIPs (kube-proxy admits those: a node
    // or a hairpinning load balancer holding the address) contains the
    // client (DropReason::SourceNotAllowed). Checked once per flow, not per
    // packet. True for unknown keys (the caller has already counted
    // no_service).
    template <typename Addr>
    bool source_allowed(const ServiceKey<Addr>& key, const Addr& src_ip) const noexcept;

    size_t vip_count() const noexcept { return v4_.by_vip.size() + v6_.by_vip.size(); }
    template <typename Addr>
    const std::vector<std::shared_ptr<const ServiceBackends<Addr>>>& services() const noexcept {
        return table<Addr>().services;
    }

private:
    template <typename Addr>
    struct KeyHash {
        size_t operator()(const ServiceKey<Addr>& k) const noexcept {
            return static_cast<size_t>(lb::stable_hash64(
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&k), sizeof k), 0));
        }
    };
    template <typename Addr>
    struct Vip {
        const ServiceBackends<Addr>* service = nullptr;
        bool filter_sources = false;  // a loadBalancerIP of a service with ranges
        std::vector<Addr> own_ingress;  // the service's loadBalancerIPs, allowed as sources
    };
    template <typename Addr>
    struct Table {
        std::vector<std::shared_ptr<const ServiceBackends<Addr>>> services;
        std::unordered_map<ServiceKey<Addr>, Vip<Addr>, KeyHash<Addr>> by_vip;
    };
    template <typename Addr>
    const Table<Addr>& table() const noexcept {
        if constexpr (std::is_same_v<Addr, Ip4>) return v4_; else return v6_;
    }
    template <typename Addr>
    Table<Addr>& table() noexcept {
        if constexpr (std::is_same_v<Addr, Ip4>) return v4_; else return v6_;
    }
    // Adds the VIPs of `sp` of this family (loadBalancerIP flag with each).
    template <typename Addr>
    void add_port(const ResolvedServicePort& sp, uint8_t proto,
                  const std::vector<std::pair<IPAddr, bool>>& vips, const SnapshotOptions& options,
                  std::vector<std::string>* warnings);
    Table<Ip4> v4_;
    Table<Ip6> v6_;
};

}  // namespace svcnat::dpdk
