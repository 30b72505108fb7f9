// ARP, which the gateway answers itself so that the upstream router and the
// backends can reach the addresses it owns (VIPs, SNAT addresses, port
// addresses), and the ARP requests and Neighbor Solicitations it sends.
// Echo (both families) and Neighbor Discovery's rules are pure code in
// dpdk/core (echo.hpp, nd.hpp).
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
