// Shorthands of the core's flow-key templates that only tests use: IPv4
// keys from numbers or parsed packets, a key turned around, the lcore
// owning a reply-side key.
#pragma once

#include "dpdk/core/flow_key.hpp"
#include "dpdk/core/snat_pool.hpp"

namespace svcnat::dpdk {

inline FlowKey4 make_flow_key4(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
                               uint8_t proto) noexcept {
    return make_flow_key<Ip4>(src_ip, dst_ip, src_port, dst_port, proto);
}
inline FlowKey4 flow_key4_of(const ParsedPacket& p) noexcept { return flow_key_of<Inet4>(p); }
inline FlowKey4 icmp_quoted_flow_key4(const ParsedPacket& p) noexcept { return icmp_quoted_flow_key<Inet4>(p); }

// The same flow seen from the other direction.
template <typename Addr>
inline FlowKey<Addr> reversed(const FlowKey<Addr>& k) noexcept {
    return make_flow_key(k.dst_ip, k.src_ip, k.dst_port, k.src_port, k.proto);
}

// The lcore owning a reply-side key (its destination is the SNAT port).
template <typename Addr>
inline uint16_t owner_lcore(const FlowKey<Addr>& reply_side, uint16_t n_lcores) noexcept {
    return owner_lcore_of_port(load_be16(reinterpret_cast<const uint8_t*>(&reply_side.dst_port)), n_lcores);
}

}  // namespace svcnat::dpdk
