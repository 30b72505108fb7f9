// The two address families of the data path, as traits that generic code
// (flow keys and entries, NAT tuples, SNAT pool, service tables, the
// gateway's flow tables and worker) is written against once:
//
//   Inet4::Addr = Ip4, an IPv4 address as a raw network-order uint32_t;
//   Inet6::Addr = Ip6, an IPv6 address as its 16 bytes.
//
// Both are stored exactly as in the packet, so keys are built by copying
// and rte_hash sees the same bytes on every host.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bytes.hpp"
#include "control/model/ip.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

using Ip4 = uint32_t;                 // network order
using Ip6 = std::array<uint8_t, 16>;  // network order

struct Inet4 {
    using Addr = Ip4;
    static constexpr L3Kind kL3 = L3Kind::IPv4;
    static constexpr uint8_t kIcmpProto = kProtoIcmp;
    static constexpr int kIndex = 0;  // per-family counters and tables
    static constexpr size_t kSrcOffset = 12;  // in the IP header
    static constexpr size_t kDstOffset = 16;
    static constexpr bool kHeaderChecksum = true;
    static const Addr& src(const ParsedPacket& p) noexcept { return p.src_ip4; }
    static const Addr& dst(const ParsedPacket& p) noexcept { return p.dst_ip4; }
    static const Addr& inner_src(const ParsedPacket& p) noexcept { return p.inner_src_ip4; }
    static const Addr& inner_dst(const ParsedPacket& p) noexcept { return p.inner_dst_ip4; }
    static Addr& src(ParsedPacket& p) noexcept { return p.src_ip4; }
    static Addr& dst(ParsedPacket& p) noexcept { return p.dst_ip4; }
    static Addr& inner_src(ParsedPacket& p) noexcept { return p.inner_src_ip4; }
    static Addr& inner_dst(ParsedPacket& p) noexcept { return p.inner_dst_ip4; }
    // Numeric order (for sorting backends independently of host order).
    static uint32_t numeric(const Addr& a) noexcept {
        return load_be32(reinterpret_cast<const uint8_t*>(&a));
    }
};

struct Inet6 {
    using Addr = Ip6;
    static constexpr L3Kind kL3 = L3Kind::IPv6;
    static constexpr uint8_t kIcmpProto = kProtoIcmpv6;
    static constexpr int kIndex = 1;
    static constexpr size_t kSrcOffset = 8;
    static constexpr size_t kDstOffset = 24;
    static constexpr bool kHeaderChecksum = false;
    static const Addr& src(const ParsedPacket& p) noexcept { return p.src_ip6; }
    static const Addr& dst(const ParsedPacket& p) noexcept { return p.dst_ip6; }
    static const Addr& inner_src(const ParsedPacket& p) noexcept { return p.inner_src_ip6; }
    static const Addr& inner_dst(const ParsedPacket& p) noexcept { return p.inner_dst_ip6; }
    static Addr& src(ParsedPacket& p) noexcept { return p.src_ip6; }
    static Addr& dst(ParsedPacket& p) noexcept { return p.dst_ip6; }
    static Addr& inner_src(ParsedPacket& p) noexcept { return p.inner_src_ip6; }
    static Addr& inner_dst(ParsedPacket& p) noexcept { return p.inner_dst_ip6; }
    // Big-endian bytes compare lexicographically as numbers.
    static const Addr& numeric(const Addr& a) noexcept { return a; }
};

// Address equality without a memcmp call for the 16-byte form (two 64-bit
// loads): the fast path compares destination addresses with the SNAT
// addresses on every packet.
inline bool same_addr(const Ip4& a, const Ip4& b) noexcept { return a == b; }
inline bool same_addr(const Ip6& a, const Ip6& b) noexcept {
    uint64_t x[2], y[2];
    std::memcpy(x, a.data(), 16);
    std::memcpy(y, b.data(), 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

// The family of an address type.
// The model's addresses (control/model/ip.hpp) in the data path's form and
// back; both keep network byte order, so these are copies. to_addr is
// false, leaving `out` alone, for an address of the other family.
inline bool to_addr(const IPAddr& ip, Ip4* out) noexcept {
    if (!ip.is_v4()) return false;
    std::memcpy(out, ip.bytes.data(), 4);
    return true;
}
inline bool to_addr(const IPAddr& ip, Ip6* out) noexcept {
    if (ip.is_v4()) return false;
    std::memcpy(out->data(), ip.bytes.data(), 16);
    return true;
}
inline IPAddr to_ipaddr(const Ip4& a) noexcept {
    IPAddr ip;
    std::memcpy(ip.bytes.data(), &a, 4);
    return ip;
}
inline IPAddr to_ipaddr(const Ip6& a) noexcept {
    IPAddr ip;
    ip.family = IPFamily::IPv6;
    std::memcpy(ip.bytes.data(), a.data(), 16);
    return ip;
}

template <typename Addr> struct FamilyOf;
template <> struct FamilyOf<Ip4> { using type = Inet4; };
template <> struct FamilyOf<Ip6> { using type = Inet6; };

}  // namespace svcnat::dpdk
