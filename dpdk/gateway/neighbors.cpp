#include "neighbors.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_log.h>

#include <cstring>

namespace svcnat::dpdk {

namespace {

constexpr uint64_t kValid = 1ull << 48;
constexpr uint64_t kStatic = 1ull << 49;
constexpr uint64_t kMacMask = (1ull << 48) - 1;

uint64_t pack(const rte_ether_addr& mac) {
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i) v = (v << 8) | mac.addr_bytes[i];
    return v;
}

rte_ether_addr unpack(uint64_t v) {
    rte_ether_addr mac;
    for (int i = 5; i >= 0; --i) {
        mac.addr_bytes[i] = static_cast<uint8_t>(v & 0xff);
        v >>= 8;
    }
    return mac;
}

}  // namespace

std::unique_ptr<NeighborTable> NeighborTable::create(const std::string& name, uint32_t capacity, int socket) {
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = capacity;
    params.key_len = sizeof(NeighborAddr);
    params.hash_func = rte_jhash;
    params.socket_id = socket;
    // Lock-free readers, one writer (the main lcore): workers look neighbours
    // up while the control loop adds new ones.
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
    rte_hash* h = rte_hash_create(&params);
    if (h == nullptr) {
        RTE_LOG(ERR, USER1, "neighbour table %s: rte_hash_create: %s\n", name.c_str(), rte_strerror(rte_errno));
        return nullptr;
    }
    std::unique_ptr<NeighborTable> t(new NeighborTable());
    t->index_ = h;
    t->capacity_ = capacity;
    t->entries_ = std::make_unique<Entry[]>(capacity);
    return t;
}

NeighborTable::~NeighborTable() {
    for (uint32_t i = 0; i < used_.load(); ++i) {
        rte_mbuf* m = entries_[i].held.exchange(nullptr);
        if (m != nullptr) rte_pktmbuf_free(m);
    }
    rte_hash_free(index_);
}

int32_t NeighborTable::slot_of(const NeighborAddr& addr) const {
    void* data = nullptr;
    if (rte_hash_lookup_data(index_, addr.data(), &data) < 0) return -1;
    return static_cast<int32_t>(reinterpret_cast<uintptr_t>(data));
}

int32_t NeighborTable::ensure(const NeighborAddr& addr, uint16_t port) {
    int32_t s = slot_of(addr);
    if (s >= 0) return s;
    uint32_t n = used_.load(std::memory_order_relaxed);
    if (n >= capacity_) return -1;
    Entry& e = entries_[n];
    e.addr = addr;
    e.port = port;
    // Publish the entry before the index points at it.
    used_.store(n + 1, std::memory_order_release);
    if (rte_hash_add_key_data(index_, addr.data(), reinterpret_cast<void*>(static_cast<uintptr_t>(n))) < 0) return -1;
    return static_cast<int32_t>(n);
}

void NeighborTable::set_static(const NeighborAddr& addr, uint16_t port, const rte_ether_addr& mac) {
    int32_t s = ensure(addr, port);
    if (s < 0) return;
    entries_[s].mac_state.store(pack(mac) | kValid | kStatic, std::memory_order_release);
}

bool NeighborTable::resolved(int32_t slot, rte_ether_addr* mac) const {
    uint64_t v = entries_[slot].mac_state.load(std::memory_order_acquire);
    if (!(v & kValid)) return false;
    *mac = unpack(v & kMacMask);
    return true;
}

int32_t NeighborTable::learn(const NeighborAddr& addr, const rte_ether_addr& mac, uint64_t now_tsc) {
    int32_t s = slot_of(addr);
    if (s < 0) return -1;
    Entry& e = entries_[s];
    uint64_t old = e.mac_state.load(std::memory_order_relaxed);
    if (old & kStatic) return s;  // configured MACs win over what the wire says
    uint64_t v = pack(mac) | kValid;
    if (old != v) e.mac_state.store(v, std::memory_order_release);
    e.confirmed_tsc.store(now_tsc, std::memory_order_relaxed);
    return s;
}

rte_mbuf* NeighborTable::hold(int32_t slot, rte_mbuf* m, uint64_t now_tsc) {
    Entry& e = entries_[slot];
    e.held_tsc.store(now_tsc, std::memory_order_relaxed);
    // Ask right away rather than at the next refresh round.
    e.asked_tsc.store(0, std::memory_order_relaxed);
    return e.held.exchange(m, std::memory_order_acq_rel);
}

rte_mbuf* NeighborTable::take_held(int32_t slot) {
    return entries_[slot].held.exchange(nullptr, std::memory_order_acq_rel);
}

std::vector<NeighborTable::Request> NeighborTable::due_requests(uint64_t now, uint64_t retry_tsc,
                                                                uint64_t refresh_tsc) {
    std::vector<Request> out;
    uint32_t n = used_.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < n; ++i) {
        Entry& e = entries_[i];
        uint64_t v = e.mac_state.load(std::memory_order_relaxed);
        if (v & kStatic) continue;
        uint64_t asked = e.asked_tsc.load(std::memory_order_relaxed);
        bool due;
        if (!(v & kValid)) {
            due = asked == 0 || now - asked >= retry_tsc;
        } else {
            uint64_t confirmed = e.confirmed_tsc.load(std::memory_order_relaxed);
            due = now - confirmed >= refresh_tsc && (asked < confirmed || now - asked >= retry_tsc);
        }
        if (due) {
            e.asked_tsc.store(now, std::memory_order_relaxed);
            out.push_back({e.addr, e.port});
        }
    }
    return out;
}

uint32_t NeighborTable::expire_held(uint64_t now, uint64_t hold_tsc) {
    uint32_t dropped = 0;
    uint32_t n = used_.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < n; ++i) {
        Entry& e = entries_[i];
        if (e.held.load(std::memory_order_relaxed) == nullptr) continue;
        if (now - e.held_tsc.load(std::memory_order_relaxed) < hold_tsc) continue;
        rte_mbuf* m = e.held.exchange(nullptr, std::memory_order_acq_rel);
        if (m != nullptr) {
            rte_pktmbuf_free(m);
            ++dropped;
        }
    }
    return dropped;
}

std::vector<NeighborSnapshot> NeighborTable::snapshot(uint64_t now) const {
    std::vector<NeighborSnapshot> out;
    uint32_t n = used_.load(std::memory_order_acquire);
    const uint64_t hz = rte_get_tsc_hz();
    for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = entries_[i];
        uint64_t v = e.mac_state.load(std::memory_order_relaxed);
        NeighborSnapshot s{};
        s.addr = e.addr;
        s.port = e.port;
        s.state = (v & kStatic) ? NeighborState::Static : (v & kValid) ? NeighborState::Reachable
                                                                        : NeighborState::Incomplete;
        s.mac = unpack(v & kMacMask);
        uint64_t c = e.confirmed_tsc.load(std::memory_order_relaxed);
        s.age_ms = (c == 0 || hz == 0) ? 0 : (now - c) * 1000 / hz;
        out.push_back(s);
    }
    return out;
}

}  // namespace svcnat::dpdk
