// Test frames for the gateway: Ethernet/IPv4/TCP|UDP|ICMP and ARP built with
// DPDK's own header structs and checksum helpers (rte_ipv4_cksum,
// rte_ipv4_udptcp_cksum), independent of dpdk/core's checksum code, so the
// tests check the gateway against a second implementation.
#pragma once

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace svcnat::dpdk::test {

inline uint32_t ip4(const char* text) {
    unsigned a, b, c, d;
    std::sscanf(text, "%u.%u.%u.%u", &a, &b, &c, &d);
    return rte_cpu_to_be_32((a << 24) | (b << 16) | (c << 8) | d);
}

inline rte_ether_addr mac(uint8_t last) { return rte_ether_addr{{0x02, 0x00, 0x00, 0x00, 0x00, last}}; }

struct L4Spec {
    uint8_t proto = IPPROTO_TCP;
    uint32_t src_ip = 0, dst_ip = 0;
    uint16_t src_port = 0, dst_port = 0;  // host order
    uint8_t tcp_flags = RTE_TCP_SYN_FLAG;
    uint8_t ttl = 64;
    std::string payload;
    rte_ether_addr src_mac = mac(0xc1), dst_mac = mac(0x01);
};

// TCP/UDP header and payload for either family (the checksum is left to
// the caller: it needs the IP header of its family).
inline void fill_l4(uint8_t* l4, uint8_t proto, uint16_t src_port, uint16_t dst_port, uint8_t tcp_flags,
                    const std::string& payload, size_t l4_len) {
    if (proto == IPPROTO_TCP) {
        auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l4);
        tcp->src_port = rte_cpu_to_be_16(src_port);
        tcp->dst_port = rte_cpu_to_be_16(dst_port);
        tcp->sent_seq = rte_cpu_to_be_32(1000);
        tcp->data_off = 5 << 4;
        tcp->tcp_flags = tcp_flags;
        tcp->rx_win = rte_cpu_to_be_16(65535);
        std::memcpy(tcp + 1, payload.data(), payload.size());
    } else {
        auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
        udp->src_port = rte_cpu_to_be_16(src_port);
        udp->dst_port = rte_cpu_to_be_16(dst_port);
        udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(l4_len));
        std::memcpy(udp + 1, payload.data(), payload.size());
    }
}

inline std::vector<uint8_t> build_l4(const L4Spec& s) {
    const size_t l4_len = (s.proto == IPPROTO_TCP ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr)) + s.payload.size();
    std::vector<uint8_t> f(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + l4_len);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = s.dst_mac;
    eth->src_addr = s.src_mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + l4_len));
    ip->packet_id = rte_cpu_to_be_16(7);
    ip->time_to_live = s.ttl;
    ip->next_proto_id = s.proto;
    ip->src_addr = s.src_ip;
    ip->dst_addr = s.dst_ip;
    uint8_t* l4 = reinterpret_cast<uint8_t*>(ip + 1);
    fill_l4(l4, s.proto, s.src_port, s.dst_port, s.tcp_flags, s.payload, l4_len);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    const uint16_t c = rte_ipv4_udptcp_cksum(ip, l4);
    std::memcpy(l4 + (s.proto == IPPROTO_TCP ? 16 : 6), &c, 2);
    return f;
}

inline std::vector<uint8_t> build_arp(uint16_t op, const rte_ether_addr& sha, uint32_t sip, uint32_t tip,
                                      const rte_ether_addr& dst = rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}) {
    std::vector<uint8_t> f(60, 0);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = dst;
    eth->src_addr = sha;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    arp->arp_data.arp_sha = sha;
    arp->arp_data.arp_sip = sip;
    arp->arp_data.arp_tip = tip;
    return f;
}

// Ethernet + IPv4 + an ICMP message: type, code, the header's second
// word (echo: id and sequence; fragmentation needed: unused and MTU) and
// `body`, checksums valid.
inline std::vector<uint8_t> build_icmp4(uint32_t src, uint32_t dst, const rte_ether_addr& src_mac,
                                        const rte_ether_addr& dst_mac, uint8_t type, uint8_t code, uint16_t word1,
                                        uint16_t word2, const uint8_t* body, size_t body_len) {
    std::vector<uint8_t> f(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) + body_len);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = dst_mac;
    eth->src_addr = src_mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(f.size() - sizeof(rte_ether_hdr)));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->src_addr = src;
    ip->dst_addr = dst;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    icmp->icmp_type = type;
    icmp->icmp_code = code;
    icmp->icmp_ident = rte_cpu_to_be_16(word1);
    icmp->icmp_seq_nb = rte_cpu_to_be_16(word2);
    std::memcpy(icmp + 1, body, body_len);
    icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + body_len));
    return f;
}

inline std::vector<uint8_t> build_echo(uint32_t src, uint32_t dst, const rte_ether_addr& src_mac,
                                       const rte_ether_addr& dst_mac, uint16_t id, uint16_t seq) {
    const char payload[] = "svcnat-ping-payload";
    return build_icmp4(src, dst, src_mac, dst_mac, RTE_IP_ICMP_ECHO_REQUEST, 0, id, seq,
                       reinterpret_cast<const uint8_t*>(payload), sizeof payload);
}

// "Fragmentation needed" (type 3 code 4) with next-hop `mtu`, quoting the
// IPv4 header and 8 bytes of `quoted_frame` (an Ethernet frame).
inline std::vector<uint8_t> build_frag_needed(uint32_t src, uint32_t dst, const rte_ether_addr& src_mac,
                                              const rte_ether_addr& dst_mac, uint16_t mtu,
                                              const std::vector<uint8_t>& quoted_frame) {
    return build_icmp4(src, dst, src_mac, dst_mac, 3, 4, 0, mtu, quoted_frame.data() + sizeof(rte_ether_hdr),
                       sizeof(rte_ipv4_hdr) + 8);
}

inline rte_mbuf* to_mbuf(rte_mempool* pool, const std::vector<uint8_t>& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return nullptr;
    char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (d == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    std::memcpy(d, frame.data(), frame.size());
    return m;
}

// A received frame, parsed with DPDK's structs for assertions.
struct Seen {
    std::vector<uint8_t> bytes;
    const rte_ether_hdr* eth() const { return reinterpret_cast<const rte_ether_hdr*>(bytes.data()); }
    const rte_ipv4_hdr* ip() const { return reinterpret_cast<const rte_ipv4_hdr*>(eth() + 1); }
    const rte_tcp_hdr* tcp() const {
        return reinterpret_cast<const rte_tcp_hdr*>(reinterpret_cast<const uint8_t*>(ip()) + rte_ipv4_hdr_len(ip()));
    }
    const rte_udp_hdr* udp() const { return reinterpret_cast<const rte_udp_hdr*>(tcp()); }
    const rte_arp_hdr* arp() const { return reinterpret_cast<const rte_arp_hdr*>(eth() + 1); }
    uint16_t ether_type() const { return rte_be_to_cpu_16(eth()->ether_type); }
    bool ip_checksum_ok() const {
        // rte_ipv4_cksum wants the field zeroed: check a copy.
        rte_ipv4_hdr h;
        std::memcpy(&h, ip(), sizeof h);
        const uint16_t sent = h.hdr_checksum;
        h.hdr_checksum = 0;
        return rte_ipv4_cksum(&h) == sent;
    }
    // Recomputes the TCP/UDP checksum from scratch over a copy.
    bool l4_checksum_ok() const {
        std::vector<uint8_t> copy = bytes;
        auto* cip = reinterpret_cast<rte_ipv4_hdr*>(copy.data() + sizeof(rte_ether_hdr));
        uint8_t* l4 = reinterpret_cast<uint8_t*>(cip) + rte_ipv4_hdr_len(cip);
        // TCP's checksum is at offset 16, UDP's at 6.
        uint8_t* field = l4 + (cip->next_proto_id == IPPROTO_TCP ? 16 : 6);
        uint16_t sent;
        std::memcpy(&sent, field, 2);
        std::memset(field, 0, 2);
        return rte_ipv4_udptcp_cksum(cip, l4) == sent;
    }

    // IPv6 (no extension headers: what the gateway sends).
    const rte_ipv6_hdr* ip6() const { return reinterpret_cast<const rte_ipv6_hdr*>(eth() + 1); }
    const uint8_t* l4_6() const { return reinterpret_cast<const uint8_t*>(ip6() + 1); }
    const rte_tcp_hdr* tcp6() const { return reinterpret_cast<const rte_tcp_hdr*>(l4_6()); }
    // The upper-layer checksum (TCP, UDP or ICMPv6: the pseudo-header is the
    // same) recomputed from scratch over a copy with DPDK's helper.
    bool l4_checksum_ok6() const {
        std::vector<uint8_t> copy = bytes;
        auto* cip = reinterpret_cast<rte_ipv6_hdr*>(copy.data() + sizeof(rte_ether_hdr));
        uint8_t* l4 = reinterpret_cast<uint8_t*>(cip + 1);
        uint8_t* field = l4 + (cip->proto == IPPROTO_TCP ? 16 : cip->proto == IPPROTO_UDP ? 6 : 2);
        uint16_t sent;
        std::memcpy(&sent, field, 2);
        std::memset(field, 0, 2);
        uint16_t c = rte_ipv6_udptcp_cksum(cip, l4);
        return c == sent;
    }
};

using Ip6Bytes = std::array<uint8_t, 16>;
inline Ip6Bytes ip6(const char* text) {
    Ip6Bytes a{};
    inet_pton(AF_INET6, text, a.data());
    return a;
}

// Ethernet + IPv6 + TCP/UDP, or + ICMPv6 with `icmp` as its whole body
// (type, code, checksum placeholder, rest); checksums by DPDK's helper.
struct L6Spec {
    uint8_t proto = IPPROTO_TCP;
    Ip6Bytes src_ip{}, dst_ip{};
    uint16_t src_port = 0, dst_port = 0;
    uint8_t tcp_flags = RTE_TCP_SYN_FLAG;
    uint8_t hop_limit = 64;
    std::string payload;
    std::vector<uint8_t> icmp;
    rte_ether_addr src_mac = mac(0xc1), dst_mac = mac(0x01);
};

inline std::vector<uint8_t> build_l6(const L6Spec& s) {
    size_t l4_len = s.proto == IPPROTO_TCP   ? sizeof(rte_tcp_hdr) + s.payload.size()
                    : s.proto == IPPROTO_UDP ? sizeof(rte_udp_hdr) + s.payload.size()
                                             : s.icmp.size();
    std::vector<uint8_t> f(sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + l4_len);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = s.dst_mac;
    eth->src_addr = s.src_mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(l4_len));
    ip->proto = s.proto;
    ip->hop_limits = s.hop_limit;
    std::memcpy(ip->src_addr, s.src_ip.data(), 16);
    std::memcpy(ip->dst_addr, s.dst_ip.data(), 16);
    uint8_t* l4 = reinterpret_cast<uint8_t*>(ip + 1);
    if (s.proto == IPPROTO_TCP || s.proto == IPPROTO_UDP) {
        fill_l4(l4, s.proto, s.src_port, s.dst_port, s.tcp_flags, s.payload, l4_len);
        const uint16_t c = rte_ipv6_udptcp_cksum(ip, l4);
        std::memcpy(l4 + (s.proto == IPPROTO_TCP ? 16 : 6), &c, 2);
    } else {
        std::memcpy(l4, s.icmp.data(), s.icmp.size());
        l4[2] = l4[3] = 0;
        const uint16_t c = rte_ipv6_udptcp_cksum(ip, l4);
        std::memcpy(l4 + 2, &c, 2);
    }
    return f;
}

// An ICMPv6 message body: type, code, zero checksum, then `rest`.
inline std::vector<uint8_t> icmpv6_body(uint8_t type, uint8_t code, const std::vector<uint8_t>& rest) {
    std::vector<uint8_t> b{type, code, 0, 0};
    b.insert(b.end(), rest.begin(), rest.end());
    return b;
}

// Neighbor Solicitation for `target` from `src` (with its link-layer option).
inline std::vector<uint8_t> build_ns(const Ip6Bytes& src, const rte_ether_addr& src_mac, const Ip6Bytes& target,
                                     uint8_t hop_limit = 255) {
    std::vector<uint8_t> rest(4, 0);  // reserved
    rest.insert(rest.end(), target.begin(), target.end());
    rest.push_back(1);  // source link-layer address
    rest.push_back(1);
    rest.insert(rest.end(), src_mac.addr_bytes, src_mac.addr_bytes + 6);
    L6Spec s;
    s.proto = IPPROTO_ICMPV6;
    s.src_ip = src;
    s.dst_ip = ip6("ff02::1:ff00:0");
    std::copy(target.begin() + 13, target.end(), s.dst_ip.begin() + 13);
    s.hop_limit = hop_limit;
    s.icmp = icmpv6_body(135, 0, rest);
    s.src_mac = src_mac;
    s.dst_mac = rte_ether_addr{{0x33, 0x33, 0xff, target[13], target[14], target[15]}};
    return build_l6(s);
}

// Solicited Neighbor Advertisement of `target` at `target_mac`, to `dst`.
inline std::vector<uint8_t> build_na(const Ip6Bytes& target, const rte_ether_addr& target_mac, const Ip6Bytes& dst,
                                     const rte_ether_addr& dst_mac) {
    std::vector<uint8_t> rest{0x60, 0, 0, 0};  // Solicited, Override
    rest.insert(rest.end(), target.begin(), target.end());
    rest.push_back(2);  // target link-layer address
    rest.push_back(1);
    rest.insert(rest.end(), target_mac.addr_bytes, target_mac.addr_bytes + 6);
    L6Spec s;
    s.proto = IPPROTO_ICMPV6;
    s.src_ip = target;
    s.dst_ip = dst;
    s.hop_limit = 255;
    s.icmp = icmpv6_body(136, 0, rest);
    s.src_mac = target_mac;
    s.dst_mac = dst_mac;
    return build_l6(s);
}

}  // namespace svcnat::dpdk::test
