// The local (SNAT) address:port pool of a full-NAT gateway, partitioned per
// lcore so that no lock is ever taken and a backend's reply can be steered
// to the lcore that owns its flow without RSS tricks:
//
//   lcore i owns every (addr, port) with  port mod n_lcores == i
//   the owner of a reply = its destination (SNAT) port mod n_lcores
//
// Each lcore allocates only from its own partition, so the reply-side key's
// destination port names the owner; the gateway hands a reply that arrived on
// another lcore over a ring to the owner.
//
// Reuse policy: an (addr, port) pair is exclusive — held by one flow at a
// time, whatever the backend. Full NAT could reuse a port towards different
// backends (the reply 5-tuple stays unique), but that needs a lookup per
// candidate and makes exhaustion probabilistic; exclusive leases keep
// allocation O(1) and exhaustion exact. Capacity is
// n_addrs × ports_in_range, so a gateway adds SNAT addresses to scale (each
// adds ~64 k concurrent flows).
//
// One template for both families: an IPv6 gateway has its own pool of IPv6
// SNAT addresses, partitioned the same way (SnatPool4, SnatPool6).
//
// Free ports form a FIFO ring per lcore: the port released longest ago is
// reused first, which keeps a backend that still holds the old connection in
// TIME_WAIT from seeing a SYN on the same 4-tuple soon after.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bytes.hpp"
#include "flow_key.hpp"

namespace svcnat::dpdk {

template <typename Addr>
struct SnatPoolConfig {
    std::vector<Addr> addrs;      // network order; at least one, no duplicates
    uint16_t port_first = 1024;   // inclusive, ≥ 1
    uint16_t port_last = 65535;   // inclusive
    uint16_t n_lcores = 1;        // ≥ 1, ≤ number of ports in range
};

template <typename Addr>
struct SnatLease {
    Addr addr{};        // network order
    uint16_t port = 0;  // HOST order (the pool computes with it)
    bool operator==(const SnatLease&) const = default;
};

// The lcore owning a SNAT port (host order): a reply addressed to it
// belongs to that lcore's flows.
inline uint16_t owner_lcore_of_port(uint16_t port_host_order, uint16_t n_lcores) noexcept {
    return static_cast<uint16_t>(port_host_order % n_lcores);
}

template <typename Addr>
class SnatPool {
public:
    using Config = SnatPoolConfig<Addr>;
    using Lease = SnatLease<Addr>;
    // Throws std::invalid_argument on an invalid config.
    explicit SnatPool(const Config& config);

    // O(1). nullopt (and exhausted(lcore) incremented) when the lcore's
    // partition is empty. Must be called only from `lcore`.
    std::optional<Lease> allocate(uint16_t lcore) noexcept;

    // O(1) in the number of ports (plus a scan of the few SNAT addresses).
    // Returns false, changing nothing, for a lease that this lcore
    // does not hold (unknown address, port of another partition, out of
    // range, or already free): a double release is a bug to be counted.
    bool release(uint16_t lcore, const Lease& lease) noexcept;

    uint32_t available(uint16_t lcore) const noexcept;
    // Leases of the address at `addr_index` held now, over all lcores. Any
    // thread (metrics, at scrape time): counted from the lcores' lease
    // bitmaps, so allocation and release do no bookkeeping for it.
    uint32_t in_use(uint32_t addr_index) const noexcept;
    // Leases an address has over all lcores: the ports in range.
    uint32_t leases_per_address() const noexcept { return ports_in_range_; }
    uint32_t capacity(uint16_t lcore) const noexcept;
    uint64_t exhausted(uint16_t lcore) const noexcept;
    uint16_t n_lcores() const noexcept { return static_cast<uint16_t>(parts_.size()); }
    // Within its lcore's partition every lease has a dense id,
    // 0..local_ids()-1, from the position of its address in config().addrs
    // and its port (host order, in range): the gateway's workers find a
    // reply's flow by it, in an array of local_ids() entries each (the
    // partition's ports are every n_lcores-th, hence the division).
    uint32_t local_ids() const noexcept { return static_cast<uint32_t>(config_.addrs.size()) * ports_per_addr_; }
    uint32_t local_id(uint32_t addr_index, uint16_t port) const noexcept {
        return addr_index * ports_per_addr_ + (port - config_.port_first) / n_lcores();
    }
    bool port_in_range(uint16_t port) const noexcept {
        return port >= config_.port_first && port <= config_.port_last;
    }
    const Config& config() const noexcept { return config_; }

private:
    // One per lcore, cache-line aligned: only its lcore writes it.
    struct alignas(64) Partition {
        std::vector<uint32_t> ring;  // lease ids (addr_index · ports + port offset)
        uint32_t head = 0;           // next to allocate
        uint32_t count = 0;          // free leases in the ring
        // One bit per lease id, set while held: release validation, and
        // what in_use() counts. Written by this lcore only, as relaxed
        // atomic words (a load and a store, like a plain bit vector), so
        // that another thread may read them.
        std::unique_ptr<std::atomic<uint64_t>[]> held;
        bool is_held(uint32_t id) const noexcept {
            return (held[id / 64].load(std::memory_order_relaxed) >> (id % 64)) & 1;
        }
        void set_held(uint32_t id, bool on) noexcept {
            auto& w = held[id / 64];
            const uint64_t bit = uint64_t{1} << (id % 64);
            const uint64_t v = w.load(std::memory_order_relaxed);
            w.store(on ? v | bit : v & ~bit, std::memory_order_relaxed);
        }
        uint64_t exhausted = 0;
    };
    uint32_t lease_id(uint32_t addr_index, uint16_t port) const noexcept {
        return addr_index * ports_in_range_ + (port - config_.port_first);
    }

    Config config_;
    uint32_t ports_in_range_ = 0;
    uint32_t ports_per_addr_ = 0;  // per lcore partition, rounded up
    std::vector<Partition> parts_;
};

using SnatPool4 = SnatPool<Ip4>;
using SnatPool6 = SnatPool<Ip6>;
extern template class SnatPool<Ip4>;
extern template class SnatPool<Ip6>;

}  // namespace svcnat::dpdk
