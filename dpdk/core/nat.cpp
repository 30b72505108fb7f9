#include "nat.hpp"

#include <cassert>
#include <cstring>

#include "bytes.hpp"
#include "checksum.hpp"

namespace svcnat::dpdk {

namespace {

constexpr size_t kIpv4ChecksumOffset = 10;
constexpr size_t kIpv4TtlOffset = 8;
constexpr size_t kIpv4SrcOffset = 12;
constexpr size_t kIpv4DstOffset = 16;
constexpr size_t kTcpChecksumOffset = 16;
constexpr size_t kUdpChecksumOffset = 6;

// Numeric value of a raw network-order field, for the checksum arithmetic.
uint32_t value32(uint32_t raw) noexcept {
    return load_be32(reinterpret_cast<const uint8_t*>(&raw));
}
uint16_t value16(uint16_t raw) noexcept {
    return load_be16(reinterpret_cast<const uint8_t*>(&raw));
}

}  // namespace

void rewrite_ipv4_tuple(std::span<uint8_t> frame, ParsedPacket& pkt, const Ipv4Tuple& to) noexcept {
    assert(pkt.l3 == L3Kind::IPv4);
    assert(pkt.l4_proto == kProtoTcp || pkt.l4_proto == kProtoUdp);
    assert(pkt.l4_offset + pkt.l4_header_len <= frame.size());
    uint8_t* ip = frame.data() + pkt.l3_offset;
    uint8_t* l4 = frame.data() + pkt.l4_offset;

    const uint32_t old_src = value32(pkt.src_ip4), new_src = value32(to.src_ip);
    const uint32_t old_dst = value32(pkt.dst_ip4), new_dst = value32(to.dst_ip);
    const uint16_t old_sport = value16(pkt.src_port), new_sport = value16(to.src_port);
    const uint16_t old_dport = value16(pkt.dst_port), new_dport = value16(to.dst_port);

    uint16_t ip_csum = load_be16(ip + kIpv4ChecksumOffset);
    ip_csum = checksum_update32(ip_csum, old_src, new_src);
    ip_csum = checksum_update32(ip_csum, old_dst, new_dst);
    store_be16(ip + kIpv4ChecksumOffset, ip_csum);
    std::memcpy(ip + kIpv4SrcOffset, &to.src_ip, 4);
    std::memcpy(ip + kIpv4DstOffset, &to.dst_ip, 4);

    const bool udp = pkt.l4_proto == kProtoUdp;
    uint8_t* csum_field = l4 + (udp ? kUdpChecksumOffset : kTcpChecksumOffset);
    const uint16_t old_l4 = load_be16(csum_field);
    // RFC 768: a zero UDP checksum means "not computed"; it must stay zero
    // or the receiver would verify a checksum nobody computed.
    if (!(udp && old_l4 == 0)) {
        // The pseudo-header covers both addresses, the header both ports.
        uint16_t c = checksum_update32(old_l4, old_src, new_src);
        c = checksum_update32(c, old_dst, new_dst);
        c = checksum_update16(c, old_sport, new_sport);
        c = checksum_update16(c, old_dport, new_dport);
        if (udp && c == 0) c = 0xffff;  // 0 would mean "none": send its other form
        store_be16(csum_field, c);
    }
    std::memcpy(l4, &to.src_port, 2);
    std::memcpy(l4 + 2, &to.dst_port, 2);

    pkt.src_ip4 = to.src_ip;
    pkt.dst_ip4 = to.dst_ip;
    pkt.src_port = to.src_port;
    pkt.dst_port = to.dst_port;
}

void rewrite_icmp_error_v4(std::span<uint8_t> frame, ParsedPacket& pkt,
                           const IcmpErrorRewrite& to) noexcept {
    assert(pkt.l3 == L3Kind::IPv4 && pkt.l4_proto == kProtoIcmp && pkt.icmp_quotes_packet);
    assert(pkt.inner_l4_offset + 4u <= frame.size());
    uint8_t* ip = frame.data() + pkt.l3_offset;
    uint8_t* icmp = frame.data() + pkt.l4_offset;
    uint8_t* inner_ip = frame.data() + pkt.inner_l3_offset;
    uint8_t* inner_l4 = frame.data() + pkt.inner_l4_offset;
    constexpr size_t kIcmpChecksumOffset = 2;

    // Outer header: addresses and header checksum. ICMPv4 has no
    // pseudo-header, so the ICMP checksum does not see these.
    uint16_t ip_csum = load_be16(ip + kIpv4ChecksumOffset);
    ip_csum = checksum_update32(ip_csum, value32(pkt.src_ip4), value32(to.outer_src));
    ip_csum = checksum_update32(ip_csum, value32(pkt.dst_ip4), value32(to.outer_dst));
    store_be16(ip + kIpv4ChecksumOffset, ip_csum);
    std::memcpy(ip + kIpv4SrcOffset, &to.outer_src, 4);
    std::memcpy(ip + kIpv4DstOffset, &to.outer_dst, 4);

    // Quoted header: addresses, its own checksum, then the ports; every
    // changed word is also inside the ICMP checksum's coverage.
    const uint32_t old_isrc = value32(pkt.inner_src_ip4), new_isrc = value32(to.quoted.src_ip);
    const uint32_t old_idst = value32(pkt.inner_dst_ip4), new_idst = value32(to.quoted.dst_ip);
    const uint16_t old_icsum = load_be16(inner_ip + kIpv4ChecksumOffset);
    uint16_t new_icsum = checksum_update32(old_icsum, old_isrc, new_isrc);
    new_icsum = checksum_update32(new_icsum, old_idst, new_idst);
    const uint16_t old_isport = value16(pkt.inner_src_port), new_isport = value16(to.quoted.src_port);
    const uint16_t old_idport = value16(pkt.inner_dst_port), new_idport = value16(to.quoted.dst_port);

    uint16_t icmp_csum = load_be16(icmp + kIcmpChecksumOffset);
    icmp_csum = checksum_update32(icmp_csum, old_isrc, new_isrc);
    icmp_csum = checksum_update32(icmp_csum, old_idst, new_idst);
    icmp_csum = checksum_update16(icmp_csum, old_icsum, new_icsum);
    icmp_csum = checksum_update16(icmp_csum, old_isport, new_isport);
    icmp_csum = checksum_update16(icmp_csum, old_idport, new_idport);

    // The quoted TCP/UDP checksum, when the quote reaches it (always for
    // UDP: it sits in the first 8 bytes), so that the quote is exactly the
    // packet the recipient sent. A zero UDP checksum stays zero.
    const bool inner_udp = pkt.inner_proto == kProtoUdp;
    const size_t l4_csum_at = inner_udp ? kUdpChecksumOffset : kTcpChecksumOffset;
    if (pkt.inner_l4_offset + l4_csum_at + 2u <= size_t{pkt.l4_offset} + pkt.l4_len) {
        uint8_t* field = inner_l4 + l4_csum_at;
        const uint16_t old_c = load_be16(field);
        if (!(inner_udp && old_c == 0)) {
            uint16_t c = checksum_update32(old_c, old_isrc, new_isrc);
            c = checksum_update32(c, old_idst, new_idst);
            c = checksum_update16(c, old_isport, new_isport);
            c = checksum_update16(c, old_idport, new_idport);
            if (inner_udp && c == 0) c = 0xffff;
            icmp_csum = checksum_update16(icmp_csum, old_c, c);
            store_be16(field, c);
        }
    }
    store_be16(icmp + kIcmpChecksumOffset, icmp_csum);

    store_be16(inner_ip + kIpv4ChecksumOffset, new_icsum);
    std::memcpy(inner_ip + kIpv4SrcOffset, &to.quoted.src_ip, 4);
    std::memcpy(inner_ip + kIpv4DstOffset, &to.quoted.dst_ip, 4);
    std::memcpy(inner_l4, &to.quoted.src_port, 2);
    std::memcpy(inner_l4 + 2, &to.quoted.dst_port, 2);

    pkt.src_ip4 = to.outer_src;
    pkt.dst_ip4 = to.outer_dst;
    pkt.inner_src_ip4 = to.quoted.src_ip;
    pkt.inner_dst_ip4 = to.quoted.dst_ip;
    pkt.inner_src_port = to.quoted.src_port;
    pkt.inner_dst_port = to.quoted.dst_port;
}

void rewrite_ipv6_tuple(std::span<uint8_t> frame, ParsedPacket& pkt, const Ipv6Tuple& to) noexcept {
    assert(pkt.l3 == L3Kind::IPv6);
    assert(pkt.l4_proto == kProtoTcp || pkt.l4_proto == kProtoUdp);
    assert(pkt.l4_offset + pkt.l4_header_len <= frame.size());
    uint8_t* ip = frame.data() + pkt.l3_offset;
    uint8_t* l4 = frame.data() + pkt.l4_offset;
    constexpr size_t kIpv6SrcOffset = 8;
    constexpr size_t kIpv6DstOffset = 24;

    const bool udp = pkt.l4_proto == kProtoUdp;
    uint8_t* csum_field = l4 + (udp ? kUdpChecksumOffset : kTcpChecksumOffset);
    const uint16_t old_l4 = load_be16(csum_field);
    if (!(udp && old_l4 == 0)) {  // invalid for IPv6 (RFC 8200), but not ours to fix
        uint16_t c = old_l4;
        for (size_t w = 0; w < 16; w += 2) {
            c = checksum_update16(c, load_be16(&pkt.src_ip6[w]), load_be16(&to.src_ip[w]));
            c = checksum_update16(c, load_be16(&pkt.dst_ip6[w]), load_be16(&to.dst_ip[w]));
        }
        c = checksum_update16(c, value16(pkt.src_port), value16(to.src_port));
        c = checksum_update16(c, value16(pkt.dst_port), value16(to.dst_port));
        if (udp && c == 0) c = 0xffff;
        store_be16(csum_field, c);
    }
    std::memcpy(ip + kIpv6SrcOffset, to.src_ip.data(), 16);
    std::memcpy(ip + kIpv6DstOffset, to.dst_ip.data(), 16);
    std::memcpy(l4, &to.src_port, 2);
    std::memcpy(l4 + 2, &to.dst_port, 2);
    pkt.src_ip6 = to.src_ip;
    pkt.dst_ip6 = to.dst_ip;
    pkt.src_port = to.src_port;
    pkt.dst_port = to.dst_port;
}

DropReason decrement_ipv6_hop_limit(std::span<uint8_t> frame, ParsedPacket& pkt) noexcept {
    assert(pkt.l3 == L3Kind::IPv6);
    uint8_t* hop_limit = frame.data() + pkt.l3_offset + 7;
    if (*hop_limit <= 1) return DropReason::TtlExpired;
    --*hop_limit;
    pkt.ttl = *hop_limit;
    return DropReason::None;
}

DropReason decrement_ipv4_ttl(std::span<uint8_t> frame, ParsedPacket& pkt) noexcept {
    assert(pkt.l3 == L3Kind::IPv4);
    uint8_t* ip = frame.data() + pkt.l3_offset;
    const uint8_t ttl = ip[kIpv4TtlOffset];
    if (ttl <= 1) return DropReason::TtlExpired;
    // TTL is the high byte of the 16-bit word it shares with the protocol.
    const uint16_t old_word = load_be16(ip + kIpv4TtlOffset);
    ip[kIpv4TtlOffset] = static_cast<uint8_t>(ttl - 1);
    const uint16_t new_word = load_be16(ip + kIpv4TtlOffset);
    store_be16(ip + kIpv4ChecksumOffset,
               checksum_update16(load_be16(ip + kIpv4ChecksumOffset), old_word, new_word));
    pkt.ttl = static_cast<uint8_t>(ttl - 1);
    return DropReason::None;
}

void rewrite_macs(std::span<uint8_t> frame, ParsedPacket& pkt, const MacAddr& src,
                  const MacAddr& dst) noexcept {
    assert(frame.size() >= kEthHeaderLen);
    std::memcpy(frame.data(), dst.data(), 6);
    std::memcpy(frame.data() + 6, src.data(), 6);
    pkt.dst_mac = dst;
    pkt.src_mac = src;
}

}  // namespace svcnat::dpdk
