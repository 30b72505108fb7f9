// Why the gateway did not forward a packet. One counter per reason (per
// lcore in the DPDK application), exported as
// svcnat_gateway_drops_total{reason="<to_string>"}.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace svcnat::dpdk {

enum class DropReason : uint8_t {
    None = 0,              // not dropped
    // --- parsing (parse.hpp) ---
    Truncated,             // frame ends inside a header
    UnsupportedEtherType,  // not IPv4/IPv6/ARP (after at most one VLAN tag)
    StackedVlan,           // QinQ / more than one VLAN tag
    BadArp,                // ARP that is not Ethernet/IPv4 (htype 1, ptype 0x0800)
    BadIpVersion,          // version field disagrees with the EtherType
    BadIhl,                // IPv4 IHL < 5 or header beyond the frame
    BadTotalLength,        // IP length < header, or larger than the frame
    BadIpChecksum,         // only when ParseOptions::verify_ipv4_checksum
    Fragment,              // IPv4 MF set or offset ≠ 0: full NAT needs L4 ports
    Ipv6ExtensionHeader,   // IPv6 next header is an extension header
    UnsupportedProtocol,   // L4 other than TCP, UDP, ICMP/ICMPv6
    BadL4Header,           // TCP data offset / UDP length / ICMP size invalid
    // --- forwarding decisions (gateway) ---
    TtlExpired,            // IPv4 TTL ≤ 1 (or IPv6 hop limit ≤ 1)
    NoService,             // destination VIP:port/proto not in the snapshot
    NoBackend,             // service has no usable endpoint
    NoFlow,                // non-SYN TCP or reply without a flow entry
    BadTcpFlags,           // e.g. SYN+FIN, SYN+RST: never opens a flow
    SnatExhausted,         // lcore's SNAT port partition is empty
    FlowTableFull,         // flow table could not take the new flow
    IcmpNotTranslatable,   // ICMP error whose quoted packet matches no flow
                           // (or quotes no TCP/UDP header), or other non-echo ICMP
    SourceNotAllowed,      // client outside the service's loadBalancerSourceRanges
    Count
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::Count);

// Stable snake_case label, e.g. "bad_ihl".
std::string_view to_string(DropReason r) noexcept;

// Per-lcore counters: plain integers, one writer (the owning lcore); readers
// (telemetry) tolerate torn-free but slightly stale 64-bit values.
struct DropCounters {
    std::array<uint64_t, kDropReasonCount> counts{};
    void add(DropReason r) noexcept { ++counts[static_cast<size_t>(r)]; }
    uint64_t get(DropReason r) const noexcept { return counts[static_cast<size_t>(r)]; }
};

}  // namespace svcnat::dpdk
