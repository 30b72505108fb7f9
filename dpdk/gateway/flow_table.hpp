// One worker lcore's flow table. Private to its lcore (replies are steered
// to the owner), so nothing in it takes a lock or an atomic.
//
// A flow is found from either side:
//   client side: an rte_hash from the client key (client ip:port → VIP:port,
//     protocol) to the flow's slot;
//   reply side: by its SNAT lease. Leases are exclusive (one flow per SNAT
//     ip:port, dpdk/core/snat_pool.hpp), so the lease id indexes an array of
//     slots directly, and the packet's key is checked against the flow's
//     reply key. One rte_hash key per flow instead of two: a new flow costs
//     one hash insertion (rte_hash_add was ~350 instructions each under
//     callgrind), and a reply packet no hash lookup at all.
//
// Housekeeping is an incremental sweep: each sweep() call visits at most
// `budget` slab slots from a cursor that wraps around, so the cost per call
// is bounded. The worker paces the budget by time (SweepPacer): the whole
// table once per sweep period, whatever the packet rate, so an idle flow is
// removed between its timeout and timeout + one period, and the per-service
// and per-backend counters folded from the flow entries during the sweep
// lag by at most one period.
#pragma once

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpdk/core/flow_entry.hpp"

namespace svcnat::dpdk {

// What the application keeps next to dpdk/core's FlowEntry: where each side of
// the flow is on the wire, and which counters it feeds. Replies go back to
// the L2 source that sent the client's first packet (the upstream router of
// an ECMP group), so client-side routes need no ARP at all.
struct FlowRoute {
    int32_t backend_neighbor = -1;  // neighbour-table slot of the backend or its next hop
    uint16_t backend_port = 0;      // egress port towards the backend
    uint16_t client_port = 0;       // port the client's packets arrive on
    uint8_t client_mac[6] = {};     // L2 source of the client's first packet
    uint32_t service_stat = 0;
    uint32_t backend_stat = 0;
};

// What of a flow entry's packet and byte counts the sweep has already added
// to its service's and backend's counters. Kept apart from FlowRoute: only
// the sweep touches it, and the fast path's route stays small.
struct FoldedTraffic {
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

// Spreads a full sweep of `capacity` slots evenly over `period_tsc` cycles:
// due(now) is the number of slots to visit now. Fractions carry over, and
// after a stall at most one period's worth is due (capped per call, so a
// late poll does not turn into a latency spike). 64-bit arithmetic: the
// credit is at most period · capacity (1 s of a 5 GHz TSC times the 2^28
// flows a table may hold fits); a 128-bit division per poll showed up in perf.
class SweepPacer {
public:
    SweepPacer() = default;
    SweepPacer(uint64_t period_tsc, uint32_t max_per_call) : period_(period_tsc ? period_tsc : 1), max_(max_per_call) {}
    uint32_t due(uint64_t now_tsc, uint32_t capacity) noexcept {
        if (last_ == 0 || now_tsc < last_) {
            last_ = now_tsc;
            return 0;
        }
        const uint64_t elapsed = std::min(now_tsc - last_, period_);
        last_ = now_tsc;
        credit_ = std::min(credit_ + elapsed * capacity, period_ * capacity);
        if (credit_ < period_) return 0;
        const uint64_t n = std::min<uint64_t>(credit_ / period_, max_);
        credit_ -= n * period_;
        return static_cast<uint32_t>(n);
    }

private:
    uint64_t period_ = 1;
    uint32_t max_ = 0;
    uint64_t last_ = 0;
    uint64_t credit_ = 0;  // slot·cycles
};

// One class template for both families: FlowTable4 keys are 16 bytes,
// FlowTable6 keys 48; each worker has one of each.
template <typename Addr>
class FlowTable {
public:
    using Entry = FlowEntryOf<Addr>;
    using Key = FlowKey<Addr>;
    using Index = uint32_t;
    static constexpr Index kNone = UINT32_MAX;

    // nullptr when the hash cannot be allocated. `leases`: the SNAT pool's
    // lease ids of this worker's partition are 0..leases-1
    // (SnatPool::local_ids()).
    static std::unique_ptr<FlowTable> create(const std::string& name, uint32_t max_flows, int socket,
                                             uint32_t leases);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // The hash rte_hash files a key under (its own hash_func is the same).
    // Inline, so a burst's hashes are computed without a call per key: as
    // rte_hash's hash_func the CRC was an indirect call per key, ~70 of the
    // ~750 instructions per established packet under callgrind.
    static uint32_t hash(const Key& key) noexcept { return rte_hash_crc(&key, sizeof key, 0); }

    // Client side: looks up n keys at once (n <= RTE_HASH_LOOKUP_BULK_MAX),
    // sigs[i] = hash(*keys[i]); out[i] = index or kNone.
    void lookup_bulk(const Key* const* keys, const uint32_t* sigs, uint32_t n, Index* out) const;
    Index lookup(const Key& key) const;

    // Reply side, in two steps so that the slot can be fetched meanwhile:
    // the flow holding lease `lease` (or kNone), then whether a packet with
    // reply key `key` belongs to it.
    Index reply_candidate(uint32_t lease) const { return reply_by_lease_[lease]; }
    bool is_reply_of(Index i, const Key& key) const { return slots_[i].entry.reply_side == key; }
    Index lookup_reply(uint32_t lease, const Key& key) const {
        const Index i = reply_candidate(lease);
        return i != kNone && is_reply_of(i, key) ? i : kNone;
    }

    // Adds a flow whose SNAT lease (the reply key's destination) has id
    // `lease`. kNone when full or the client key is taken (the caller
    // counts FlowTableFull).
    Index insert(const Entry& e, const FlowRoute& route, uint32_t lease);
    void erase(Index i);

    Entry& at(Index i) { return slots_[i].entry; }
    const FlowRoute& route(Index i) const { return slots_[i].route; }
    // Fetches flow i's cache lines ahead of use (after a bulk lookup).
    void prefetch(Index i) const {
        const auto* p = reinterpret_cast<const char*>(&slots_[i]);
        for (size_t off = 0; off < sizeof(Slot); off += 64) rte_prefetch0(p + off);
    }

    // Visits the next `budget` slots of the slab: visit(entry, route,
    // folded) for each flow returns true to erase the flow (after it released what it
    // holds). Returns how many were erased.
    template <typename F>
    uint32_t sweep(uint32_t budget, F&& visit) {
        uint32_t n = 0;
        const uint32_t cap = static_cast<uint32_t>(slots_.size());
        for (uint32_t i = 0; i < budget && i < cap; ++i) {
            Index idx = cursor_;
            cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
            if (!used_[idx] || !visit(slots_[idx].entry, slots_[idx].route, folded_[idx])) continue;
            erase(idx);
            ++n;
        }
        return n;
    }

    uint32_t size() const { return size_; }
    uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }

private:
    FlowTable() = default;
    rte_hash* hash_ = nullptr;
    // A flow's entry and route side by side on whole cache lines (IPv4: two,
    // IPv6: three), so a packet touches only its flow's lines: as separate
    // arrays of 96- and 24-byte elements they straddled one line more, and
    // with 4096 flows the established rate is bound by the cache (256 flows
    // ran 30 % faster in scripts/bench-gateway).
    struct alignas(64) Slot {
        Entry entry;
        FlowRoute route;
        uint32_t lease;
    };
    static_assert(sizeof(Slot) == (sizeof(Addr) == 4 ? 128 : 192), "two cache lines per IPv4 flow, three per IPv6 flow");
    std::vector<Slot> slots_;
    std::vector<Index> reply_by_lease_;  // lease id → slot, kNone when free
    std::vector<uint8_t> used_;
    std::vector<FoldedTraffic> folded_;
    std::vector<Index> free_;
    uint32_t size_ = 0;
    uint32_t cursor_ = 0;
};

using FlowTable4 = FlowTable<Ip4>;
using FlowTable6 = FlowTable<Ip6>;
extern template class FlowTable<Ip4>;
extern template class FlowTable<Ip6>;

}  // namespace svcnat::dpdk
