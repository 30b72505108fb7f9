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

CounterValues read(const LcoreStats& s) noexcept {
    CounterValues v;
#define SVCNAT_READ_FIELD(name) v.name = s.name.get();
    SVCNAT_WORKER_COUNTERS(SVCNAT_READ_FIELD)
#undef SVCNAT_READ_FIELD
    for (size_t r = 0; r < kDropReasonCount; ++r) v.drops[r] = s.drops[r].get();
    for (size_t r = 0; r < kAppDropCount; ++r) v.app_drops[r] = s.app_drops[r].get();
    return v;
}

CounterValues& CounterValues::operator+=(const CounterValues& o) noexcept {
#define SVCNAT_ADD_FIELD(name) name += o.name;
    SVCNAT_WORKER_COUNTERS(SVCNAT_ADD_FIELD)
#undef SVCNAT_ADD_FIELD
    for (size_t r = 0; r < kDropReasonCount; ++r) drops[r] += o.drops[r];
    for (size_t r = 0; r < kAppDropCount; ++r) app_drops[r] += o.app_drops[r];
    return *this;
}

uint64_t CounterValues::total_drops() const noexcept {
    uint64_t n = 0;
    for (size_t r = 1; r < kDropReasonCount; ++r) n += drops[r];  // 0 is DropReason::None
    for (size_t r = 0; r < kAppDropCount; ++r) n += app_drops[r];
    return n;
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
