#include "nat.hpp"

namespace svcnat::dpdk {

namespace {

using namespace nat_detail;
constexpr size_t kIcmpChecksumOffset = 2;

// One implementation for both families; the differences are the IPv4 header
// checksums (outer and quoted) and ICMPv6's pseudo-header, which makes the
// ICMPv6 checksum cover the outer addresses too.
template <typename F>
void rewrite_icmp_error_of(std::span<uint8_t> frame, ParsedPacket& pkt,
                           const IcmpErrorRewriteOf<typename F::Addr>& to) noexcept {
    using Addr = typename F::Addr;
    assert(pkt.l3 == F::kL3 && pkt.l4_proto == F::kIcmpProto && pkt.icmp_quotes_packet);
    assert(pkt.inner_l4_offset + 4u <= frame.size());
    uint8_t* ip = frame.data() + pkt.l3_offset;
    uint8_t* icmp = frame.data() + pkt.l4_offset;
    uint8_t* inner_ip = frame.data() + pkt.inner_l3_offset;
    uint8_t* inner_l4 = frame.data() + pkt.inner_l4_offset;

    uint16_t icmp_csum = load_be16(icmp + kIcmpChecksumOffset);
    // Outer header.
    if constexpr (F::kHeaderChecksum) {
        uint16_t ip_csum = load_be16(ip + kIpv4ChecksumOffset);
        ip_csum = update_addr(ip_csum, F::src(pkt), to.outer_src);
        ip_csum = update_addr(ip_csum, F::dst(pkt), to.outer_dst);
        store_be16(ip + kIpv4ChecksumOffset, ip_csum);
    } else {
        icmp_csum = update_addr(icmp_csum, F::src(pkt), to.outer_src);
        icmp_csum = update_addr(icmp_csum, F::dst(pkt), to.outer_dst);
    }
    std::memcpy(ip + F::kSrcOffset, &to.outer_src, sizeof(Addr));
    std::memcpy(ip + F::kDstOffset, &to.outer_dst, sizeof(Addr));

    // Quoted packet: every changed word is inside the ICMP checksum's coverage.
    const L4Tuple<Addr> from{F::inner_src(pkt), F::inner_dst(pkt), pkt.inner_src_port, pkt.inner_dst_port};
    icmp_csum = update_tuple(icmp_csum, from, to.quoted);
    if constexpr (F::kHeaderChecksum) {
        const uint16_t old_c = load_be16(inner_ip + kIpv4ChecksumOffset);
        uint16_t c = update_addr(old_c, from.src_ip, to.quoted.src_ip);
        c = update_addr(c, from.dst_ip, to.quoted.dst_ip);
        icmp_csum = checksum_update16(icmp_csum, old_c, c);
        store_be16(inner_ip + kIpv4ChecksumOffset, c);
    }
    // The quoted TCP/UDP checksum, when the quote reaches it (always for
    // UDP: it sits in the first 8 bytes). A zero UDP checksum stays zero.
    const bool inner_udp = pkt.inner_proto == kProtoUdp;
    const size_t l4_csum_at = inner_udp ? kUdpChecksumOffset : kTcpChecksumOffset;
    if (pkt.inner_l4_offset + l4_csum_at + 2u <= size_t{pkt.l4_offset} + pkt.l4_len) {
        uint8_t* field = inner_l4 + l4_csum_at;
        const uint16_t old_c = load_be16(field);
        if (!(inner_udp && old_c == 0)) {
            uint16_t c = update_tuple(old_c, from, to.quoted);
            if (inner_udp && c == 0) c = 0xffff;
            icmp_csum = checksum_update16(icmp_csum, old_c, c);
            store_be16(field, c);
        }
    }
    store_be16(icmp + kIcmpChecksumOffset, icmp_csum);
    std::memcpy(inner_ip + F::kSrcOffset, &to.quoted.src_ip, sizeof(Addr));
    std::memcpy(inner_ip + F::kDstOffset, &to.quoted.dst_ip, sizeof(Addr));
    std::memcpy(inner_l4, &to.quoted.src_port, 2);
    std::memcpy(inner_l4 + 2, &to.quoted.dst_port, 2);

    F::src(pkt) = to.outer_src;
    F::dst(pkt) = to.outer_dst;
    F::inner_src(pkt) = to.quoted.src_ip;
    F::inner_dst(pkt) = to.quoted.dst_ip;
    pkt.inner_src_port = to.quoted.src_port;
    pkt.inner_dst_port = to.quoted.dst_port;
}

}  // namespace

void rewrite_icmp_error(std::span<uint8_t> frame, ParsedPacket& pkt, const IcmpErrorRewrite& to) noexcept {
    rewrite_icmp_error_of<Inet4>(frame, pkt, to);
}
void rewrite_icmp_error(std::span<uint8_t> frame, ParsedPacket& pkt, const IcmpErrorRewrite6& to) noexcept {
    rewrite_icmp_error_of<Inet6>(frame, pkt, to);
}

}  // namespace svcnat::dpdk
