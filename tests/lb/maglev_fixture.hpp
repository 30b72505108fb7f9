// Backend lists shared by the Maglev tests and their helper executable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/lb/hash.hpp"
#include "control/lb/maglev.hpp"

namespace svcnat::lb::test {

// n backends "10.0.<i/256>.<i%256>:8080"; weights 1 + i % 3 when `weighted`.
inline std::vector<MaglevBackend> numbered_backends(int n, bool weighted = false) {
    std::vector<MaglevBackend> out;
    for (int i = 0; i < n; ++i) {
        const auto ip = IPAddr::v4((10u << 24) | static_cast<uint32_t>(i));
        out.push_back({backend_identity(ip, 8080), weighted ? 1u + static_cast<uint32_t>(i % 3) : 1u});
    }
    return out;
}

// Slots owned by each of `backends` backends (index = backend index).
inline std::vector<uint32_t> slot_counts(const MaglevTable& t, size_t backends) {
    std::vector<uint32_t> counts(backends, 0);
    for (auto s : t.slots()) ++counts.at(s);
    return counts;
}

// A stable 64-bit digest of the table (size, then the slot array, little
// endian), the same on every host: for cross-process checks.
inline uint64_t digest(const MaglevTable& t) {
    std::vector<uint8_t> bytes;
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<uint8_t>(t.size() >> shift));
    for (auto s : t.slots()) {
        bytes.push_back(static_cast<uint8_t>(s));
        bytes.push_back(static_cast<uint8_t>(s >> 8));
    }
    return stable_hash64(std::span<const uint8_t>(bytes), 0);
}

}  // namespace svcnat::lb::test
