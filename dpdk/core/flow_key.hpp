// Fixed-size flow keys, ready to be rte_hash keys: plain structs with
// explicit padding (always zero, set by make_flow_key), so that hashing and
// comparing the raw bytes is the same as comparing the fields. One template
// for both families (inet.hpp): FlowKey4 is 16 bytes, FlowKey6 48 — padded
// from 37 to a size rte_hash compares with vector instructions (16, 32, 48,
// 64...; any other size falls back to memcmp, which cost the IPv6 path
// about 8 % of its time in perf).
//
// Two keys describe one full-NAT flow:
//   client side: as received from the client   client ip:port → VIP:port
//   reply side:  as received from the backend  backend ip:port → SNAT ip:port
// Addresses and ports are in NETWORK byte order, as copied from the packet:
// building a key is then a few loads, no byte swaps.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

#include "inet.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

template <typename Addr>
struct FlowKey {
    Addr src_ip;         // network order
    Addr dst_ip;         // network order
    uint16_t src_port;   // network order
    uint16_t dst_port;   // network order
    uint8_t proto;       // kProtoTcp / kProtoUdp
    uint8_t pad[sizeof(Addr) == 4 ? 3 : 11];  // always zero

    // Word by word: memcmp of the 48-byte IPv6 key was a library call.
    bool operator==(const FlowKey& o) const noexcept {
        uint64_t a[sizeof(FlowKey) / 8], b[sizeof(FlowKey) / 8];
        std::memcpy(a, this, sizeof a);
        std::memcpy(b, &o, sizeof b);
        uint64_t diff = 0;
        for (size_t i = 0; i < sizeof a / 8; ++i) diff |= a[i] ^ b[i];
        return diff == 0;
    }
};
using FlowKey4 = FlowKey<Ip4>;
using FlowKey6 = FlowKey<Ip6>;
static_assert(sizeof(FlowKey4) == 16);
static_assert(sizeof(FlowKey6) == 48);
static_assert(sizeof(FlowKey4) % 8 == 0 && sizeof(FlowKey6) % 8 == 0, "operator== compares 64-bit words");
static_assert(std::is_trivially_copyable_v<FlowKey6>);
static_assert(std::has_unique_object_representations_v<FlowKey4>, "no padding holes");
static_assert(std::has_unique_object_representations_v<FlowKey6>, "no padding holes");

template <typename Addr>
inline FlowKey<Addr> make_flow_key(const Addr& src_ip, const Addr& dst_ip, uint16_t src_port,
                                   uint16_t dst_port, uint8_t proto) noexcept {
    return FlowKey<Addr>{src_ip, dst_ip, src_port, dst_port, proto, {}};
}

// The key of a parsed TCP/UDP packet of family F as it travels (src → dst).
template <typename F>
inline FlowKey<typename F::Addr> flow_key_of(const ParsedPacket& p) noexcept {
    return make_flow_key(F::src(p), F::dst(p), p.src_port, p.dst_port, p.l4_proto);
}

// The same, written field by field into `k` where it will be used (a key
// array for a bulk lookup): building a temporary and copying it loaded 16
// bytes right after five narrower stores, a store-forwarding stall that was
// a fifth of the NAT loop's time in perf.
template <typename F>
inline void set_flow_key(FlowKey<typename F::Addr>& k, const ParsedPacket& p) noexcept {
    k.src_ip = F::src(p);
    k.dst_ip = F::dst(p);
    k.src_port = p.src_port;
    k.dst_port = p.dst_port;
    k.proto = p.l4_proto;
    std::memset(k.pad, 0, sizeof k.pad);
}

// The key to look up for an ICMP error quoting a packet
// (pkt.icmp_quotes_packet): the quote is a packet the gateway SENT, so the
// flow's key as RECEIVED is the quote reversed. An error arriving from the
// pod network (quote: SNAT → backend) matches a reply-side key; one arriving
// from the client side (quote: VIP → client) matches a client-side key.
template <typename F>
inline FlowKey<typename F::Addr> icmp_quoted_flow_key(const ParsedPacket& p) noexcept {
    return make_flow_key(F::inner_dst(p), F::inner_src(p), p.inner_dst_port, p.inner_src_port,
                         p.inner_proto);
}

// Deterministic hash of a key (XXH3 with lb::kFlowHashSeed over the key
// bytes). Used for Maglev backend selection, so every gateway picks the same
// backend for the same client flow. The byte image is in network order, so
// the value is the same on any host.
uint64_t flow_hash(const FlowKey4& k) noexcept;
uint64_t flow_hash(const FlowKey6& k) noexcept;

}  // namespace svcnat::dpdk

template <typename Addr>
struct std::hash<svcnat::dpdk::FlowKey<Addr>> {
    size_t operator()(const svcnat::dpdk::FlowKey<Addr>& k) const noexcept {
        return static_cast<size_t>(svcnat::dpdk::flow_hash(k));
    }
};
