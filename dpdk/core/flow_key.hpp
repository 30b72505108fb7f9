// Fixed-size flow keys, ready to be rte_hash keys: plain structs with
// explicit padding (always zero, set by the make_* helpers), so that hashing
// and comparing the raw bytes is the same as comparing the fields.
//
// Two keys describe one full-NAT flow:
//   client side: as received from the client   client ip:port → VIP:port
//   reply side:  as received from the backend  backend ip:port → SNAT ip:port
// Addresses and ports are in NETWORK byte order, as copied from the packet:
// building a key is then a few loads, no byte swaps.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

#include "parse.hpp"

namespace svcnat::dpdk {

struct FlowKey4 {
    uint32_t src_ip;     // network order
    uint32_t dst_ip;     // network order
    uint16_t src_port;   // network order
    uint16_t dst_port;   // network order
    uint8_t proto;       // kProtoTcp / kProtoUdp
    uint8_t pad[3];      // always zero

    bool operator==(const FlowKey4& o) const noexcept { return std::memcmp(this, &o, sizeof o) == 0; }
};
static_assert(sizeof(FlowKey4) == 16);
static_assert(std::is_trivially_copyable_v<FlowKey4>);
static_assert(std::has_unique_object_representations_v<FlowKey4>, "no padding holes");

struct FlowKey6 {
    std::array<uint8_t, 16> src_ip;
    std::array<uint8_t, 16> dst_ip;
    uint16_t src_port;   // network order
    uint16_t dst_port;   // network order
    uint8_t proto;
    uint8_t pad[3];      // always zero

    bool operator==(const FlowKey6& o) const noexcept { return std::memcmp(this, &o, sizeof o) == 0; }
};
static_assert(sizeof(FlowKey6) == 40);
static_assert(std::is_trivially_copyable_v<FlowKey6>);
static_assert(std::has_unique_object_representations_v<FlowKey6>, "no padding holes");

inline FlowKey4 make_flow_key4(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
                               uint16_t dst_port, uint8_t proto) noexcept {
    return FlowKey4{src_ip, dst_ip, src_port, dst_port, proto, {0, 0, 0}};
}

// The key of a parsed IPv4 TCP/UDP packet as it travels (src → dst).
inline FlowKey4 flow_key4_of(const ParsedPacket& p) noexcept {
    return make_flow_key4(p.src_ip4, p.dst_ip4, p.src_port, p.dst_port, p.l4_proto);
}

// The key to look up for an ICMP error quoting a packet
// (pkt.icmp_quotes_packet): the quote is a packet the gateway SENT, so the
// flow's key as RECEIVED is the quote reversed. An error arriving from the
// pod network (quote: SNAT → backend) matches a reply-side key; one arriving
// from the client side (quote: VIP → client) matches a client-side key.
inline FlowKey4 icmp_quoted_flow_key4(const ParsedPacket& p) noexcept {
    return make_flow_key4(p.inner_dst_ip4, p.inner_src_ip4, p.inner_dst_port, p.inner_src_port,
                          p.inner_proto);
}

// The same flow seen from the other direction.
inline FlowKey4 reversed(const FlowKey4& k) noexcept {
    return make_flow_key4(k.dst_ip, k.src_ip, k.dst_port, k.src_port, k.proto);
}

// Deterministic hash of a key (XXH3 with lb::kFlowHashSeed over the 16 key
// bytes). Used for Maglev backend selection, so every gateway picks the same
// backend for the same client flow. The byte image is in network order, so
// the value is the same on any host.
uint64_t flow_hash(const FlowKey4& k) noexcept;
uint64_t flow_hash(const FlowKey6& k) noexcept;

}  // namespace svcnat::dpdk

template <>
struct std::hash<svcnat::dpdk::FlowKey4> {
    size_t operator()(const svcnat::dpdk::FlowKey4& k) const noexcept {
        return static_cast<size_t>(svcnat::dpdk::flow_hash(k));
    }
};
