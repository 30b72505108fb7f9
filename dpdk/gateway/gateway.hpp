// The gateway's runtime: everything shared by the worker lcores (ports,
// packet pool, neighbour table, SNAT pool, the published service snapshot,
// counters) and the control work done by the main lcore (ARP requests,
// snapshot reloads, rates). EAL must be initialised before create().
#pragma once

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "control/model/resolved.hpp"
#include "dpdk/core/flow_state.hpp"
#include "dpdk/core/address_set.hpp"
#include "dpdk/core/snat_pool.hpp"
#include "control/config/gateway_settings.hpp"
#include "neighbors.hpp"
#include "ports.hpp"
#include "snapshot.hpp"
#include "stats.hpp"

namespace svcnat::dpdk {

class Worker;

class Gateway {
public:
    // Sets up the pool, ports (one rx and one tx queue per worker), tables
    // and rings. Throws std::runtime_error with the cause.
    static std::unique_ptr<Gateway> create(const GatewaySettings& cfg, uint16_t workers);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // Main lcore: builds a snapshot from `state` and publishes it; waits
    // (RCU) until no worker can still see the previous one, then frees it.
    // Existing flows keep their backend: entries hold addresses, not pointers.
    // Returns false with `error` set when the snapshot cannot be built.
    bool install(const ServiceState& state, std::string* error);

    // Main lcore, every few milliseconds: ARP requests and Neighbor
    // Solicitations for unresolved and stale neighbours, expiry of packets
    // held for them, rate sampling.
    void control_tick();

    // Workers loop (Worker::run) until stop(); main.cpp launches them and
    // runs the control loop.
    void stop() { running_.store(false, std::memory_order_relaxed); }
    bool running() const { return running_.load(std::memory_order_relaxed); }

    // ---- shared with workers ----
    const GatewaySettings& config() const { return cfg_; }
    const FlowTimeouts& flow_timeouts() const { return timeouts_; }
    const std::vector<PortRuntime>& ports() const { return ports_; }
    uint16_t worker_count() const { return static_cast<uint16_t>(workers_.size()); }
    Worker& worker(uint16_t i) { return *workers_[i]; }
    rte_mempool* pool() const { return pool_; }
    NeighborTable& neighbors() { return *neighbors_; }
    // The SNAT pool of a family; nullptr when no snat-address of that
    // family is configured (its new flows are dropped: no_snat_address).
    template <typename Addr>
    SnatPool<Addr>* snat() {
        if constexpr (std::is_same_v<Addr, Ip4>) return snat4_.get(); else return snat6_.get();
    }
    // Packets handed to a worker: replies (and pod-side ICMP errors) whose
    // SNAT port it owns, and client-side ICMP errors passed on from worker
    // to worker until the owner of the quoted flow translates them
    // (Worker::handle_icmp_error): client flows live where the NIC's
    // steering put them, which an error's outer addresses say nothing about.
    rte_ring* handoff_ring(uint16_t worker) const { return rings_[worker]; }
    // Packets the main lcore wants sent (ARP requests, NS), m->port = port
    // index; worker 0 transmits them, so the main lcore needs no tx queue.
    rte_ring* control_tx_ring() const { return control_tx_; }
    rte_rcu_qsbr* rcu() const { return rcu_; }
    const GatewaySnapshot* snapshot() const { return current_.load(std::memory_order_acquire); }
    LcoreStats& stats(uint16_t worker) { return stats_[worker]; }
    const LcoreStats& stats(uint16_t worker) const { return stats_[worker]; }
    // Every worker's counters summed (any thread).
    CounterValues totals() const;
    TrafficTable& service_traffic() { return *service_traffic_; }
    TrafficTable& backend_traffic() { return *backend_traffic_; }
    StatIds& service_ids() { return service_ids_; }
    StatIds& backend_ids() { return backend_ids_; }
    // Its position among the family's SNAT addresses (SnatPool::local_id), or -1.
    int32_t snat_index(const Ip4& ip) const { return snat4_set_.index_of(ip); }
    int32_t snat_index(const Ip6& ip) const { return snat6_set_.index_of(ip); }
    uint64_t new_flows_per_s() const { return new_flows_rate_.load(std::memory_order_relaxed); }
    // Snapshots installed, and installs that failed (the manifests' own
    // errors never get this far: the daemon reports them).
    uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
    uint64_t reload_failures() const { return reload_failures_.load(std::memory_order_relaxed); }
    uint64_t arp_requests_sent() const { return arp_requests_.load(std::memory_order_relaxed); }
    uint64_t held_expired() const { return held_expired_.load(std::memory_order_relaxed); }

    // Does this port answer ARP / Neighbor Solicitations (and echo) for ip?
    // Its own address; SNAT addresses on backend-facing ports; VIPs on
    // client-facing ports.
    template <typename Addr>
    bool owns(uint16_t port_index, const Addr& ip, const GatewaySnapshot* snap) const {
        const PortConfig& pc = cfg_.ports[port_index];
        if (ports_[port_index].is_own(ip)) return true;
        if (pc.faces_backends() && snat_index(ip) >= 0) return true;
        return pc.faces_clients() && snap != nullptr && snap->is_vip(ip);
    }

private:
    Gateway(const GatewaySettings& cfg);

    GatewaySettings cfg_;
    FlowTimeouts timeouts_;
    rte_mempool* pool_ = nullptr;
    std::vector<PortRuntime> ports_;
    std::unique_ptr<NeighborTable> neighbors_;
    std::unique_ptr<SnatPool4> snat4_;
    std::unique_ptr<SnatPool6> snat6_;
    AddressSet<Ip4> snat4_set_;
    AddressSet<Ip6> snat6_set_;
    std::vector<rte_ring*> rings_;
    rte_ring* control_tx_ = nullptr;
    rte_rcu_qsbr* rcu_ = nullptr;
    std::atomic<const GatewaySnapshot*> current_{nullptr};
    std::unique_ptr<GatewaySnapshot> owned_;  // what current_ points at
    std::mutex install_mu_;                   // telemetry reads services under it
    uint64_t generation_ = 0;
    std::unique_ptr<LcoreStats[]> stats_;
    StatIds service_ids_{4096}, backend_ids_{65536};
    std::unique_ptr<TrafficTable> service_traffic_, backend_traffic_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> running_{true};
    std::atomic<uint64_t> new_flows_rate_{0}, reloads_{0}, reload_failures_{0}, arp_requests_{0}, held_expired_{0};
    uint64_t last_rate_tsc_ = 0, last_new_flows_ = 0;

public:
    // Telemetry: run f under the lock that keeps the current snapshot alive.
    template <typename F>
    void with_snapshot(F&& f) {
        std::lock_guard lock(install_mu_);
        f(current_.load(std::memory_order_acquire));
    }
};

}  // namespace svcnat::dpdk
