#include "parse.hpp"

#include <algorithm>
#include <cstring>

#include "bytes.hpp"
#include "checksum.hpp"

namespace svcnat::dpdk {

namespace {

constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kIcmpHeader = 8;
constexpr size_t kArpEthIpv4 = 28;

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

// Raw network-order copy (the representation flow keys use).
uint32_t raw32(const uint8_t* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint16_t raw16(const uint8_t* p) noexcept {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

DropReason parse_arp(std::span<const uint8_t> frame, ParsedPacket& pkt) noexcept {
    if (frame.size() < pkt.l3_offset + kArpEthIpv4) return DropReason::Truncated;
    const uint8_t* a = frame.data() + pkt.l3_offset;
    // htype Ethernet, ptype IPv4, hlen 6, plen 4: the only ARP the gateway speaks.
    if (load_be16(a) != 1 || load_be16(a + 2) != kEtherTypeIPv4 || a[4] != 6 || a[5] != 4)
        return DropReason::BadArp;
    pkt.l3 = L3Kind::Arp;
    pkt.l3_header_len = kArpEthIpv4;
    pkt.arp.opcode = load_be16(a + 6);
    std::memcpy(pkt.arp.sender_mac.data(), a + 8, 6);
    pkt.arp.sender_ip = raw32(a + 14);
    std::memcpy(pkt.arp.target_mac.data(), a + 18, 6);
    pkt.arp.target_ip = raw32(a + 24);
    return DropReason::None;
}

// The packet quoted by an IPv4 ICMP error (RFC 792: IP header + at least 8
// bytes of its payload). A quote the gateway cannot map leaves
// icmp_quotes_packet false; the caller decides (IcmpNotTranslatable).
void parse_icmp_quote(std::span<const uint8_t> l4, ParsedPacket& pkt) noexcept {
    if (pkt.icmp_type != kIcmpDestUnreachable && pkt.icmp_type != kIcmpTimeExceeded &&
        pkt.icmp_type != kIcmpParameterProblem)
        return;
    const std::span<const uint8_t> quote = l4.subspan(kIcmpHeader);
    if (quote.size() < kIpv4MinHeader) return;
    const uint8_t* ip = quote.data();
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < kIpv4MinHeader || quote.size() < ihl + 8) return;
    if (ip[9] != kProtoTcp && ip[9] != kProtoUdp) return;
    if ((load_be16(ip + 6) & 0x1fff) != 0) return;  // non-first fragment: no ports
    pkt.icmp_quotes_packet = true;
    pkt.inner_l3_offset = static_cast<uint16_t>(pkt.l4_offset + kIcmpHeader);
    pkt.inner_l4_offset = static_cast<uint16_t>(pkt.inner_l3_offset + ihl);
    pkt.inner_proto = ip[9];
    pkt.inner_src_ip4 = raw32(ip + 12);
    pkt.inner_dst_ip4 = raw32(ip + 16);
    pkt.inner_src_port = raw16(ip + ihl);
    pkt.inner_dst_port = raw16(ip + ihl + 2);
}

void parse_icmpv6_quote(std::span<const uint8_t> l4, ParsedPacket& pkt) noexcept;

// L4 parsing shared by both IP versions; `l4` spans exactly the L4 bytes
// that the IP length announces. Inlined into both IP parsers (and they into
// parse_frame): as calls, the span passing and prologues were a fifth of
// the ~160 instructions parsing took per TCP/IPv4 packet under callgrind.
[[gnu::always_inline]] inline DropReason parse_l4(std::span<const uint8_t> l4, ParsedPacket& pkt) noexcept {
    const uint8_t* p = l4.data();
    switch (pkt.l4_proto) {
        case kProtoTcp: {
            if (l4.size() < kTcpMinHeader) return DropReason::BadL4Header;
            const size_t data_offset = static_cast<size_t>(p[12] >> 4) * 4;
            if (data_offset < kTcpMinHeader || data_offset > l4.size()) return DropReason::BadL4Header;
            pkt.src_port = raw16(p);
            pkt.dst_port = raw16(p + 2);
            pkt.tcp_flags = p[13];
            pkt.l4_header_len = static_cast<uint16_t>(data_offset);
            break;
        }
        case kProtoUdp: {
            if (l4.size() < kUdpHeader) return DropReason::BadL4Header;
            const size_t udp_len = load_be16(p + 4);
            // The UDP length must cover its header and fit the IP payload; a
            // shorter UDP length than the IP payload is legal (trailing
            // bytes are ignored), so L4 shrinks to it.
            if (udp_len < kUdpHeader || udp_len > l4.size()) return DropReason::BadL4Header;
            pkt.src_port = raw16(p);
            pkt.dst_port = raw16(p + 2);
            pkt.l4_header_len = kUdpHeader;
            pkt.l4_len = static_cast<uint16_t>(udp_len);
            break;
        }
        case kProtoIcmp:
        case kProtoIcmpv6: {
            if ((pkt.l4_proto == kProtoIcmp) != (pkt.l3 == L3Kind::IPv4))
                return DropReason::UnsupportedProtocol;
            if (l4.size() < kIcmpHeader) return DropReason::BadL4Header;
            pkt.icmp_type = p[0];
            pkt.icmp_code = p[1];
            const bool echo = pkt.l4_proto == kProtoIcmp
                                  ? (p[0] == kIcmpEchoRequest || p[0] == kIcmpEchoReply)
                                  : (p[0] == kIcmpv6EchoRequest || p[0] == kIcmpv6EchoReply);
            if (echo) pkt.icmp_echo_id = raw16(p + 4);
            pkt.l4_header_len = kIcmpHeader;
            if (pkt.l4_proto == kProtoIcmp)
                parse_icmp_quote(l4, pkt);
            else
                parse_icmpv6_quote(l4, pkt);
            break;
        }
        default:
            return DropReason::UnsupportedProtocol;
    }
    pkt.payload_offset = static_cast<uint16_t>(pkt.l4_offset + pkt.l4_header_len);
    return DropReason::None;
}

[[gnu::always_inline]] inline DropReason parse_ipv4(std::span<const uint8_t> frame, ParsedPacket& pkt,
                      const ParseOptions& options) noexcept {
    const size_t avail = frame.size() - pkt.l3_offset;
    if (avail < kIpv4MinHeader) return DropReason::Truncated;
    const uint8_t* ip = frame.data() + pkt.l3_offset;
    if ((ip[0] >> 4) != 4) return DropReason::BadIpVersion;
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
    if (ihl < kIpv4MinHeader || ihl > avail) return DropReason::BadIhl;
    const size_t total = load_be16(ip + 2);
    if (total < ihl || total > avail) return DropReason::BadTotalLength;
    pkt.l3 = L3Kind::IPv4;
    pkt.l3_header_len = static_cast<uint16_t>(ihl);
    pkt.l3_total_len = static_cast<uint16_t>(total);
    pkt.ipv4_has_options = ihl > kIpv4MinHeader;
    pkt.ttl = ip[8];
    pkt.l4_proto = ip[9];
    pkt.src_ip4 = raw32(ip + 12);
    pkt.dst_ip4 = raw32(ip + 16);
    if (options.verify_ipv4_checksum &&
        ipv4_header_checksum({ip, ihl}) != load_be16(ip + 10))
        return DropReason::BadIpChecksum;
    const uint16_t frag = load_be16(ip + 6);
    const bool more_fragments = frag & 0x2000;
    const uint16_t offset = frag & 0x1fff;
    if (more_fragments || offset != 0) return DropReason::Fragment;
    pkt.l4_offset = static_cast<uint16_t>(pkt.l3_offset + ihl);
    pkt.l4_len = static_cast<uint16_t>(total - ihl);
    return parse_l4(frame.subspan(pkt.l4_offset, pkt.l4_len), pkt);
}

// IPv6 extension headers, walked defensively (RFC 8200 §4, RFC 7045):
//   Hop-by-Hop Options (0), Destination Options (60): skipped, options not
//       interpreted (the gateway is neither their destination nor a router
//       that acts on them); a jumbogram (payload length 0) is dropped;
//   Routing (43) with Segments Left 0: skipped (the destination is final);
//       with Segments Left > 0: dropped, the VIP is not the final
//       destination and full NAT cannot rewrite the route;
//   Fragment (44): an atomic fragment (offset 0, M clear, RFC 6946) is
//       skipped; real fragments are dropped as DropReason::Fragment (the
//       non-first ones carry no ports), as for IPv4;
//   ESP, AH (NAT breaks AH anyway), Mobility, HIP, Shim6, No Next Header
//       and anything unknown: dropped (Ipv6ExtensionHeader / the protocol).
// At most kMaxIpv6Extensions headers, each bounded by `end`.
constexpr int kMaxIpv6Extensions = 8;

struct Ipv6Chain {
    uint8_t proto = 0;      // the upper-layer protocol
    size_t l4_at = 0;       // its offset in the buffer
    DropReason drop = DropReason::None;
};

[[gnu::always_inline]] inline Ipv6Chain walk_ipv6_extensions(const uint8_t* base, size_t at, size_t end,
                                                              uint8_t next) noexcept {
    Ipv6Chain c;
    for (int n = 0;; ++n) {
        if (next != 0 && next != 43 && next != 44 && next != 60) {
            switch (next) {
                case 50: case 51: case 59: case 135: case 139: case 140: case 253: case 254:
                    c.drop = DropReason::Ipv6ExtensionHeader;
                    return c;
                default:
                    c.proto = next;
                    c.l4_at = at;
                    return c;
            }
        }
        if (n == kMaxIpv6Extensions || at + 8 > end) {
            c.drop = n == kMaxIpv6Extensions ? DropReason::Ipv6ExtensionHeader : DropReason::Truncated;
            return c;
        }
        const uint8_t* h = base + at;
        size_t len = 8;
        if (next == 44) {
            const uint16_t off_flags = load_be16(h + 2);
            if ((off_flags & 0xfff9) != 0) {  // offset ≠ 0 or M set: a real fragment
                c.drop = DropReason::Fragment;
                return c;
            }
        } else {
            len = (size_t{h[1]} + 1) * 8;
            if (next == 43 && h[3] != 0) {
                c.drop = DropReason::Ipv6ExtensionHeader;
                return c;
            }
        }
        if (at + len > end) {
            c.drop = DropReason::Truncated;
            return c;
        }
        next = h[0];
        at += len;
    }
}

[[gnu::always_inline]] inline DropReason parse_ipv6(std::span<const uint8_t> frame, ParsedPacket& pkt) noexcept {
    const size_t avail = frame.size() - pkt.l3_offset;
    if (avail < kIpv6Header) return DropReason::Truncated;
    const uint8_t* ip = frame.data() + pkt.l3_offset;
    if ((ip[0] >> 4) != 6) return DropReason::BadIpVersion;
    const size_t payload = load_be16(ip + 4);
    if (kIpv6Header + payload > avail) return DropReason::BadTotalLength;
    pkt.l3 = L3Kind::IPv6;
    pkt.l3_total_len = static_cast<uint16_t>(kIpv6Header + payload);
    pkt.ttl = ip[7];
    std::memcpy(pkt.src_ip6.data(), ip + 8, 16);
    std::memcpy(pkt.dst_ip6.data(), ip + 24, 16);
    if (payload == 0 && ip[6] == 0) return DropReason::Ipv6ExtensionHeader;  // jumbogram
    const Ipv6Chain chain = walk_ipv6_extensions(ip, kIpv6Header, kIpv6Header + payload, ip[6]);
    pkt.l4_proto = chain.drop == DropReason::None ? chain.proto : ip[6];
    if (chain.drop != DropReason::None) return chain.drop;
    pkt.l3_header_len = static_cast<uint16_t>(chain.l4_at);
    pkt.ipv6_has_extensions = chain.l4_at > kIpv6Header;
    pkt.l4_offset = static_cast<uint16_t>(pkt.l3_offset + chain.l4_at);
    pkt.l4_len = static_cast<uint16_t>(kIpv6Header + payload - chain.l4_at);
    return parse_l4(frame.subspan(pkt.l4_offset, pkt.l4_len), pkt);
}

// The packet quoted by an ICMPv6 error (RFC 4443: destination unreachable,
// packet too big, time exceeded, parameter problem): IPv6 header, extension
// headers walked as above, and the 8 bytes carrying the ports.
void parse_icmpv6_quote(std::span<const uint8_t> l4, ParsedPacket& pkt) noexcept {
    if (pkt.icmp_type < kIcmpv6DestUnreachable || pkt.icmp_type > kIcmpv6ParameterProblem) return;
    const std::span<const uint8_t> quote = l4.subspan(kIcmpHeader);
    if (quote.size() < kIpv6Header) return;
    const uint8_t* ip = quote.data();
    if ((ip[0] >> 4) != 6) return;
    const Ipv6Chain chain = walk_ipv6_extensions(ip, kIpv6Header, quote.size(), ip[6]);
    if (chain.drop != DropReason::None) return;
    if (chain.proto != kProtoTcp && chain.proto != kProtoUdp) return;
    if (quote.size() < chain.l4_at + 8) return;
    pkt.icmp_quotes_packet = true;
    pkt.inner_l3_offset = static_cast<uint16_t>(pkt.l4_offset + kIcmpHeader);
    pkt.inner_l4_offset = static_cast<uint16_t>(pkt.inner_l3_offset + chain.l4_at);
    pkt.inner_proto = chain.proto;
    std::memcpy(pkt.inner_src_ip6.data(), ip + 8, 16);
    std::memcpy(pkt.inner_dst_ip6.data(), ip + 24, 16);
    pkt.inner_src_port = raw16(ip + chain.l4_at);
    pkt.inner_dst_port = raw16(ip + chain.l4_at + 2);
}

}  // namespace

ParseResult parse_frame(std::span<const uint8_t> frame, const ParseOptions& options) noexcept {
    // A copy of an all-zero result compiles to a few vector moves; value-
    // initialising the 176 bytes in place compiled to `rep stos`, whose
    // start-up cost was a third of parse_frame's time in perf. The empty
    // asm hides that the source is all zero, or GCC turns the copy back
    // into the same memset.
    static const ParseResult kEmpty{};
    const ParseResult* empty = &kEmpty;
#if defined(__GNUC__)
    asm("" : "+r"(empty));
#endif
    ParseResult r;
    std::memcpy(static_cast<void*>(&r), empty, sizeof r);
    ParsedPacket& pkt = r.pkt;
    // Frames are bounded by the mbuf data length (≤ 64 KiB segments); offsets
    // are uint16_t, so refuse anything larger rather than wrap.
    if (frame.size() < kEthHeaderLen || frame.size() > 0xffff) {
        r.drop = DropReason::Truncated;
        return r;
    }
    std::memcpy(pkt.dst_mac.data(), frame.data(), 6);
    std::memcpy(pkt.src_mac.data(), frame.data() + 6, 6);
    uint16_t type = load_be16(frame.data() + 12);
    size_t offset = kEthHeaderLen;
    if (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
        if (frame.size() < offset + kVlanTagLen) {
            r.drop = DropReason::Truncated;
            return r;
        }
        pkt.has_vlan = true;
        pkt.vlan_tci = load_be16(frame.data() + offset);
        type = load_be16(frame.data() + offset + 2);
        offset += kVlanTagLen;
        if (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
            r.drop = DropReason::StackedVlan;
            return r;
        }
    }
    pkt.ether_type = type;
    pkt.l3_offset = static_cast<uint16_t>(offset);
    switch (type) {
        case kEtherTypeIPv4: r.drop = parse_ipv4(frame, pkt, options); break;
        case kEtherTypeIPv6: r.drop = parse_ipv6(frame, pkt); break;
        case kEtherTypeArp: r.drop = parse_arp(frame, pkt); break;
        default: r.drop = DropReason::UnsupportedEtherType; break;
    }
    return r;
}

}  // namespace svcnat::dpdk
