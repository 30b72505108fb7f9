// Full-NAT rewrites on a frame in place, with incremental checksum updates.
//
// Each function takes the frame bytes and the ParsedPacket that parse_frame()
// returned for exactly those bytes; it rewrites fields and patches the IPv4
// header checksum and the TCP/UDP checksum (whose pseudo-header covers the
// addresses) per RFC 1624, so the cost does not depend on the payload size.
// A UDP checksum of 0 means "none" (RFC 768) and stays 0; an updated UDP
// checksum that comes out as 0 is sent as 0xffff.
//
// Preconditions (checked with assertions in debug builds only, because the
// fast path has already checked them): the packet parsed OK, is IPv4, and
// its L4 is TCP or UDP for rewrite_ipv4_tuple().
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "drop_reason.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

// The new addressing of a packet after NAT. All values network order.
struct Ipv4Tuple {
    uint32_t src_ip = 0;
    uint32_t dst_ip = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    bool operator==(const Ipv4Tuple&) const = default;
};

// Rewrites source and destination address and port of an IPv4 TCP/UDP packet
// (DNAT + SNAT in one step) and updates both checksums incrementally.
// Also updates `pkt`'s address/port fields so it keeps describing the frame.
void rewrite_ipv4_tuple(std::span<uint8_t> frame, ParsedPacket& pkt, const Ipv4Tuple& to) noexcept;

// IPv6 counterpart of rewrite_ipv4_tuple(): IPv6 has no header checksum,
// so only the TCP/UDP checksum (whose pseudo-header holds both 128-bit
// addresses) is patched. For a future dual-stack data path; the gateway
// forwards IPv4 today.
struct Ipv6Tuple {
    std::array<uint8_t, 16> src_ip{};
    std::array<uint8_t, 16> dst_ip{};
    uint16_t src_port = 0;  // network order
    uint16_t dst_port = 0;  // network order
    bool operator==(const Ipv6Tuple&) const = default;
};
void rewrite_ipv6_tuple(std::span<uint8_t> frame, ParsedPacket& pkt, const Ipv6Tuple& to) noexcept;

// Decrements the IPv6 hop limit (no checksum to patch); TtlExpired at ≤ 1.
DropReason decrement_ipv6_hop_limit(std::span<uint8_t> frame, ParsedPacket& pkt) noexcept;

// Decrements the IPv4 TTL and patches the header checksum (RFC 1624).
// Returns DropReason::TtlExpired, leaving the frame untouched, when TTL ≤ 1:
// the packet would expire on this hop (the caller counts it and may send an
// ICMP time exceeded).
DropReason decrement_ipv4_ttl(std::span<uint8_t> frame, ParsedPacket& pkt) noexcept;

// Translates an IPv4 ICMP error that quotes a packet of a NATed flow
// (pkt.icmp_quotes_packet): the outer addresses become `outer_src` →
// `outer_dst`, and the quoted packet's addresses and ports become `quoted`,
// i.e. the packet as the error's new recipient sent it. Patches the outer
// IPv4 header checksum, the quoted IPv4 header checksum, the quoted TCP/UDP
// checksum when the quote reaches it (always for UDP; for TCP when at least
// 18 bytes of the segment are quoted) and the ICMP checksum (which covers
// the quote), all incrementally — so the recipient sees exactly the header
// it sent. See FlowEntry::icmp_error_to_client() and
// icmp_error_to_backend() for the values.
struct IcmpErrorRewrite {
    uint32_t outer_src = 0;  // network order
    uint32_t outer_dst = 0;  // network order
    Ipv4Tuple quoted;        // the quoted packet after translation
    bool operator==(const IcmpErrorRewrite&) const = default;
};
void rewrite_icmp_error_v4(std::span<uint8_t> frame, ParsedPacket& pkt,
                           const IcmpErrorRewrite& to) noexcept;

// Sets the Ethernet source and destination MAC (next hop resolved by ARP).
void rewrite_macs(std::span<uint8_t> frame, ParsedPacket& pkt, const MacAddr& src,
                  const MacAddr& dst) noexcept;

}  // namespace svcnat::dpdk
