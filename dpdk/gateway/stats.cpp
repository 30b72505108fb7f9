#include "stats.hpp"

namespace svcnat::dpdk {

const char* to_string(AppDrop d) noexcept {
    switch (d) {
        case AppDrop::NeighborUnresolved: return "neighbor_unresolved";
        case AppDrop::NoRoute: return "no_route";
        case AppDrop::TxFull: return "tx_full";
        case AppDrop::HandoffFull: return "handoff_full";
        case AppDrop::NotForUs: return "not_for_us";
        case AppDrop::NoSnatAddress: return "no_snat_address";
        case AppDrop::Count: break;
    }
    return "unknown";
}

uint32_t StatIds::id_of(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    if (ids_.size() >= capacity_) return 0;
    uint32_t id = static_cast<uint32_t>(ids_.size());
    ids_.emplace(name, id);
    return id;
}

std::vector<std::pair<std::string, uint32_t>> StatIds::all() const {
    std::lock_guard lock(mu_);
    return {ids_.begin(), ids_.end()};
}

void TrafficTable::sum(uint32_t id, uint64_t* packets, uint64_t* bytes, uint64_t* flows) const {
    *packets = *bytes = *flows = 0;
    for (size_t row = id; row < rows_.size(); row += capacity_) {
        *packets += rows_[row].packets.get();
        *bytes += rows_[row].bytes.get();
        *flows += rows_[row].flows.get();
    }
}

}  // namespace svcnat::dpdk
