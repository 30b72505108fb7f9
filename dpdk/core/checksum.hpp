// Internet checksums (RFC 1071) computed from scratch and updated
// incrementally (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).
//
// All 16-bit values here are the raw words as stored in the packet, loaded
// big-endian (load_be16); the one's-complement sum is byte-order
// independent, so the functions are correct on any host.
#pragma once

#include <array>
#include <bit>
#include <cstring>
#include <cstdint>
#include <cstddef>
#include <span>

namespace svcnat::dpdk {

// One's-complement sum of `bytes` (odd length padded with a zero byte)
// added to `initial`, folded to 16 bits, NOT complemented.
uint16_t ones_complement_sum(std::span<const uint8_t> bytes, uint32_t initial = 0) noexcept;

// IPv4 header checksum of `header` (IHL·4 bytes), treating the checksum field
// (bytes 10..11) as zero, so it can be called on a header as received.
uint16_t ipv4_header_checksum(std::span<const uint8_t> header) noexcept;

// TCP/UDP/ICMPv6 checksum over the IPv6 pseudo-header and `segment` (L4
// header + payload), treating the checksum field at `checksum_offset` as
// zero (ICMPv6 echo and Neighbor Discovery compute it from scratch; IPv4
// needs no from-scratch L4 checksum: rewrites are incremental). Note: UDP
// transmits a computed 0 as 0xffff; this returns the raw value.
uint16_t l4_checksum_v6(const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                        uint8_t next_header, std::span<const uint8_t> segment,
                        size_t checksum_offset) noexcept;

// RFC 1624 incremental updates of checksum field `csum` when a 16-bit word
// changes from `old_word` to `new_word` (eqn. 3; eqn. 2, HC' = HC - ~m - m',
// can produce 0xffff where a from-scratch computation gives 0x0000). For a
// 32-bit field (an IPv4 address), `csum`, `old_value` and `new_value` must
// all be loaded big-endian (load_be16/load_be32), i.e. the numeric value of
// the field, not a raw memcpy of network-order bytes.
//
// Inline: they run several times per forwarded packet, and as out-of-line
// calls they cost the default (non-LTO) build a measurable part of its
// established-flow rate (scripts/bench-gateway, docs/BENCHMARKS.md).
inline uint16_t checksum_fold(uint64_t sum) noexcept {
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}
// The same for a sum of at most 0x1fffe (two 16-bit values): two steps.
inline uint16_t checksum_fold17(uint32_t sum) noexcept {
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>((sum & 0xffff) + (sum >> 16));
}
inline uint16_t checksum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word) noexcept {
    const uint32_t sum = static_cast<uint16_t>(~csum) +
                         static_cast<uint32_t>(static_cast<uint16_t>(~old_word)) + new_word;
    return static_cast<uint16_t>(~checksum_fold(sum));
}
inline uint16_t checksum_update32(uint16_t csum, uint32_t old_value, uint32_t new_value) noexcept {
    csum = checksum_update16(csum, static_cast<uint16_t>(old_value >> 16),
                             static_cast<uint16_t>(new_value >> 16));
    return checksum_update16(csum, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}
// The one's-complement sum of the eight big-endian 16-bit words of a
// 16-byte block (an IPv6 address), from two 64-bit loads: the sum is
// independent of byte order up to a final swap (RFC 1071), so it is taken
// on the native words and swapped once. A byte-wise loop over the words made
// the IPv6 rewrite measurably slower (perf: most of rewrite_tuple<Ip6>).
inline uint16_t ones_sum_16bytes(const uint8_t* p) noexcept {
    uint64_t w[2];
    std::memcpy(w, p, 16);
    const uint64_t sum = (w[0] & 0xffffffff) + (w[0] >> 32) + (w[1] & 0xffffffff) + (w[1] >> 32);
    const uint16_t native = checksum_fold(sum);
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<uint16_t>((native << 8) | (native >> 8));
    else
        return native;
}
// checksum_update16 for a 16-byte field (an IPv6 address): the update by
// the fields' sums equals the update word by word (one's-complement sums
// are associative).
inline uint16_t checksum_update_16bytes(uint16_t csum, const uint8_t* old_bytes, const uint8_t* new_bytes) noexcept {
    return checksum_update16(csum, ones_sum_16bytes(old_bytes), ones_sum_16bytes(new_bytes));
}

}  // namespace svcnat::dpdk
