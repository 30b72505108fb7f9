// One worker lcore's flow table: FlowEntry slab + an rte_hash that maps both
// keys of a flow (client side and reply side) to its slab index. Private to
// its lcore (replies are steered to the owner), so the hash is created
// without any concurrency flags: no locks, no atomics on the fast path.
//
// Expiry is an incremental sweep: each expire_some() call visits at most
// `budget` slab slots from a cursor that wraps around, so the cost per call
// (per loop iteration) is bounded and every entry is examined once per
// capacity/budget calls. An idle flow is therefore removed between its
// timeout and timeout + (capacity/budget) · call interval.
#pragma once

#include <rte_hash.h>

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

// One class template for both families: FlowTable4 keys are 16 bytes,
// FlowTable6 keys 40; each worker has one of each.
template <typename Addr>
class FlowTable {
public:
    using Entry = FlowEntryOf<Addr>;
    using Key = FlowKey<Addr>;
    using Index = uint32_t;
    static constexpr Index kNone = UINT32_MAX;

    // nullptr when the hash cannot be allocated.
    static std::unique_ptr<FlowTable> create(const std::string& name, uint32_t max_flows, int socket);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // Looks up n keys at once (n <= RTE_HASH_LOOKUP_BULK_MAX); out[i] = index or kNone.
    void lookup_bulk(const Key* const* keys, uint32_t n, Index* out) const;
    Index lookup(const Key& key) const;

    // kNone when full or a key is taken (the caller counts FlowTableFull).
    Index insert(const Entry& e, const FlowRoute& route);
    void erase(Index i);

    Entry& at(Index i) { return slab_[i]; }
    const FlowRoute& route(Index i) const { return route_[i]; }

    // Erases expired flows among the next `budget` slots; calls
    // on_expired(entry, route) before erasing each. Returns how many expired.
    template <typename F>
    uint32_t expire_some(uint64_t now_ms, const FlowTimeouts& t, uint32_t budget, F&& on_expired) {
        uint32_t n = 0;
        const uint32_t cap = static_cast<uint32_t>(slab_.size());
        for (uint32_t i = 0; i < budget && i < cap; ++i) {
            Index idx = cursor_;
            cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
            if (!used_[idx] || !slab_[idx].expired(now_ms, t)) continue;
            on_expired(slab_[idx], route_[idx]);
            erase(idx);
            ++n;
        }
        return n;
    }

    uint32_t size() const { return size_; }
    uint32_t capacity() const { return static_cast<uint32_t>(slab_.size()); }

private:
    FlowTable() = default;
    rte_hash* hash_ = nullptr;
    std::vector<Entry> slab_;
    std::vector<uint8_t> used_;
    std::vector<FlowRoute> route_;
    std::vector<Index> free_;
    uint32_t size_ = 0;
    uint32_t cursor_ = 0;
};

using FlowTable4 = FlowTable<Ip4>;
using FlowTable6 = FlowTable<Ip6>;
extern template class FlowTable<Ip4>;
extern template class FlowTable<Ip6>;

}  // namespace svcnat::dpdk
