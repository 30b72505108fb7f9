#include "hash.hpp"

#include <xxhash.h>

namespace svcnat::lb {

uint64_t stable_hash64(std::span<const uint8_t> bytes, uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

uint64_t stable_hash64(std::string_view text, uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(text.data(), text.size(), seed);
}

}  // namespace svcnat::lb
