// One forwarding lcore: receives on its own queue of every port, runs the
// full-NAT pipeline on bursts, hands replies that belong to another lcore's
// SNAT partition over that lcore's ring, and transmits through per-port tx
// buffers. poll_once() is one loop iteration, so tests and the benchmark
// drive exactly the code the daemon runs.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "dpdk/core/parse.hpp"
#include "flow_table.hpp"

namespace svcnat::dpdk {

class Gateway;
class GatewaySnapshot;
struct LcoreStats;

inline constexpr uint16_t kBurst = 32;

class Worker {
public:
    // Throws std::runtime_error when tables cannot be allocated.
    Worker(Gateway& gw, uint16_t index);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Receive from every port and the hand-off ring, process, flush tx,
    // sweep a few flows for expiry. Returns packets received.
    uint32_t poll_once();
    // The lcore main loop: poll until the gateway stops; reports RCU
    // quiescent states between iterations.
    void run();

    // Process a burst that arrived on port `in_port` (index into
    // Gateway::ports()), at the time poll_once() last read. Takes ownership
    // of the mbufs.
    void process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port);
    // Transmit everything buffered.
    void flush();

    uint16_t index() const { return index_; }
    // The flow table of a family (FlowTable4 / FlowTable6).
    template <typename Addr>
    FlowTable<Addr>& flows() {
        if constexpr (std::is_same_v<Addr, Ip4>) return *flows4_; else return *flows6_;
    }

private:
    // The NAT path, one template for both families (F = Inet4 / Inet6);
    // `which` lists the packets of family F in pkts/parsed.
    template <typename F>
    void handle_nat(rte_mbuf** pkts, ParseResult* parsed, const uint16_t* which, uint16_t n, uint16_t in_port,
                    const GatewaySnapshot* snap);
    // Opens a flow for m and forwards it; its index, or kNone when m was dropped.
    template <typename F>
    uint32_t new_flow(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap);
    template <typename F>
    void forward_to_backend(rte_mbuf* m, ParsedPacket& p, uint32_t idx);
    template <typename F>
    void forward_to_client(rte_mbuf* m, ParsedPacket& p, uint32_t idx);
    // `tries_left`: how many other workers may still be asked about a
    // client-side error whose flow is not in this worker's table (the
    // worker count − 1 for one straight from the port).
    template <typename F>
    void handle_icmp_error(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, uint16_t tries_left);
    // Passes such an error to the next worker (its hand-off ring, marked).
    void pass_icmp_error(rte_mbuf* m, uint16_t in_port, uint16_t tries_left);
    // One such error another worker passed to this one.
    void take_passed_icmp_error(rte_mbuf* m);
    static constexpr uint16_t kPassedIcmpError = 0x8000;  // in m->port on the hand-off ring
    template <typename F>
    void sweep(uint64_t now_tsc);
    template <typename Addr>
    void fold_traffic(const FlowEntryOf<Addr>& e, const FlowRoute& r, FoldedTraffic& f);
    // Which side of a flow a packet (or the packet an ICMP error quotes)
    // addressed to dst:port is on (not to be confused with a flow entry's
    // reply-side key); for a reply of this lcore, its lease's local id.
    // Consumed: dropped or handed to the owner lcore.
    enum class PacketSide : uint8_t { Client, Reply, Consumed };
    template <typename F>
    [[gnu::always_inline]] inline PacketSide classify(rte_mbuf* m, uint16_t in_port, bool replies_here, const typename F::Addr& dst,
                         uint16_t dst_port_raw, uint32_t* lease);
    // Hands a packet whose flow lives in another lcore's table over to it.
    void hand_off(rte_mbuf* m, uint16_t owner, uint16_t in_port);
    // ARP, Neighbor Discovery and echo. Returns false when the caller should free m.
    bool handle_local(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap);
    bool handle_arp_frame(rte_mbuf* m, uint16_t in_port, const GatewaySnapshot* snap);
    bool handle_nd(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap);
    // Per packet, inline by request: GCC kept it out of line (many callers).
    [[gnu::always_inline]] inline void send(uint16_t port, rte_mbuf* m);
    void drop(rte_mbuf* m);
    void release_held(int32_t slot);

    Gateway& gw_;
    uint16_t index_;
    LcoreStats& stats_;
    std::unique_ptr<FlowTable4> flows4_;
    std::unique_ptr<FlowTable6> flows6_;
    std::vector<rte_eth_dev_tx_buffer*> tx_;  // per port, on tx queue index_
    std::vector<uint64_t> tx_dropped_;        // rte_eth_tx_buffer error callback counters
    // Per-packet totals counted in plain members and published to the
    // shared LcoreStats once per flush(): one relaxed store per counter per
    // iteration instead of per packet.
    struct PendingCounts {
        uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, to_backend = 0, to_client = 0;
    } pending_;
    uint64_t now_ms_ = 0;
    uint64_t tsc_per_ms_ = 1;
    SweepPacer sweep_pacer_[2];  // per family (Inet4/Inet6::kIndex)
};

}  // namespace svcnat::dpdk
