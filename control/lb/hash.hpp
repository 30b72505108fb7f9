// Deterministic 64-bit hashing for load-balancing decisions.
//
// Every gateway behind the same ECMP router, every process restart and every
// CPU architecture must reach the same answer for the same input, or a flow
// that is rehashed to another gateway lands on another backend. So the hash is
// XXH3-64 (xxHash 0.8, Debian's libxxhash) with fixed seeds: its output is
// specified byte-for-byte and independent of host endianness, unlike
// std::hash, which may differ between standard libraries and is not seeded.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace svcnat::lb {

// Fixed seeds, one per purpose, so that the offset and skip of a Maglev
// permutation are independent and neither correlates with the flow hash.
// Changing any of them reshuffles every table in the fleet: never do it in a
// rolling upgrade.
inline constexpr uint64_t kMaglevOffsetSeed = 0x6d61676c65762d6full;  // "maglev-o"
inline constexpr uint64_t kMaglevSkipSeed = 0x6d61676c65762d73ull;    // "maglev-s"
inline constexpr uint64_t kFlowHashSeed = 0x73766e61742d6668ull;      // "svnat-fh"

// XXH3-64 of `bytes` with `seed`.
uint64_t stable_hash64(std::span<const uint8_t> bytes, uint64_t seed) noexcept;
uint64_t stable_hash64(std::string_view text, uint64_t seed) noexcept;

}  // namespace svcnat::lb
