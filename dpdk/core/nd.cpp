#include "nd.hpp"

#include <cstring>

#include "bytes.hpp"
#include "checksum.hpp"

namespace svcnat::dpdk {

namespace {

constexpr size_t kIpv6Header = 40;
constexpr size_t kNdFixed = 24;        // type, code, checksum, flags/reserved, target
constexpr uint8_t kOptSourceLl = 1;
constexpr uint8_t kOptTargetLl = 2;

bool is_multicast(const Ip6& a) noexcept { return a[0] == 0xff; }
bool is_unspecified(const Ip6& a) noexcept {
    for (uint8_t b : a)
        if (b != 0) return false;
    return true;
}

uint16_t icmpv6_checksum(std::span<const uint8_t> frame, size_t l3, size_t l4, size_t len) noexcept {
    Ip6 src, dst;
    std::memcpy(src.data(), frame.data() + l3 + 8, 16);
    std::memcpy(dst.data(), frame.data() + l3 + 24, 16);
    return l4_checksum_v6(src, dst, kProtoIcmpv6, frame.subspan(l4, len), 2);
}

// Ethernet + IPv6 header + ICMPv6 NS/NA with one link-layer option; the
// checksum last.
void write_nd(std::span<uint8_t> out, const MacAddr& src_mac, const MacAddr& dst_mac, const Ip6& src,
              const Ip6& dst, uint8_t type, uint32_t flags, const Ip6& target, uint8_t option,
              const MacAddr& option_mac) noexcept {
    uint8_t* f = out.data();
    std::memset(f, 0, kNdFrameLen);
    std::memcpy(f, dst_mac.data(), 6);
    std::memcpy(f + 6, src_mac.data(), 6);
    store_be16(f + 12, kEtherTypeIPv6);
    uint8_t* ip = f + 14;
    ip[0] = 0x60;
    store_be16(ip + 4, kNdFixed + 8);
    ip[6] = kProtoIcmpv6;
    ip[7] = 255;  // RFC 4861: receivers drop ND with any other hop limit
    std::memcpy(ip + 8, src.data(), 16);
    std::memcpy(ip + 24, dst.data(), 16);
    uint8_t* icmp = ip + kIpv6Header;
    icmp[0] = type;
    store_be32(icmp + 4, flags);
    std::memcpy(icmp + 8, target.data(), 16);
    icmp[24] = option;
    icmp[25] = 1;  // 8 bytes
    std::memcpy(icmp + 26, option_mac.data(), 6);
    store_be16(icmp + 2, icmpv6_checksum(out, 14, 14 + kIpv6Header, kNdFixed + 8));
}

}  // namespace

std::optional<NdMessage> parse_nd(std::span<const uint8_t> frame, const ParsedPacket& p) noexcept {
    if (p.l3 != L3Kind::IPv6 || p.l4_proto != kProtoIcmpv6) return std::nullopt;
    if (p.icmp_type != kNdNeighborSolicitation && p.icmp_type != kNdNeighborAdvertisement) return std::nullopt;
    if (p.ttl != 255 || p.icmp_code != 0 || p.l4_len < kNdFixed || p.ipv6_has_extensions) return std::nullopt;
    if (icmpv6_checksum(frame, p.l3_offset, p.l4_offset, p.l4_len) != load_be16(frame.data() + p.l4_offset + 2))
        return std::nullopt;
    const uint8_t* m = frame.data() + p.l4_offset;
    NdMessage nd;
    nd.type = p.icmp_type;
    nd.solicited = p.icmp_type == kNdNeighborAdvertisement && (m[4] & 0x40);
    std::memcpy(nd.target.data(), m + 8, 16);
    if (is_multicast(nd.target)) return std::nullopt;
    const uint8_t wanted = p.icmp_type == kNdNeighborSolicitation ? kOptSourceLl : kOptTargetLl;
    for (size_t at = kNdFixed; at < p.l4_len;) {
        if (at + 2 > p.l4_len) return std::nullopt;
        const size_t len = size_t{m[at + 1]} * 8;
        if (len == 0 || at + len > p.l4_len) return std::nullopt;
        if (m[at] == wanted && len >= 8) {
            nd.has_lladdr = true;
            std::memcpy(nd.lladdr.data(), m + at + 2, 6);
        }
        at += len;
    }
    // RFC 4861 §7.1.1: a DAD probe (source ::) carries no source link-layer option.
    if (p.icmp_type == kNdNeighborSolicitation && is_unspecified(p.src_ip6) && nd.has_lladdr) return std::nullopt;
    return nd;
}

Ip6 solicited_node(const Ip6& target) noexcept {
    Ip6 g{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    g[13] = target[13];
    g[14] = target[14];
    g[15] = target[15];
    return g;
}

MacAddr multicast_mac(const Ip6& group) noexcept {
    return {0x33, 0x33, group[12], group[13], group[14], group[15]};
}

void write_neighbor_advertisement(std::span<uint8_t> out, const MacAddr& own_mac, const Ip6& own,
                                  const MacAddr& to_mac, const Ip6& to) noexcept {
    constexpr uint32_t kSolicitedOverride = 0x60000000;
    write_nd(out, own_mac, to_mac, own, to, kNdNeighborAdvertisement, kSolicitedOverride, own, kOptTargetLl,
             own_mac);
}

void write_neighbor_solicitation(std::span<uint8_t> out, const MacAddr& src_mac, const Ip6& src,
                                 const Ip6& target) noexcept {
    const Ip6 group = solicited_node(target);
    write_nd(out, src_mac, multicast_mac(group), src, group, kNdNeighborSolicitation, 0, target, kOptSourceLl,
             src_mac);
}

}  // namespace svcnat::dpdk
