#include "flow_table.hpp"

#include <stdexcept>

namespace svcnat::gw {

FlowTable::FlowTable(uint32_t capacity) : slab_(capacity) {
    if (capacity == 0) throw std::invalid_argument("flow table: capacity must be > 0");
    free_.reserve(capacity);
    for (uint32_t i = capacity; i-- > 0;) free_.push_back(i);
    by_client_.reserve(capacity);
    by_reply_.reserve(capacity);
}

std::optional<FlowTable::Index> FlowTable::insert(const FlowEntry& entry) {
    if (free_.empty()) return std::nullopt;
    if (by_client_.contains(entry.client_side) || by_reply_.contains(entry.reply_side))
        return std::nullopt;
    const Index i = free_.back();
    free_.pop_back();
    slab_[i].entry = entry;
    slab_[i].used = true;
    by_client_.emplace(entry.client_side, i);
    by_reply_.emplace(entry.reply_side, i);
    ++size_;
    return i;
}

std::optional<FlowTable::Index> FlowTable::find_client(const FlowKey4& k) const {
    auto it = by_client_.find(k);
    if (it == by_client_.end()) return std::nullopt;
    return it->second;
}

std::optional<FlowTable::Index> FlowTable::find_reply(const FlowKey4& k) const {
    auto it = by_reply_.find(k);
    if (it == by_reply_.end()) return std::nullopt;
    return it->second;
}

void FlowTable::erase(Index i) {
    Slot& s = slab_.at(i);
    if (!s.used) return;
    by_client_.erase(s.entry.client_side);
    by_reply_.erase(s.entry.reply_side);
    s.used = false;
    free_.push_back(i);
    --size_;
}

uint32_t FlowTable::expire_some(uint64_t now_ms, const FlowTimeouts& timeouts, uint32_t budget,
                                const std::function<void(const FlowEntry&)>& on_expired) {
    const uint32_t cap = capacity();
    if (budget > cap) budget = cap;
    uint32_t erased = 0;
    for (uint32_t visited = 0; visited < budget; ++visited) {
        Slot& s = slab_[cursor_];
        if (s.used && s.entry.expired(now_ms, timeouts)) {
            if (on_expired) on_expired(s.entry);
            erase(cursor_);
            ++erased;
        }
        cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
    }
    return erased;
}

}  // namespace svcnat::gw
