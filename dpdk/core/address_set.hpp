// A small set of addresses of one family with an O(1) membership test, for
// the question asked of every forwarded packet: "is the destination one of
// our SNAT addresses?" (a reply). A linear scan of 16 SNAT addresses was
// about a tenth of the NAT loop in perf; this is one hash and usually one
// probe. Open addressing, linear probing, at most 1/4 full, built once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "inet.hpp"

namespace svcnat::dpdk {

// The slot of `a` in a table of 2^(32 - shift) slots. Fibonacci hashing
// takes the product's TOP bits, which depend on every bit of the address
// word. (Bits 16.. do not depend on its top byte, where a little-endian
// load puts the last octet: SNAT addresses that differ only there, the
// usual case, all landed in one slot.)
template <typename Addr>
inline size_t address_slot(const Addr& a, unsigned shift) noexcept {
    uint32_t h;
    if constexpr (sizeof(Addr) == 4) {
        std::memcpy(&h, &a, 4);
    } else {
        uint32_t w[4];
        std::memcpy(w, a.data(), 16);
        h = w[0] ^ w[1] ^ w[2] ^ w[3];
    }
    return (h * 0x9e3779b1u) >> shift;
}

template <typename Addr>
class AddressSet {
public:
    AddressSet() : slots_(2), index_(2, -1), mask_(1) {}
    explicit AddressSet(const std::vector<Addr>& addrs) {
        size_t n = 4;
        shift_ = 30;
        while (n < addrs.size() * 4) n *= 2, --shift_;
        slots_.assign(n, Addr{});
        index_.assign(n, -1);
        mask_ = n - 1;
        for (size_t k = 0; k < addrs.size(); ++k) {
            const Addr& a = addrs[k];
            size_t i = slot_of(a);
            while (index_[i] >= 0 && !same_addr(slots_[i], a)) i = (i + 1) & mask_;
            if (index_[i] >= 0) continue;  // a duplicate keeps its first position
            slots_[i] = a;
            index_[i] = static_cast<int32_t>(k);
        }
    }

    // The position of `a` in the constructor's list, or -1.
    int32_t index_of(const Addr& a) const noexcept {
        for (size_t i = slot_of(a);; i = (i + 1) & mask_) {
            if (index_[i] < 0) return -1;
            if (same_addr(slots_[i], a)) return index_[i];
        }
    }
    bool contains(const Addr& a) const noexcept { return index_of(a) >= 0; }

private:
    size_t slot_of(const Addr& a) const noexcept { return address_slot(a, shift_); }

    std::vector<Addr> slots_;
    std::vector<int32_t> index_;  // -1: empty slot
    size_t mask_ = 0;
    unsigned shift_ = 31;  // 32 - log2(slots)
};

}  // namespace svcnat::dpdk
