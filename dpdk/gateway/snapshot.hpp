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
#include <vector>

#include "dpdk/core/service_table.hpp"
#include "gateway_config.hpp"
#include "neighbors.hpp"
#include "stats.hpp"

namespace svcnat::dpdk {

struct ServiceExtras {
    const ServiceBackends4* service = nullptr;
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
                                                  const GatewayConfig& cfg, NeighborTable& neighbors,
                                                  StatIds& service_ids, StatIds& backend_ids,
                                                  uint64_t generation, std::string* error);
    ~GatewaySnapshot();
    GatewaySnapshot(const GatewaySnapshot&) = delete;
    GatewaySnapshot& operator=(const GatewaySnapshot&) = delete;

    // Fast path. nullptr when no service has this VIP:port/proto.
    const ServiceExtras* find(const ServiceKey4& key) const noexcept {
        void* data;
        if (rte_hash_lookup_data(vip_index_, &key, &data) < 0) return nullptr;
        return &services_[reinterpret_cast<uintptr_t>(data)];
    }
    bool is_vip(uint32_t ip_be) const noexcept { return rte_hash_lookup(vip_addrs_, &ip_be) >= 0; }

    uint64_t generation() const { return generation_; }
    const ServiceSnapshot& core() const { return *core_; }
    const std::vector<ServiceExtras>& services() const { return services_; }
    size_t vip_count() const { return core_->vip_count(); }

private:
    GatewaySnapshot() = default;
    std::shared_ptr<const ServiceSnapshot> core_;
    std::vector<ServiceExtras> services_;
    rte_hash* vip_index_ = nullptr;
    rte_hash* vip_addrs_ = nullptr;
    uint64_t generation_ = 0;
};

}  // namespace svcnat::dpdk
