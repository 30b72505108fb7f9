// A small set of addresses of one family with an O(1) membership test, for
// the question asked of every forwarded packet: "is the destination one of
// our SNAT addresses?" (a reply). A linear scan of 16 SNAT addresses was
// about a tenth of the NAT loop in perf; this is one hash and usually one
// probe. Open addressing, linear probing, at most 1/4 full, built once.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "inet.hpp"

namespace svcnat::dpdk {

template <typename Addr>
class AddressSet {
public:
    AddressSet() : slots_(1), used_(1, 0) {}
    explicit AddressSet(const std::vector<Addr>& addrs) {
        size_t n = 4;
        while (n < addrs.size() * 4) n *= 2;
        slots_.assign(n, Addr{});
        used_.assign(n, 0);
        mask_ = n - 1;
        for (const Addr& a : addrs) {
            size_t i = slot_of(a);
            while (used_[i] && !same_addr(slots_[i], a)) i = (i + 1) & mask_;
            slots_[i] = a;
            used_[i] = 1;
        }
    }

    bool contains(const Addr& a) const noexcept {
        for (size_t i = slot_of(a);; i = (i + 1) & mask_) {
            if (!used_[i]) return false;
            if (same_addr(slots_[i], a)) return true;
        }
    }

private:
    size_t slot_of(const Addr& a) const noexcept {
        uint32_t h;
        if constexpr (sizeof(Addr) == 4) {
            std::memcpy(&h, &a, 4);
        } else {
            uint32_t w[4];
            std::memcpy(w, a.data(), 16);
            h = w[0] ^ w[1] ^ w[2] ^ w[3];
        }
        return (h * 0x9e3779b1u) >> 16 & mask_;  // Fibonacci hashing
    }

    std::vector<Addr> slots_;
    std::vector<uint8_t> used_;
    size_t mask_ = 0;
};

}  // namespace svcnat::dpdk
