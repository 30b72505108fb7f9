// The few control packets the gateway answers itself, so that the upstream
// router and the backends can reach the addresses it owns (VIPs, SNAT
// addresses, port addresses): ARP requests and replies, and ICMP echo
// requests to a VIP or a port address. Each function rewrites the mbuf in
// place into the reply so the caller just transmits it.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>

#include "dpdk/core/inet.hpp"
#include "neighbors.hpp"

namespace svcnat::dpdk {

enum class ArpVerdict : uint8_t {
    Reply,      // m was rewritten into our ARP reply: transmit it on the same port
    Consumed,   // learned from it (or not for us): free it
    Malformed,  // truncated or not Ethernet/IPv4 ARP: count and free it
};

// `owns(ip_be)` says whether this port answers for the address. Learns the
// sender's MAC when the sender is a neighbour the gateway tracks; `learned`
// is set to its slot (or -1).
template <typename Owns>
ArpVerdict handle_arp(rte_mbuf* m, const rte_ether_addr& port_mac, NeighborTable& neighbors, uint64_t now_tsc,
                      Owns&& owns, int32_t* learned);

// Writes an ARP request for target into a fresh mbuf; nullptr when the pool is empty.
rte_mbuf* build_arp_request(rte_mempool* pool, const rte_ether_addr& src_mac, uint32_t src_ip_be,
                            uint32_t target_ip_be);

// Writes a Neighbor Solicitation for target into a fresh mbuf (dpdk/core/nd.hpp
// builds it); nullptr when the pool is empty.
rte_mbuf* build_neighbor_solicitation(rte_mempool* pool, const rte_ether_addr& src_mac, const Ip6& src,
                                      const Ip6& target);

enum class IcmpVerdict : uint8_t { Reply, NotEcho, Malformed };

// m holds Ethernet + IPv4 (l2_len/l3_len need not be set). An echo request is
// turned into an echo reply from the address it was sent to; the Ethernet
// addresses are swapped so it goes back where it came from.
IcmpVerdict answer_echo(rte_mbuf* m);

// ---- implementation of the template ----
ArpVerdict handle_arp_impl(rte_mbuf* m, const rte_ether_addr& port_mac, NeighborTable& neighbors,
                           uint64_t now_tsc, bool (*owns)(const void*, uint32_t), const void* ctx,
                           int32_t* learned);

template <typename Owns>
ArpVerdict handle_arp(rte_mbuf* m, const rte_ether_addr& port_mac, NeighborTable& neighbors, uint64_t now_tsc,
                      Owns&& owns, int32_t* learned) {
    using F = std::remove_reference_t<Owns>;
    return handle_arp_impl(
        m, port_mac, neighbors, now_tsc,
        [](const void* ctx, uint32_t ip) { return (*static_cast<const F*>(ctx))(ip); }, &owns, learned);
}

}  // namespace svcnat::dpdk
