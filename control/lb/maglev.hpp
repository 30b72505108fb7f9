// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, section 3.4).
//
// Each backend gets a permutation of the M table slots from two hashes of its
// identity (offset, skip); backends then take turns claiming their next free
// preferred slot until the table is full. Properties the data paths rely on:
//   * load: every backend owns M·w_i/Σw slots, within a slot or so;
//   * consistency: removing one of N backends moves its ~M/N slots and
//     only a small fraction of the others';
//   * determinism: the table depends only on the multiset of (identity,
//     weight) pairs and M — not on input order, process or machine.
//
// Weights: backends take turns in proportion to their weight (weighted fair
// queueing over turns: backend i's k-th turn happens at virtual time k/w_i,
// ties broken by identity). Weight 0 means drained: the backend stays in the
// list (indices are stable) but owns no slot, so no new flow picks it.
//
// Cost: the build is O(M log N) for the turn order plus the permutation walks
// (O(M log M) expected, as in the paper); memory is the table (2 bytes per
// slot) plus O(N). Lookup is one modulo and one load.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/model/ip.hpp"

namespace svcnat::lb {

struct MaglevBackend {
    // Stable identity bytes, e.g. backend_identity(ip, port) = "10.0.0.7:8080".
    // Must be unique within one table.
    std::string id;
    // Relative weight; 0 = drained (no slot). At most kMaxWeight.
    uint32_t weight = 1;
};

// "a.b.c.d:port" or "[v6]:port": the identity svcnat uses for endpoints, so
// that the kernel mode and every gateway build the same table.
std::string backend_identity(const IPAddr& ip, uint16_t port);

// Deterministic primality test for table sizes (trial division; sizes are
// small and checked off the fast path).
bool is_prime(uint64_t n);

class MaglevTable {
public:
    using Slot = uint16_t;                        // backend index
    static constexpr Slot kNoBackend = 0xffff;    // lookup() on an empty table
    static constexpr uint32_t kDefaultSize = 65537;
    static constexpr uint32_t kMaxSize = 4294967291u;  // largest 32-bit prime
    static constexpr uint32_t kMaxBackends = 0xfffe;   // fits Slot, below kNoBackend
    static constexpr uint32_t kMaxWeight = 1u << 20;

    // An empty table (lookup() returns kNoBackend).
    MaglevTable() = default;

    // Builds the table. `backends[i]` is reported as index i by lookup().
    // Throws std::invalid_argument when: table_size is not prime or is < 2;
    // there are more backends than kMaxBackends or than table_size;
    // an id is empty or duplicated; a weight exceeds kMaxWeight.
    // If every weight is 0 (or the list is empty) the table is empty.
    static MaglevTable build(std::span<const MaglevBackend> backends,
                             uint32_t table_size = kDefaultSize);

    // Backend index for a flow hash; kNoBackend when the table is empty.
    Slot lookup(uint64_t hash) const noexcept {
        return slots_.empty() ? kNoBackend : slots_[hash % slots_.size()];
    }

    bool empty() const noexcept { return slots_.empty(); }
    // M (the prime given to build), also when empty.
    uint32_t size() const noexcept { return size_; }
    // The slot → backend index array (M entries, or none when empty).
    std::span<const Slot> slots() const noexcept { return slots_; }

private:
    std::vector<Slot> slots_;
    uint32_t size_ = kDefaultSize;
};

}  // namespace svcnat::lb
