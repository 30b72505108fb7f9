// IPv6 Neighbor Discovery (RFC 4861), the IPv6 counterpart of ARP: pure
// byte work on frames, so the rules are unit-tested without EAL; the gateway (dpdk/gateway/worker.cpp) decides
// which addresses it owns and moves the mbufs.
//
// Accepted Neighbor Solicitations / Advertisements: hop limit 255 (so they
// cannot come from off-link), code 0, a valid checksum, at least the fixed
// 24 bytes, a unicast target, well-formed options (length ≥ 1, within the
// message). Duplicate Address Detection probes (source ::) are not
// answered: the gateway's addresses are configured, not auto-configured.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "inet.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

inline constexpr uint8_t kNdNeighborSolicitation = 135;
inline constexpr uint8_t kNdNeighborAdvertisement = 136;
// Ethernet + IPv6 + NS/NA with one link-layer address option.
inline constexpr size_t kNdFrameLen = 14 + 40 + 24 + 8;

struct NdMessage {
    uint8_t type = 0;          // kNdNeighborSolicitation / kNdNeighborAdvertisement
    Ip6 target{};
    bool has_lladdr = false;   // NS: source link-layer address; NA: target link-layer address
    MacAddr lladdr{};
    bool solicited = false;    // NA S flag
};

// The NS or NA in a frame that parse_frame() accepted as ICMPv6 type 135/136;
// nullopt when it breaks a rule above.
std::optional<NdMessage> parse_nd(std::span<const uint8_t> frame, const ParsedPacket& p) noexcept;

// The solicited-node multicast address of `target` (ff02::1:ffXX:XXXX) and
// its Ethernet multicast MAC (33:33:ff:XX:XX:XX).
Ip6 solicited_node(const Ip6& target) noexcept;
MacAddr multicast_mac(const Ip6& group) noexcept;

// Writes a complete Neighbor Advertisement frame (kNdFrameLen bytes into
// `out`): from `own` (the target address, with `own_mac` as target
// link-layer address, flags Solicited + Override) to `to` / `to_mac`.
void write_neighbor_advertisement(std::span<uint8_t> out, const MacAddr& own_mac, const Ip6& own,
                                  const MacAddr& to_mac, const Ip6& to) noexcept;

// Writes a complete Neighbor Solicitation frame (kNdFrameLen bytes) for
// `target` from `src` / `src_mac`, to the target's solicited-node group.
void write_neighbor_solicitation(std::span<uint8_t> out, const MacAddr& src_mac, const Ip6& src,
                                 const Ip6& target) noexcept;

}  // namespace svcnat::dpdk
