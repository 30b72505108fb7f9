// Defensive parsing of Ethernet frames into a view of offsets and fields.
//
// Nothing here trusts a length field: every read is bounded by the frame
// span, and L4 is bounded by the IP total length (so Ethernet padding after
// a short packet is ignored, never checksummed). The result says why a frame
// is unusable (DropReason) instead of throwing. Multi-byte fields are kept
// in NETWORK byte order, exactly as in the packet, because they go straight
// into flow keys and rewrites; use ntohs/load_be16 for display.
//
// Accepted:  Ethernet II, at most one 802.1Q/802.1ad tag;
//            ARP (Ethernet/IPv4 only);
//            IPv4 with or without options (options are skipped: L4 is found
//            through IHL; the gateway never interprets or rewrites them);
//            IPv6 with TCP/UDP/ICMPv6 after at most 8 extension headers
//            (which ones are skipped and which dropped: parse.cpp,
//            walk_ipv6_extensions);
//            TCP (data offset 5..15 within the packet), UDP (length ≥ 8 and
//            within the packet), ICMP/ICMPv6 (≥ 8 bytes: type, code,
//            checksum, and for echo the identifier and sequence; for IPv4
//            ICMP errors also the quoted packet's addressing, see below).
// Dropped:   IPv4 and IPv6 fragments (the non-first fragments carry no
//            ports, so full NAT cannot map them; reassembly is out of scope),
//            IPv6 Routing headers with segments left, ESP/AH and other
//            extension headers, other L4 protocols.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "drop_reason.hpp"

namespace svcnat::dpdk {

inline constexpr uint16_t kEtherTypeIPv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr uint16_t kEtherTypeIPv6 = 0x86dd;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

inline constexpr size_t kEthHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;

enum class L3Kind : uint8_t { None, Arp, IPv4, IPv6 };

using MacAddr = std::array<uint8_t, 6>;

struct ArpView {
    uint16_t opcode = 0;       // host order: 1 request, 2 reply
    MacAddr sender_mac{};
    uint32_t sender_ip = 0;    // network order
    MacAddr target_mac{};
    uint32_t target_ip = 0;    // network order
};

// Offsets are from the start of the frame. Fields not applicable stay zero.
struct ParsedPacket {
    MacAddr dst_mac{};
    MacAddr src_mac{};
    bool has_vlan = false;
    uint16_t vlan_tci = 0;     // host order (PCP/DEI/VID)
    uint16_t ether_type = 0;   // host order, of the payload after any tag

    L3Kind l3 = L3Kind::None;
    uint16_t l3_offset = 0;
    uint16_t l3_header_len = 0;  // IPv4: IHL·4; IPv6: 40 + extension headers
    uint16_t l3_total_len = 0;   // IPv4 total length; IPv6: 40 + payload length
    uint8_t ttl = 0;             // IPv4 TTL / IPv6 hop limit
    uint8_t l4_proto = 0;        // IP protocol / IPv6 next header
    bool ipv4_has_options = false;
    bool ipv6_has_extensions = false;

    // IPv4 addresses, network order (as stored in the packet).
    uint32_t src_ip4 = 0;
    uint32_t dst_ip4 = 0;
    // IPv6 addresses as bytes.
    std::array<uint8_t, 16> src_ip6{};
    std::array<uint8_t, 16> dst_ip6{};

    uint16_t l4_offset = 0;
    uint16_t l4_len = 0;         // L4 header + payload, bounded by the IP length
    uint16_t l4_header_len = 0;  // TCP data offset·4; UDP 8; ICMP 8
    uint16_t payload_offset = 0;
    uint16_t src_port = 0;       // network order (TCP/UDP)
    uint16_t dst_port = 0;       // network order (TCP/UDP)
    uint8_t tcp_flags = 0;       // FIN..CWR (kTcp*)
    uint8_t icmp_type = 0;
    uint8_t icmp_code = 0;
    uint16_t icmp_echo_id = 0;   // network order, echo request/reply only

    ArpView arp;

    // ICMP errors (IPv4: destination unreachable incl. "fragmentation
    // needed", time exceeded, parameter problem; ICMPv6: the same plus
    // packet too big) that quote a TCP/UDP packet: the quoted packet's
    // addressing, so full NAT can find its flow and translate the error
    // (nat.hpp rewrite_icmp_error). Set only when the quote holds a full IP
    // header (any IHL; IPv6 with its extension headers) plus the 8 bytes
    // carrying the ports, and is not a non-first fragment. Network order.
    bool icmp_quotes_packet = false;
    uint16_t inner_l3_offset = 0;
    uint16_t inner_l4_offset = 0;
    uint32_t inner_src_ip4 = 0;
    uint32_t inner_dst_ip4 = 0;
    std::array<uint8_t, 16> inner_src_ip6{};  // ICMPv6 errors
    std::array<uint8_t, 16> inner_dst_ip6{};
    uint16_t inner_src_port = 0;
    uint16_t inner_dst_port = 0;
    uint8_t inner_proto = 0;
};

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParameterProblem = 12;
inline constexpr uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6ParameterProblem = 4;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;

struct ParseOptions {
    // Verify the IPv4 header checksum in software. Off by default: NICs with
    // RX checksum offload have already done it (the gateway reads the mbuf flags),
    // and routers in front of the gateway checked it.
    bool verify_ipv4_checksum = false;
};

struct ParseResult {
    ParsedPacket pkt;
    DropReason drop = DropReason::None;
    bool ok() const noexcept { return drop == DropReason::None; }
};

// Parses a whole frame (starting at the destination MAC). Never reads outside
// `frame`. On a drop, fields parsed before the failure are still set (useful
// for logging), the rest are zero.
ParseResult parse_frame(std::span<const uint8_t> frame, const ParseOptions& options = {}) noexcept;

}  // namespace svcnat::dpdk
