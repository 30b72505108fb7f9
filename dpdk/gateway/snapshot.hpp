// What the workers read to handle a new flow: dpdk/core's ServiceSnapshot (VIPs,
// backends, Maglev tables) plus the application's indexes over it, built on
// the main lcore and published with read-copy-update (see Gateway::install):
//   * an rte_hash ServiceKey4 -> service index (the fast-path VIP lookup);
//   * the set of VIP addresses (ARP and ICMP answers on client ports);
//   * per backend, its neighbour-table slot and stat id; per service its stat id.
// Immutable once built.
#pragma once

#include <rte_hash.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "dpdk/core/service_table.hpp"
#include "control/config/gateway_settings.hpp"
#include "neighbors.hpp"
#include "stats.hpp"

namespace svcnat::dpdk {

// A service port of the snapshot as the fast path forwards to it: its
// backends (core), and per backend where it is reached (neighbour slot,
// egress port) and which counters it feeds.
template <typename Addr>
struct ServiceForwarding {
    const ServiceBackends<Addr>* service = nullptr;
    uint32_t stat_id = 0;
    std::vector<int32_t> neighbor_slot;    // per backend; -1: no route
    std::vector<uint16_t> egress_port;     // per backend: index into the port list
    std::vector<uint32_t> backend_stat_id; // per backend
};

class GatewaySnapshot {
public:
    // Main lcore. Registers every backend (or its next hop) in `neighbors`.
    // Returns nullptr and fills `error` on failure (e.g. rte_hash creation).
    // `state` is what `core` was built from.
    static std::unique_ptr<GatewaySnapshot> build(const ServiceState& state,
                                                  std::shared_ptr<const ServiceSnapshot> core,
                                                  const GatewaySettings& cfg, NeighborTable& neighbors,
                                                  StatIds& service_ids, StatIds& backend_ids,
                                                  uint64_t generation, std::string* error);
    ~GatewaySnapshot();
    GatewaySnapshot(const GatewaySnapshot&) = delete;
    GatewaySnapshot& operator=(const GatewaySnapshot&) = delete;

    // Fast path. nullptr when no service has this VIP:port/proto.
    template <typename Addr>
    const ServiceForwarding<Addr>* find(const ServiceKey<Addr>& key) const noexcept {
        const Table<Addr>& t = table<Addr>();
        void* data;
        if (rte_hash_lookup_data(t.vip_index, &key, &data) < 0) return nullptr;
        return &t.services[reinterpret_cast<uintptr_t>(data)];
    }
    bool is_vip(const Ip4& ip) const noexcept { return rte_hash_lookup(v4_.vip_addrs, &ip) >= 0; }
    bool is_vip(const Ip6& ip) const noexcept { return rte_hash_lookup(v6_.vip_addrs, ip.data()) >= 0; }

    uint64_t generation() const { return generation_; }
    const ServiceSnapshot& core() const { return *core_; }
    template <typename Addr>
    const std::vector<ServiceForwarding<Addr>>& services() const { return table<Addr>().services; }
    size_t vip_count() const { return core_->vip_count(); }

private:
    template <typename Addr>
    struct Table {
        std::vector<ServiceForwarding<Addr>> services;
        rte_hash* vip_index = nullptr;  // ServiceKey -> index into services
        rte_hash* vip_addrs = nullptr;  // the VIP addresses (ARP/ND and echo answers)
    };
    template <typename Addr>
    const Table<Addr>& table() const noexcept {
        if constexpr (std::is_same_v<Addr, Ip4>) return v4_; else return v6_;
    }
    template <typename Addr>
    Table<Addr>& table() noexcept {
        if constexpr (std::is_same_v<Addr, Ip4>) return v4_; else return v6_;
    }
    template <typename Addr>
    bool build_family(const ServiceState& state, const GatewaySettings& cfg, NeighborTable& neighbors,
                      StatIds& service_ids, StatIds& backend_ids, std::string* error);

    GatewaySnapshot() = default;
    std::shared_ptr<const ServiceSnapshot> core_;
    Table<Ip4> v4_;
    Table<Ip6> v6_;
    uint64_t generation_ = 0;
};

}  // namespace svcnat::dpdk
