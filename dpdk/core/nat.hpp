// Full-NAT rewrites on a frame in place, with incremental checksum updates,
// written once for both families (inet.hpp).
//
// Each function takes the frame bytes and the ParsedPacket that parse_frame()
// returned for exactly those bytes; it rewrites fields and patches the IPv4
// header checksum and the TCP/UDP checksum (whose pseudo-header covers the
// addresses) per RFC 1624, so the cost does not depend on the payload size.
// A UDP checksum of 0 means "none" (RFC 768) and stays 0; an updated UDP
// checksum that comes out as 0 is sent as 0xffff.
//
// The per-packet rewrites are inline: the default (non-LTO) build pays a
// call per packet otherwise (scripts/bench-gateway: 0.30× testpmd with the
// calls, see docs/BENCHMARKS.md).
//
// Preconditions (checked with assertions in debug builds only, because the
// fast path has already checked them): the packet parsed OK, is of the
// tuple's family, and its L4 is TCP or UDP for rewrite_tuple().
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <span>

#include "bytes.hpp"
#include "checksum.hpp"
#include "drop_reason.hpp"
#include "inet.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

// The new addressing of a packet after NAT. All values network order.
template <typename Addr>
struct L4Tuple {
    Addr src_ip{};
    Addr dst_ip{};
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    bool operator==(const L4Tuple&) const = default;
};
using Ipv4Tuple = L4Tuple<Ip4>;
using Ipv6Tuple = L4Tuple<Ip6>;

// An ICMP error about a packet of a NATed flow, translated: the outer
// addresses become outer_src → outer_dst, the quoted packet's addressing
// becomes `quoted` (the packet as the error's new recipient sent it).
template <typename Addr>
struct IcmpErrorRewriteOf {
    Addr outer_src{};
    Addr outer_dst{};
    L4Tuple<Addr> quoted;
    bool operator==(const IcmpErrorRewriteOf&) const = default;
};
using IcmpErrorRewrite = IcmpErrorRewriteOf<Ip4>;
using IcmpErrorRewrite6 = IcmpErrorRewriteOf<Ip6>;

namespace nat_detail {

inline constexpr size_t kIpv4ChecksumOffset = 10;
inline constexpr size_t kTcpChecksumOffset = 16;
inline constexpr size_t kUdpChecksumOffset = 6;

inline uint16_t value16(uint16_t raw) noexcept {
    return load_be16(reinterpret_cast<const uint8_t*>(&raw));
}
// A checksum updated for one address changing (any family).
inline uint16_t update_addr(uint16_t c, const Ip4& old_a, const Ip4& new_a) noexcept {
    return checksum_update32(c, load_be32(reinterpret_cast<const uint8_t*>(&old_a)),
                             load_be32(reinterpret_cast<const uint8_t*>(&new_a)));
}
inline uint16_t update_addr(uint16_t c, const Ip6& old_a, const Ip6& new_a) noexcept {
    return checksum_update_16bytes(c, old_a.data(), new_a.data());
}
// A checksum updated for a whole L4 tuple changing.
template <typename Addr>
inline uint16_t update_tuple(uint16_t c, const L4Tuple<Addr>& from, const L4Tuple<Addr>& to) noexcept {
    c = update_addr(c, from.src_ip, to.src_ip);
    c = update_addr(c, from.dst_ip, to.dst_ip);
    c = checksum_update16(c, value16(from.src_port), value16(to.src_port));
    return checksum_update16(c, value16(from.dst_port), value16(to.dst_port));
}

}  // namespace nat_detail

// The checksum changes of one direction of a full-NAT flow. Every packet of
// that direction has its addresses and ports rewritten from the same tuple
// (the flow key it matched) to the same tuple, and its TTL decremented by
// one (the word TTL·256 + protocol always drops by 0x100, ~m + m' = 0xfeff),
// so by RFC 1624 the one's-complement differences are constants: computed
// once when the flow is created, each packet's checksum then takes one
// addition. Updating field by field per packet was ~150 of the ~1000
// instructions per forwarded packet under callgrind.
struct NatDelta {
    uint16_t ip = 0;  // IPv4 header checksum: addresses (and TTL - 1 for forwarding); unused for IPv6
    uint16_t l4 = 0;  // TCP/UDP checksum: addresses (pseudo-header) and ports
};

namespace nat_detail {

// Σ (~m + m') over the 16-bit words of a field changing from `o` to `n`
// (RFC 1624 eqn. 3), unfolded. For IPv6 the words' one's-complement sums
// stand for the words (sums are associative, ~ is negation).
inline uint32_t word_delta(const Ip4& o, const Ip4& n) noexcept {
    const uint32_t a = load_be32(reinterpret_cast<const uint8_t*>(&o));
    const uint32_t b = load_be32(reinterpret_cast<const uint8_t*>(&n));
    return static_cast<uint16_t>(~(a >> 16)) + static_cast<uint16_t>(~a) + (b >> 16) + (b & 0xffff);
}
inline uint32_t word_delta(const Ip6& o, const Ip6& n) noexcept {
    return static_cast<uint16_t>(~ones_sum_16bytes(o.data())) + uint32_t{ones_sum_16bytes(n.data())};
}
inline uint32_t port_delta(uint16_t o_raw, uint16_t n_raw) noexcept {
    return static_cast<uint16_t>(~value16(o_raw)) + uint32_t{value16(n_raw)};
}
// HC' = ~(~HC + D).
inline uint16_t apply_delta(uint16_t csum, uint16_t delta) noexcept {
    return static_cast<uint16_t>(~checksum_fold17(uint32_t{static_cast<uint16_t>(~csum)} + delta));
}

}  // namespace nat_detail

// The deltas for rewriting `from` into `to`; `forwarding` adds the TTL
// decrement to the IPv4 header's.
template <typename Addr>
inline NatDelta nat_delta(const L4Tuple<Addr>& from, const L4Tuple<Addr>& to, bool forwarding) noexcept {
    using namespace nat_detail;
    const uint32_t addrs = word_delta(from.src_ip, to.src_ip) + word_delta(from.dst_ip, to.dst_ip);
    NatDelta d;
    d.ip = checksum_fold(addrs + (forwarding ? 0xfeffu : 0u));
    d.l4 = checksum_fold(addrs + port_delta(from.src_port, to.src_port) + port_delta(from.dst_port, to.dst_port));
    return d;
}

// Writes `to` into the packet's addresses and ports and applies `d` to its
// checksums: the IPv4 header checksum, and the TCP/UDP checksum whose
// pseudo-header holds both addresses (for IPv6 the only one). `d` must have
// been made for the packet's current tuple.
template <typename F>
inline void write_tuple(std::span<uint8_t> frame, const ParsedPacket& pkt, const L4Tuple<typename F::Addr>& to,
                        NatDelta d) noexcept {
    using namespace nat_detail;
    assert(pkt.l3 == F::kL3);
    assert(pkt.l4_proto == kProtoTcp || pkt.l4_proto == kProtoUdp);
    assert(pkt.l4_offset + pkt.l4_header_len <= frame.size());
    uint8_t* ip = frame.data() + pkt.l3_offset;
    uint8_t* l4 = frame.data() + pkt.l4_offset;
    if constexpr (F::kHeaderChecksum)
        store_be16(ip + kIpv4ChecksumOffset, apply_delta(load_be16(ip + kIpv4ChecksumOffset), d.ip));
    std::memcpy(ip + F::kSrcOffset, &to.src_ip, sizeof to.src_ip);
    std::memcpy(ip + F::kDstOffset, &to.dst_ip, sizeof to.dst_ip);

    const bool udp = pkt.l4_proto == kProtoUdp;
    uint8_t* csum_field = l4 + (udp ? kUdpChecksumOffset : kTcpChecksumOffset);
    const uint16_t old_l4 = load_be16(csum_field);
    // RFC 768: a zero UDP checksum means "not computed"; it must stay zero
    // or the receiver would verify a checksum nobody computed. (Invalid for
    // IPv6, RFC 8200, but not the gateway's to fix.)
    if (!(udp && old_l4 == 0)) {
        uint16_t c = apply_delta(old_l4, d.l4);
        if (udp && c == 0) c = 0xffff;  // 0 would mean "none": send its other form
        store_be16(csum_field, c);
    }
    std::memcpy(l4, &to.src_port, 2);
    std::memcpy(l4 + 2, &to.dst_port, 2);
}

// Rewrites source and destination address and port of a TCP/UDP packet
// (DNAT + SNAT in one step) with its checksums, computing the deltas from
// the packet itself. Also updates `pkt`'s address and port fields so it
// keeps describing the frame. (The gateway's flows precompute the deltas
// and use forward_nat below.)
template <typename Addr>
inline void rewrite_tuple(std::span<uint8_t> frame, ParsedPacket& pkt, const L4Tuple<Addr>& to) noexcept {
    using F = typename FamilyOf<Addr>::type;
    const L4Tuple<Addr> from{F::src(pkt), F::dst(pkt), pkt.src_port, pkt.dst_port};
    write_tuple<F>(frame, pkt, to, nat_delta(from, to, false));
    F::src(pkt) = to.src_ip;
    F::dst(pkt) = to.dst_ip;
    pkt.src_port = to.src_port;
    pkt.dst_port = to.dst_port;
}

// The forwarding rewrite of a packet of an established flow: TTL (hop
// limit) decremented and the tuple written, with the deltas the flow
// precomputed (nat_delta(..., forwarding = true)). Returns
// DropReason::TtlExpired, leaving the frame untouched, when the TTL is ≤ 1.
// `pkt` is not updated: the caller is done with it except for its offsets.
template <typename F>
inline DropReason forward_nat(std::span<uint8_t> frame, const ParsedPacket& pkt, const L4Tuple<typename F::Addr>& to,
                              NatDelta d) noexcept {
    uint8_t* ip = frame.data() + pkt.l3_offset;
    constexpr size_t kTtlOffset = F::kHeaderChecksum ? 8 : 7;
    if (ip[kTtlOffset] <= 1) return DropReason::TtlExpired;
    --ip[kTtlOffset];
    write_tuple<F>(frame, pkt, to, d);
    return DropReason::None;
}

// Decrements the IPv4 TTL and patches the header checksum (RFC 1624), or
// the IPv6 hop limit (no checksum). Returns DropReason::TtlExpired, leaving
// the frame untouched, when it is ≤ 1: the packet would expire on this hop
// (the caller counts it and may send an ICMP time exceeded).
template <typename F>
inline DropReason decrement_ttl(std::span<uint8_t> frame, ParsedPacket& pkt) noexcept {
    assert(pkt.l3 == F::kL3);
    uint8_t* ip = frame.data() + pkt.l3_offset;
    constexpr size_t kTtlOffset = F::kHeaderChecksum ? 8 : 7;
    const uint8_t ttl = ip[kTtlOffset];
    if (ttl <= 1) return DropReason::TtlExpired;
    if constexpr (F::kHeaderChecksum) {
        // TTL is the high byte of the 16-bit word it shares with the protocol.
        const uint16_t old_word = load_be16(ip + kTtlOffset);
        ip[kTtlOffset] = static_cast<uint8_t>(ttl - 1);
        const uint16_t new_word = load_be16(ip + kTtlOffset);
        store_be16(ip + nat_detail::kIpv4ChecksumOffset,
                   checksum_update16(load_be16(ip + nat_detail::kIpv4ChecksumOffset), old_word, new_word));
    } else {
        ip[kTtlOffset] = static_cast<uint8_t>(ttl - 1);
    }
    pkt.ttl = static_cast<uint8_t>(ttl - 1);
    return DropReason::None;
}

// Translates an ICMP error that quotes a packet of a NATed flow
// (pkt.icmp_quotes_packet): the outer addresses become `outer_src` →
// `outer_dst`, and the quoted packet's addresses and ports become `quoted`,
// i.e. the packet as the error's new recipient sent it. Patches, all
// incrementally: the outer IPv4 header checksum; the quoted IPv4 header
// checksum; the quoted TCP/UDP checksum when the quote reaches it (always
// for UDP; for TCP when at least 18 bytes of the segment are quoted); and
// the ICMP checksum, which covers the quote (and for ICMPv6 also the outer
// addresses, through its pseudo-header). The recipient sees exactly the
// header it sent. ICMPv6 Packet Too Big keeps its MTU: full NAT does not
// change packet sizes. See FlowEntry::icmp_error_to_client() and
// icmp_error_to_backend() for the values.
void rewrite_icmp_error(std::span<uint8_t> frame, ParsedPacket& pkt, const IcmpErrorRewrite& to) noexcept;
void rewrite_icmp_error(std::span<uint8_t> frame, ParsedPacket& pkt, const IcmpErrorRewrite6& to) noexcept;

// Sets the Ethernet source and destination MAC (next hop resolved by ARP/ND).
inline void rewrite_macs(std::span<uint8_t> frame, ParsedPacket& pkt, const MacAddr& src,
                         const MacAddr& dst) noexcept {
    assert(frame.size() >= kEthHeaderLen);
    std::memcpy(frame.data(), dst.data(), 6);
    std::memcpy(frame.data() + 6, src.data(), 6);
    pkt.dst_mac = dst;
    pkt.src_mac = src;
}

}  // namespace svcnat::dpdk
