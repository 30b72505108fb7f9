// A pure, single-threaded flow table: the reference implementation of the
// two-key layout gwapp builds with rte_hash, used by the unit tests and by
// anything that needs full-NAT flows without DPDK.
//
// Entries live in a fixed-capacity slab; two hash maps (client-side key and
// reply-side key) point into it. Expiry is an incremental sweep: each
// expire_some() call visits at most `budget` slab slots from a cursor that
// wraps around, so the cost per call (per RX burst in gwapp) is bounded and
// every entry is examined once per capacity/budget calls. An idle flow is
// therefore removed between timeout and timeout + (capacity/budget)·call
// interval. gwapp reproduces the same sweep over its entry array.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "flow_entry.hpp"

namespace svcnat::gw {

class FlowTable {
public:
    using Index = uint32_t;

    explicit FlowTable(uint32_t capacity);

    // Inserts a flow under both keys. Fails (nullopt) when the table is full
    // or either key is already present.
    std::optional<Index> insert(const FlowEntry& entry);

    std::optional<Index> find_client(const FlowKey4& client_side) const;
    std::optional<Index> find_reply(const FlowKey4& reply_side) const;
    FlowEntry& at(Index i) { return slab_[i].entry; }
    const FlowEntry& at(Index i) const { return slab_[i].entry; }

    // Removes the flow at `i` (both keys).
    void erase(Index i);

    // Visits up to `budget` slots from the sweep cursor and erases the
    // expired flows, calling `on_expired` (e.g. to release the SNAT port)
    // before each erase. Returns the number erased.
    uint32_t expire_some(uint64_t now_ms, const FlowTimeouts& timeouts, uint32_t budget,
                         const std::function<void(const FlowEntry&)>& on_expired = {});

    uint32_t size() const noexcept { return size_; }
    uint32_t capacity() const noexcept { return static_cast<uint32_t>(slab_.size()); }

private:
    struct Slot {
        FlowEntry entry;
        bool used = false;
    };
    std::vector<Slot> slab_;
    std::vector<Index> free_;  // stack of free slab slots
    std::unordered_map<FlowKey4, Index> by_client_;
    std::unordered_map<FlowKey4, Index> by_reply_;
    uint32_t size_ = 0;
    uint32_t cursor_ = 0;
};

}  // namespace svcnat::gw
