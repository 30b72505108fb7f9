// Test-only frame construction and from-scratch checksum verification.
// Deliberately independent of dpdk/core/checksum.cpp: a straightforward
// RFC 1071 byte loop, so the tests compare two implementations.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace svcnat::dpdk::test {

inline uint32_t ref_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i < n; ++i) sum += (i % 2 == 0) ? uint32_t{p[i]} << 8 : p[i];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

inline uint16_t ref_checksum(const uint8_t* p, size_t n, uint32_t initial = 0) {
    return static_cast<uint16_t>(~ref_sum(p, n, initial) & 0xffff);
}

// TCP/UDP checksum over the IPv4 pseudo-header and `segment`, its checksum
// field (at `checksum_offset`) taken as zero; addresses in network order.
inline uint16_t ref_l4_checksum_v4(uint32_t src_ip, uint32_t dst_ip, uint8_t proto, const uint8_t* segment,
                                   size_t len, size_t checksum_offset) {
    uint8_t pseudo[12];
    std::memcpy(pseudo, &src_ip, 4);
    std::memcpy(pseudo + 4, &dst_ip, 4);
    pseudo[8] = 0;
    pseudo[9] = proto;
    pseudo[10] = static_cast<uint8_t>(len >> 8);
    pseudo[11] = static_cast<uint8_t>(len);
    const uint32_t field = checksum_offset + 1 < len
                               ? static_cast<uint32_t>(segment[checksum_offset] << 8 | segment[checksum_offset + 1])
                               : 0;
    // Sum everything, then take the field's word out again (one's complement).
    uint32_t sum = ref_sum(pseudo, 12, ref_sum(segment, len)) + (~field & 0xffff);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

inline void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    v[at] = static_cast<uint8_t>(x >> 8);
    v[at + 1] = static_cast<uint8_t>(x);
}
inline void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    put16(v, at, static_cast<uint16_t>(x >> 16));
    put16(v, at + 2, static_cast<uint16_t>(x));
}
inline uint16_t get16(const std::vector<uint8_t>& v, size_t at) {
    return static_cast<uint16_t>((v[at] << 8) | v[at + 1]);
}
inline uint32_t get32(const std::vector<uint8_t>& v, size_t at) {
    return (uint32_t{get16(v, at)} << 16) | get16(v, at + 2);
}

// Network-order raw value of a host-order number (what ParsedPacket holds).
inline uint32_t raw32(uint32_t host) {
    const uint8_t b[4] = {static_cast<uint8_t>(host >> 24), static_cast<uint8_t>(host >> 16),
                          static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)};
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
}
inline uint16_t raw16(uint16_t host) {
    const uint8_t b[2] = {static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)};
    uint16_t v;
    std::memcpy(&v, b, 2);
    return v;
}

// TCP (20-byte header plus `tcp_options`) or UDP header at `l4` for either
// family; returns where the checksum goes.
inline size_t put_l4_header(std::vector<uint8_t>& f, size_t l4, uint8_t proto, uint16_t sport, uint16_t dport,
                            uint8_t tcp_flags, size_t l4_len, const std::vector<uint8_t>& tcp_options = {}) {
    put16(f, l4, sport);
    put16(f, l4 + 2, dport);
    if (proto == 17) {
        put16(f, l4 + 4, static_cast<uint16_t>(l4_len));
        return l4 + 6;
    }
    put32(f, l4 + 4, 1000);
    f[l4 + 12] = static_cast<uint8_t>(((20 + tcp_options.size()) / 4) << 4);
    f[l4 + 13] = tcp_flags;
    put16(f, l4 + 14, 65535);
    std::copy(tcp_options.begin(), tcp_options.end(), f.begin() + static_cast<long>(l4 + 20));
    return l4 + 16;
}

struct FrameSpec {
    bool vlan = false;
    uint16_t vlan_tci = 100;
    uint32_t src = 0xc0000201;  // 192.0.2.1 (host order)
    uint32_t dst = 0xcb007101;  // 203.0.113.1
    uint8_t proto = 6;
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint8_t ttl = 64;
    uint8_t tcp_flags = 0x02;  // SYN
    uint16_t frag = 0;         // flags + offset word (DF = 0x4000)
    std::vector<uint8_t> ip_options;   // multiple of 4
    std::vector<uint8_t> tcp_options;  // multiple of 4
    std::vector<uint8_t> payload;
    bool udp_zero_checksum = false;
    size_t eth_padding = 0;  // bytes after the IP packet (Ethernet minimum size)
};

// Ethernet (+VLAN) + IPv4 + TCP/UDP/ICMP echo request, all checksums valid.
inline std::vector<uint8_t> build_ipv4(const FrameSpec& s) {
    std::vector<uint8_t> f(12, 0);
    for (int i = 0; i < 6; ++i) f[i] = static_cast<uint8_t>(0x02 + i);      // dst MAC
    for (int i = 0; i < 6; ++i) f[6 + i] = static_cast<uint8_t>(0x12 + i);  // src MAC
    if (s.vlan) {
        f.resize(16);
        put16(f, 12, 0x8100);
        put16(f, 14, s.vlan_tci);
    }
    f.resize(f.size() + 2);
    put16(f, f.size() - 2, 0x0800);
    const size_t l3 = f.size();
    const size_t ihl = 20 + s.ip_options.size();
    size_t l4_header = 0;
    if (s.proto == 6) l4_header = 20 + s.tcp_options.size();
    else if (s.proto == 17 || s.proto == 1) l4_header = 8;
    const size_t total = ihl + l4_header + s.payload.size();
    f.resize(l3 + total + s.eth_padding, 0);
    f[l3] = static_cast<uint8_t>(0x40 | (ihl / 4));
    put16(f, l3 + 2, static_cast<uint16_t>(total));
    put16(f, l3 + 4, 0x1234);
    put16(f, l3 + 6, s.frag);
    f[l3 + 8] = s.ttl;
    f[l3 + 9] = s.proto;
    put32(f, l3 + 12, s.src);
    put32(f, l3 + 16, s.dst);
    std::copy(s.ip_options.begin(), s.ip_options.end(), f.begin() + l3 + 20);
    put16(f, l3 + 10, ref_checksum(&f[l3], ihl));

    const size_t l4 = l3 + ihl;
    const size_t l4_len = total - ihl;
    std::copy(s.payload.begin(), s.payload.end(), f.begin() + l4 + l4_header);
    size_t csum_at = 0;
    if (s.proto == 6 || s.proto == 17) {
        csum_at = put_l4_header(f, l4, s.proto, s.sport, s.dport, s.tcp_flags, l4_len, s.tcp_options);
    } else if (s.proto == 1) {
        f[l4] = 8;  // echo request
        put16(f, l4 + 4, 0xbeef);
        put16(f, l4 + 6, 1);
        put16(f, l4 + 2, ref_checksum(&f[l4], l4_len));
        return f;
    } else {
        return f;
    }
    // Pseudo-header: src, dst, zero+proto, L4 length.
    uint32_t pseudo = ref_sum(&f[l3 + 12], 8);
    pseudo += s.proto;
    pseudo += static_cast<uint32_t>(l4_len);
    uint16_t c = ref_checksum(&f[l4], l4_len, pseudo);
    if (s.proto == 17 && c == 0) c = 0xffff;
    if (s.proto == 17 && s.udp_zero_checksum) c = 0;
    put16(f, csum_at, c);
    return f;
}

// Ethernet + IPv4 + ICMP error (type/code) quoting the first `quote_len`
// bytes of the IPv4 packet inside `quoted_frame` (an Ethernet frame without
// VLAN, as build_ipv4 makes), from `src` to `dst` (host order).
inline std::vector<uint8_t> build_icmp_error(uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
                                             const std::vector<uint8_t>& quoted_frame, size_t quote_len,
                                             uint16_t mtu = 1400) {
    const std::vector<uint8_t> quote(quoted_frame.begin() + 14,
                                     quoted_frame.begin() + 14 + static_cast<long>(quote_len));
    FrameSpec s;
    s.proto = 1;
    s.src = src;
    s.dst = dst;
    s.payload = quote;
    auto f = build_ipv4(s);  // an echo request carrying the quote as payload
    const size_t l4 = 34;
    f[l4] = type;
    f[l4 + 1] = code;
    put16(f, l4 + 4, 0);
    put16(f, l4 + 6, type == 3 && code == 4 ? mtu : 0);
    put16(f, l4 + 2, 0);
    put16(f, l4 + 2, ref_checksum(&f[l4], f.size() - l4));
    return f;
}

// Ethernet + IPv6 + TCP/UDP with `next_header` (an extension header value
// makes an invalid-for-the-gateway packet whose first 8 bytes look like L4).
inline std::vector<uint8_t> build_ipv6(uint8_t next_header, uint16_t sport, uint16_t dport,
                                       size_t payload_len = 10, uint8_t hop_limit = 64) {
    std::vector<uint8_t> f(14, 0);
    put16(f, 12, 0x86dd);
    const size_t l3 = f.size();
    const size_t l4_header = next_header == 6 ? 20 : 8;
    const size_t l4_len = l4_header + payload_len;
    f.resize(l3 + 40 + l4_len, 0);
    f[l3] = 0x60;
    put16(f, l3 + 4, static_cast<uint16_t>(l4_len));
    f[l3 + 6] = next_header;
    f[l3 + 7] = hop_limit;
    const std::array<uint8_t, 16> src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const std::array<uint8_t, 16> dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    std::copy(src.begin(), src.end(), f.begin() + l3 + 8);
    std::copy(dst.begin(), dst.end(), f.begin() + l3 + 24);
    const size_t l4 = l3 + 40;
    put16(f, l4, sport);
    put16(f, l4 + 2, dport);
    if (next_header == 6) f[l4 + 12] = 0x50, f[l4 + 13] = 0x02;
    if (next_header == 17) put16(f, l4 + 4, static_cast<uint16_t>(l4_len));
    if (next_header == 58) f[l4] = 128;  // echo request
    return f;
}

// The TCP/UDP/ICMPv6 checksum of the upper-layer `len` bytes at `l4` of an
// IPv6 packet whose fixed header starts at `l3` (RFC 8200 §8.1: the length
// in the pseudo-header is the upper-layer length, extension headers excluded).
inline uint16_t ref_checksum_v6(const std::vector<uint8_t>& f, size_t l3, size_t l4, size_t len, uint8_t proto) {
    const uint32_t pseudo = ref_sum(&f[l3 + 8], 32) + proto + static_cast<uint32_t>(len);
    return ref_checksum(&f[l4], len, pseudo);
}

struct Frame6Spec {
    std::array<uint8_t, 16> src{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};   // 2001:db8:1::1
    std::array<uint8_t, 16> dst{0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};  // 2001:db8:2::10
    uint8_t proto = 6;
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint8_t hop_limit = 64;
    uint8_t tcp_flags = 0x02;
    // Extension headers in order, each 8 bytes: 0 hop-by-hop, 60 destination
    // options (a PadN option), 43 routing (type 4, segments left
    // `segments_left`), 44 fragment (offset/flags `frag`), or anything else
    // as an opaque 8-byte header.
    std::vector<uint8_t> extensions;
    uint8_t segments_left = 0;
    uint16_t frag = 0;
    std::vector<uint8_t> payload;
    bool udp_zero_checksum = false;
};

// Ethernet + IPv6 (+ extension headers) + TCP/UDP/ICMPv6 echo request, the
// upper-layer checksum valid.
inline std::vector<uint8_t> build_ipv6_packet(const Frame6Spec& s) {
    std::vector<uint8_t> f(14, 0);
    for (int i = 0; i < 6; ++i) f[i] = static_cast<uint8_t>(0x02 + i);
    for (int i = 0; i < 6; ++i) f[6 + i] = static_cast<uint8_t>(0x12 + i);
    put16(f, 12, 0x86dd);
    const size_t l3 = 14;
    const size_t l4_header = s.proto == 6 ? 20 : 8;
    const size_t ext_len = 8 * s.extensions.size();
    const size_t l4_len = l4_header + s.payload.size();
    f.resize(l3 + 40 + ext_len + l4_len, 0);
    f[l3] = 0x60;
    put16(f, l3 + 4, static_cast<uint16_t>(ext_len + l4_len));
    f[l3 + 6] = s.extensions.empty() ? s.proto : s.extensions[0];
    f[l3 + 7] = s.hop_limit;
    std::copy(s.src.begin(), s.src.end(), f.begin() + l3 + 8);
    std::copy(s.dst.begin(), s.dst.end(), f.begin() + l3 + 24);
    for (size_t i = 0; i < s.extensions.size(); ++i) {
        const size_t h = l3 + 40 + 8 * i;
        f[h] = i + 1 < s.extensions.size() ? s.extensions[i + 1] : s.proto;
        switch (s.extensions[i]) {
            case 0: case 60: f[h + 2] = 1; f[h + 3] = 4; break;  // PadN, 4 bytes
            case 43: f[h + 2] = 4; f[h + 3] = s.segments_left; break;
            case 44: put16(f, h + 2, s.frag); put32(f, h + 4, 0xabcd); break;
            default: break;
        }
    }
    const size_t l4 = l3 + 40 + ext_len;
    std::copy(s.payload.begin(), s.payload.end(), f.begin() + static_cast<long>(l4 + l4_header));
    size_t csum_at = 0;
    if (s.proto == 6 || s.proto == 17) {
        csum_at = put_l4_header(f, l4, s.proto, s.sport, s.dport, s.tcp_flags, l4_len);
    } else if (s.proto == 58) {
        f[l4] = 128;  // echo request
        put16(f, l4 + 4, 0xbeef);
        put16(f, l4 + 6, 1);
        csum_at = l4 + 2;
    } else {
        return f;
    }
    uint16_t c = ref_checksum_v6(f, l3, l4, l4_len, s.proto);
    if (s.proto == 17 && c == 0) c = 0xffff;
    if (s.proto == 17 && s.udp_zero_checksum) c = 0;
    put16(f, csum_at, c);
    return f;
}

// Ethernet + IPv6 + ICMPv6 error (type/code; `mtu` for Packet Too Big)
// quoting the first `quote_len` bytes of the IPv6 packet inside
// `quoted_frame` (as build_ipv6_packet makes), from `src` to `dst`.
inline std::vector<uint8_t> build_icmpv6_error(const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                                               uint8_t type, uint8_t code, const std::vector<uint8_t>& quoted_frame,
                                               size_t quote_len, uint32_t mtu = 1280) {
    std::vector<uint8_t> f(14, 0);
    put16(f, 12, 0x86dd);
    const size_t l3 = 14, l4 = 54;
    const size_t l4_len = 8 + quote_len;
    f.resize(l4 + l4_len, 0);
    f[l3] = 0x60;
    put16(f, l3 + 4, static_cast<uint16_t>(l4_len));
    f[l3 + 6] = 58;
    f[l3 + 7] = 64;
    std::copy(src.begin(), src.end(), f.begin() + l3 + 8);
    std::copy(dst.begin(), dst.end(), f.begin() + l3 + 24);
    f[l4] = type;
    f[l4 + 1] = code;
    put32(f, l4 + 4, type == 2 ? mtu : 0);
    std::copy(quoted_frame.begin() + 14, quoted_frame.begin() + 14 + static_cast<long>(quote_len), f.begin() + l4 + 8);
    put16(f, l4 + 2, ref_checksum_v6(f, l3, l4, l4_len, 58));
    return f;
}

}  // namespace svcnat::dpdk::test
