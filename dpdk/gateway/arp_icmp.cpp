#include "arp_icmp.hpp"

#include <rte_arp.h>
#include <rte_byteorder.h>

#include <cstring>

#include "dpdk/core/nd.hpp"

namespace svcnat::dpdk {

ArpVerdict handle_arp_impl(rte_mbuf* m, const rte_ether_addr& port_mac, NeighborTable& neighbors,
                           uint64_t now_tsc, bool (*owns)(const void*, uint32_t), const void* ctx,
                           int32_t* learned) {
    *learned = -1;
    if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) return ArpVerdict::Malformed;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
        arp->arp_plen != sizeof(uint32_t))
        return ArpVerdict::Malformed;
    const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    const uint32_t sip = arp->arp_data.arp_sip;
    const uint32_t tip = arp->arp_data.arp_tip;
    // Both requests and replies tell us where the sender is (RFC 826 merge).
    if (sip != 0) *learned = neighbors.learn(neighbor_addr(Ip4{sip}), arp->arp_data.arp_sha, now_tsc);
    if (op != RTE_ARP_OP_REQUEST) return ArpVerdict::Consumed;
    if (!owns(ctx, tip)) return ArpVerdict::Consumed;

    // Turn the request into the reply in place.
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_sha = port_mac;
    arp->arp_data.arp_tip = sip;
    arp->arp_data.arp_sip = tip;
    rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
    rte_ether_addr_copy(&port_mac, &eth->src_addr);
    return ArpVerdict::Reply;
}

rte_mbuf* build_arp_request(rte_mempool* pool, const rte_ether_addr& src_mac, uint32_t src_ip_be,
                            uint32_t target_ip_be) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return nullptr;
    // Pad to the Ethernet minimum: some drivers (and af_packet) send runts as is.
    const uint16_t len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
    char* data = rte_pktmbuf_append(m, len);
    if (data == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    memset(data, 0, len);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(data);
    memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    rte_ether_addr_copy(&src_mac, &eth->src_addr);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = sizeof(uint32_t);
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = src_mac;
    arp->arp_data.arp_sip = src_ip_be;
    arp->arp_data.arp_tip = target_ip_be;
    return m;
}

rte_mbuf* build_neighbor_solicitation(rte_mempool* pool, const rte_ether_addr& src_mac, const Ip6& src,
                                      const Ip6& target) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return nullptr;
    auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kNdFrameLen));
    if (data == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    MacAddr mac;
    std::memcpy(mac.data(), src_mac.addr_bytes, 6);
    write_neighbor_solicitation({data, kNdFrameLen}, mac, src, target);
    return m;
}

}  // namespace svcnat::dpdk
