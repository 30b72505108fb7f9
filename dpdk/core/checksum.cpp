#include "checksum.hpp"

#include "bytes.hpp"

namespace svcnat::dpdk {

namespace {

uint64_t raw_sum(std::span<const uint8_t> bytes) noexcept {
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) sum += load_be16(&bytes[i]);
    if (i < bytes.size()) sum += static_cast<uint64_t>(bytes[i]) << 8;
    return sum;
}

// Sum of the segment with the 16-bit word at `checksum_offset` taken as zero.
uint64_t sum_without_field(std::span<const uint8_t> segment, size_t checksum_offset) noexcept {
    uint64_t sum = raw_sum(segment);
    if (checksum_offset + 1 < segment.size()) sum -= load_be16(&segment[checksum_offset]);
    return sum;
}

}  // namespace

uint16_t ones_complement_sum(std::span<const uint8_t> bytes, uint32_t initial) noexcept {
    return checksum_fold(raw_sum(bytes) + initial);
}

uint16_t ipv4_header_checksum(std::span<const uint8_t> header) noexcept {
    return static_cast<uint16_t>(~checksum_fold(sum_without_field(header, 10)));
}

uint16_t l4_checksum_v6(const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                        uint8_t next_header, std::span<const uint8_t> segment,
                        size_t checksum_offset) noexcept {
    uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, next_header};
    store_be32(tail, static_cast<uint32_t>(segment.size()));
    const uint64_t sum = raw_sum(src) + raw_sum(dst) + raw_sum(tail) +
                         sum_without_field(segment, checksum_offset);
    return static_cast<uint16_t>(~checksum_fold(sum));
}

}  // namespace svcnat::dpdk
