// The gateway's neighbour table (ARP for IPv4, Neighbor Discovery for IPv6),
// shared by all lcores. Both families share one index: an IPv4 neighbour is
// keyed by its IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291), so the
// held-packet, learning and refresh logic exists once.
//
// Only the main lcore adds entries (backends and next hops, when a snapshot is
// installed or the configuration names them); workers read it on every
// forwarded packet and learn MACs from ARP traffic. The index is an rte_hash
// in lock-free read/write-concurrency mode with a single writer, and an
// entry's MAC is one 64-bit atomic, so the fast path never takes a lock.
// Entries are never removed (a removed backend's slot just goes stale), which
// keeps readers safe without a grace period; capacity bounds the table.
#pragma once

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpdk/core/inet.hpp"

namespace svcnat::dpdk {

using NeighborAddr = Ip6;
inline NeighborAddr neighbor_addr(const Ip4& ip_be) {
    NeighborAddr a{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(a.data() + 12, &ip_be, 4);
    return a;
}
inline const NeighborAddr& neighbor_addr(const Ip6& ip) { return ip; }
inline bool is_ipv4_mapped(const NeighborAddr& a) {
    static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(a.data(), kPrefix, 12) == 0;
}
inline Ip4 ipv4_of(const NeighborAddr& a) {
    Ip4 v;
    std::memcpy(&v, a.data() + 12, 4);
    return v;
}
// The model's address as a neighbour key, and back.
inline NeighborAddr neighbor_addr(const IPAddr& ip) {
    Ip4 v4;
    if (to_addr(ip, &v4)) return neighbor_addr(v4);
    Ip6 v6{};
    to_addr(ip, &v6);
    return v6;
}
inline IPAddr neighbor_ipaddr(const NeighborAddr& a) {
    return is_ipv4_mapped(a) ? to_ipaddr(ipv4_of(a)) : to_ipaddr(a);
}

enum class NeighborState : uint8_t { Incomplete, Reachable, Static };

struct NeighborSnapshot {  // for telemetry
    NeighborAddr addr;
    uint16_t port;
    NeighborState state;
    rte_ether_addr mac;
    uint64_t age_ms;
};

class NeighborTable {
public:
    // Returns nullptr (and logs) when the rte_hash cannot be created.
    static std::unique_ptr<NeighborTable> create(const std::string& name, uint32_t capacity, int socket);
    ~NeighborTable();
    NeighborTable(const NeighborTable&) = delete;
    NeighborTable& operator=(const NeighborTable&) = delete;

    // Main lcore only. Adds (or finds) the entry for ip reached through port.
    // Returns the slot, or -1 when the table is full.
    int32_t ensure(const NeighborAddr& addr, uint16_t port);
    void set_static(const NeighborAddr& addr, uint16_t port, const rte_ether_addr& mac);

    // Any lcore. -1 when unknown.
    int32_t slot_of(const NeighborAddr& addr) const;

    // Any lcore: the port (index into the configured ports) it is reached on.
    uint16_t port_of(int32_t slot) const { return entries_[slot].port; }
    // Any lcore: the MAC when resolved.
    bool resolved(int32_t slot, rte_ether_addr* mac) const;
    // Any lcore: learn from ARP or ND (only for IPs already in the table: the
    // gateway does not let arbitrary hosts fill its table). Returns the
    // slot, or -1 if ip is not a neighbour we care about.
    int32_t learn(const NeighborAddr& addr, const rte_ether_addr& mac, uint64_t now_tsc);

    // Any lcore: park one packet until the neighbour resolves; returns the
    // packet it displaced (caller drops it), or nullptr.
    rte_mbuf* hold(int32_t slot, rte_mbuf* m, uint64_t now_tsc);
    // Any lcore: take the parked packet, if any.
    rte_mbuf* take_held(int32_t slot);

    // Main lcore: entries that need an ARP request or Neighbor Solicitation now (incomplete and not
    // asked within retry_tsc, or reachable but older than refresh_tsc).
    // Marks them as asked.
    struct Request {
        NeighborAddr addr;
        uint16_t port;
    };
    std::vector<Request> due_requests(uint64_t now_tsc, uint64_t retry_tsc, uint64_t refresh_tsc);
    // Main lcore: drops held packets older than hold_tsc; returns how many.
    uint32_t expire_held(uint64_t now_tsc, uint64_t hold_tsc);

    std::vector<NeighborSnapshot> snapshot(uint64_t now_tsc) const;
    uint32_t size() const { return used_.load(std::memory_order_acquire); }

private:
    struct alignas(64) Entry {
        NeighborAddr addr{};
        uint16_t port = 0;
        // bits 0..47 MAC, bit 48 valid, bit 49 static
        std::atomic<uint64_t> mac_state{0};
        std::atomic<uint64_t> confirmed_tsc{0};
        std::atomic<uint64_t> asked_tsc{0};
        std::atomic<rte_mbuf*> held{nullptr};
        std::atomic<uint64_t> held_tsc{0};
    };
    NeighborTable() = default;

    rte_hash* index_ = nullptr;
    std::unique_ptr<Entry[]> entries_;
    uint32_t capacity_ = 0;
    std::atomic<uint32_t> used_{0};
};

}  // namespace svcnat::dpdk
