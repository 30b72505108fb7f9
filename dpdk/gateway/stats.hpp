// Counters of the gateway, written by one lcore each and read by the
// telemetry thread. A counter is a relaxed std::atomic<uint64_t> bumped with
// load+store (one writer), which costs the same as a plain increment on x86
// but keeps the cross-thread reads well-defined.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dpdk/core/drop_reason.hpp"

namespace svcnat::dpdk {

struct Counter {
    std::atomic<uint64_t> v{0};
    void add(uint64_t n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
    uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// Reasons of the application itself, next to the parser/NAT DropReasons.
enum class AppDrop : uint8_t {
    NeighborUnresolved,  // next hop without MAC, packet displaced or held too long
    NoRoute,             // no port towards the destination
    TxFull,              // device tx queue full
    HandoffFull,         // owner lcore's hand-off ring full
    NotForUs,            // to an address we neither own nor serve
    NoSnatAddress,       // a new flow of a family without a SNAT address
    Count
};
inline constexpr size_t kAppDropCount = static_cast<size_t>(AppDrop::Count);
const char* to_string(AppDrop d) noexcept;

// A worker's counters, listed once: LcoreStats (what the worker writes),
// CounterValues (what readers sum) and the telemetry keys come from this
// list. The first two are written every loop iteration and share the
// first cache line with the per-burst totals.
#define SVCNAT_WORKER_COUNTERS(X)                                                                  \
    X(loop_iterations)   /* poll_once() calls */                                                   \
    X(last_poll_tsc)     /* TSC of the last poll_once(): the stall check reads it */               \
    X(rx_packets) X(tx_packets) X(rx_bytes)                                                         \
    X(to_backend) X(to_client)                                                                     \
    X(arp_replies) X(arp_learned) X(icmp_echo_replies) X(icmp_errors_translated)                   \
    X(new_flows) X(expired_flows) X(active_flows)                                                  \
    X(rx_ipv6) X(new_flows_ipv6) X(expired_flows_ipv6) X(active_flows_ipv6) /* the IPv6 share */   \
    X(nd_advertisements) X(nd_learned)                                                             \
    X(handoff_out) X(handoff_in)                                                                   \
    X(snat_exhausted)                                                                              \
    X(held_packets) X(released_held)

struct alignas(64) LcoreStats {
#define SVCNAT_COUNTER_FIELD(name) Counter name;
    SVCNAT_WORKER_COUNTERS(SVCNAT_COUNTER_FIELD)
#undef SVCNAT_COUNTER_FIELD
    Counter drops[kDropReasonCount];
    Counter app_drops[kAppDropCount];

    void drop(DropReason r) noexcept { drops[static_cast<size_t>(r)].add(); }
    void drop(AppDrop r) noexcept { app_drops[static_cast<size_t>(r)].add(); }
};

// The values of LcoreStats at one moment, for readers: read one worker's,
// or sum several (`+=`). Gauges (active flows, last poll) sum like the
// rest, which is what a total over workers means for them except
// last_poll_tsc (meaningful per worker only).
struct CounterValues {
#define SVCNAT_VALUE_FIELD(name) uint64_t name = 0;
    SVCNAT_WORKER_COUNTERS(SVCNAT_VALUE_FIELD)
#undef SVCNAT_VALUE_FIELD
    uint64_t drops[kDropReasonCount] = {};
    uint64_t app_drops[kAppDropCount] = {};

    CounterValues& operator+=(const CounterValues& o) noexcept;
    uint64_t total_drops() const noexcept;
    // Calls f(name, value) for each named counter (not the drops), in the
    // list's order: the telemetry keys.
    template <typename F>
    void each(F&& f) const {
#define SVCNAT_VALUE_VISIT(name) f(#name, name);
        SVCNAT_WORKER_COUNTERS(SVCNAT_VALUE_VISIT)
#undef SVCNAT_VALUE_VISIT
    }
};
CounterValues read(const LcoreStats& s) noexcept;

// Per-service and per-backend traffic, indexed by a stable id that survives
// reloads (the same "ns/name:port" or "ns/name:port ip:port" keeps its id), so
// totals do not reset when endpoints change. Ids are handed out by the main
// lcore while building a snapshot; workers only index the arrays.
class StatIds {
public:
    explicit StatIds(uint32_t capacity) : capacity_(capacity) {}
    // Id 0 is the overflow bucket "other" once capacity is reached.
    uint32_t id_of(const std::string& name);
    std::vector<std::pair<std::string, uint32_t>> all() const;
    uint32_t capacity() const { return capacity_; }

private:
    mutable std::mutex mu_;  // main lcore writes, telemetry reads
    std::map<std::string, uint32_t> ids_{{"other", 0}};
    uint32_t capacity_;
};

struct TrafficCounters {
    Counter packets, bytes, flows;
};

// One row per lcore so that each lcore writes only its own cache lines.
class TrafficTable {
public:
    TrafficTable(uint32_t lcores, uint32_t capacity)
        : capacity_(capacity), rows_(static_cast<size_t>(lcores) * capacity) {}
    TrafficCounters& at(uint32_t lcore, uint32_t id) noexcept { return rows_[static_cast<size_t>(lcore) * capacity_ + id]; }
    // Sums over lcores.
    void sum(uint32_t id, uint64_t* packets, uint64_t* bytes, uint64_t* flows) const;

private:
    uint32_t capacity_;
    std::vector<TrafficCounters> rows_;
};

}  // namespace svcnat::dpdk
