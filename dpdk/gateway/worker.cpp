#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <stdexcept>
#include <string>

#include "arp_icmp.hpp"
#include "dpdk/core/echo.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/nd.hpp"
#include "gateway.hpp"

namespace svcnat::dpdk {

namespace {

std::span<uint8_t> frame_of(rte_mbuf* m) {
    return {rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m)};
}

MacAddr to_mac(const rte_ether_addr& a) {
    MacAddr m;
    std::memcpy(m.data(), a.addr_bytes, 6);
    return m;
}

void set_dst_mac(rte_mbuf* m, const rte_ether_addr& mac) {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), mac.addr_bytes, 6);
}

void set_src_mac(rte_mbuf* m, const rte_ether_addr& mac) {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*) + 6, mac.addr_bytes, 6);
}

}  // namespace

Worker::Worker(Gateway& gw, uint16_t index) : gw_(gw), index_(index), stats_(gw.stats(index)) {
    static std::atomic<uint32_t> seq{0};
    const int socket = static_cast<int>(rte_socket_id()) == SOCKET_ID_ANY ? 0 : static_cast<int>(rte_socket_id());
    const std::string tag = std::to_string(seq.fetch_add(1));
    flows4_ = FlowTable4::create("svcnat_fl" + tag, gw.config().flows_per_lcore, socket,
                                 gw.snat<Ip4>() != nullptr ? gw.snat<Ip4>()->local_ids() : 0);
    // IPv6 flows only when an IPv6 SNAT address exists: without one no
    // IPv6 flow can be created, and the table's memory would be wasted.
    if (gw.snat<Ip6>() != nullptr)
        flows6_ = FlowTable6::create("svcnat_fl6_" + tag, gw.config().flows_per_lcore, socket,
                                     gw.snat<Ip6>()->local_ids());
    if (!flows4_ || (gw.snat<Ip6>() != nullptr && !flows6_))
        throw std::runtime_error("worker " + std::to_string(index) + ": cannot allocate the flow table");
    const size_t nports = gw.ports().size();
    tx_dropped_.assign(nports, 0);  // sized once: the tx buffers keep pointers into it
    for (size_t p = 0; p < nports; ++p) {
        auto* buf = static_cast<rte_eth_dev_tx_buffer*>(
            rte_zmalloc_socket("svcnat_txbuf", RTE_ETH_TX_BUFFER_SIZE(kBurst), 0, socket));
        if (buf == nullptr) throw std::runtime_error("worker: cannot allocate tx buffers");
        rte_eth_tx_buffer_init(buf, kBurst);
        rte_eth_tx_buffer_set_err_callback(buf, rte_eth_tx_buffer_count_callback, &tx_dropped_[p]);
        tx_.push_back(buf);
    }
    tsc_per_ms_ = std::max<uint64_t>(rte_get_tsc_hz() / 1000, 1);
    // At most 4096 slots per call: about 4096 cold entries (tens of µs), a
    // bounded hiccup even after a stall.
    for (auto& pacer : sweep_pacer_) pacer = SweepPacer(gw.config().flow_sweep_ms * tsc_per_ms_, 4096);
}

Worker::~Worker() {
    for (auto* b : tx_) {
        for (uint16_t i = 0; i < b->length; ++i) rte_pktmbuf_free(b->pkts[i]);
        rte_free(b);
    }
}

void Worker::drop(rte_mbuf* m) { rte_pktmbuf_free(m); }

inline void Worker::send(uint16_t port, rte_mbuf* m) {
    rte_eth_tx_buffer(gw_.ports()[port].port_id, index_, tx_[port], m);
    ++pending_.tx_packets;
}

void Worker::flush() {
    for (size_t p = 0; p < tx_.size(); ++p) {
        rte_eth_tx_buffer_flush(gw_.ports()[p].port_id, index_, tx_[p]);
    }
    if (pending_.rx_packets | pending_.tx_packets) {
        stats_.rx_packets.add(pending_.rx_packets);
        stats_.rx_bytes.add(pending_.rx_bytes);
        stats_.tx_packets.add(pending_.tx_packets);
        stats_.to_backend.add(pending_.to_backend);
        stats_.to_client.add(pending_.to_client);
        pending_ = {};
    }
    // The callback counts packets the device refused (also on the implicit
    // flushes inside rte_eth_tx_buffer); move them from tx to tx_full.
    for (size_t p = 0; p < tx_.size(); ++p) {
        if (tx_dropped_[p] == 0) continue;
        stats_.app_drops[static_cast<size_t>(AppDrop::TxFull)].add(tx_dropped_[p]);
        stats_.tx_packets.set(stats_.tx_packets.get() - tx_dropped_[p]);
        tx_dropped_[p] = 0;
    }
}

uint32_t Worker::poll_once() {
    // One clock reading per iteration (rdtsc and the division to ms cost
    // about as much as parsing a packet): flows touched by this iteration's
    // packets are stamped with it, and the sweep ages flows by it, traffic
    // or not.
    const uint64_t now_tsc = rte_get_tsc_cycles();
    now_ms_ = now_tsc / tsc_per_ms_;
    // The heartbeat /healthz reads (a stalled worker fails it): two stores
    // to this worker's own first counter line.
    stats_.loop_iterations.add();
    stats_.last_poll_tsc.set(now_tsc);
    rte_mbuf* pkts[kBurst];
    uint32_t total = 0;
    const auto& ports = gw_.ports();
    for (uint16_t p = 0; p < ports.size(); ++p) {
        const uint16_t n = rte_eth_rx_burst(ports[p].port_id, index_, pkts, kBurst);
        if (n == 0) continue;
        total += n;
        process_burst(pkts, n, p);
    }
    // Replies that other lcores received for our SNAT partition. Their
    // mbuf->port holds the index of the port they arrived on.
    const unsigned n = rte_ring_sc_dequeue_burst(gw_.handoff_ring(index_), reinterpret_cast<void**>(pkts), kBurst,
                                                 nullptr);
    if (n > 0) {
        stats_.handoff_in.add(n);
        unsigned start = 0;
        for (unsigned i = 1; i <= n; ++i) {
            if (i == n || pkts[i]->port != pkts[start]->port) {
                if (pkts[start]->port & kPassedIcmpError) {
                    for (unsigned k = start; k < i; ++k) take_passed_icmp_error(pkts[k]);
                } else {
                    process_burst(pkts + start, static_cast<uint16_t>(i - start), pkts[start]->port);
                }
                start = i;
            }
        }
        total += n;
    }
    if (index_ == 0) {
        // The main lcore's ARP requests and solicitations, m->port = port index.
        const unsigned c = rte_ring_sc_dequeue_burst(gw_.control_tx_ring(), reinterpret_cast<void**>(pkts), kBurst,
                                                     nullptr);
        for (unsigned i = 0; i < c; ++i) send(pkts[i]->port, pkts[i]);
    }
    flush();
    sweep<Inet4>(now_tsc);
    if (flows6_) sweep<Inet6>(now_tsc);
    return total;
}

void Worker::run() {
    rte_rcu_qsbr* rcu = gw_.rcu();
    rte_rcu_qsbr_thread_register(rcu, index_);
    rte_rcu_qsbr_thread_online(rcu, index_);
    while (gw_.running()) {
        poll_once();
        // No snapshot pointer survives this point: the main lcore may now
        // free snapshots older than the current one.
        rte_rcu_qsbr_quiescent(rcu, index_);
    }
    rte_rcu_qsbr_thread_offline(rcu, index_);
    rte_rcu_qsbr_thread_unregister(rcu, index_);
}

// The housekeeping sweep of one family's table, paced by time: adds what
// each flow carried since the last visit to its service's and backend's
// counters (the fast path counts only in the flow entry, whose cache line
// it touches anyway: four shared per-packet counter updates cost 15 % of
// the established rate in scripts/bench-gateway), and removes idle flows,
// returning their SNAT ports.
template <typename F>
void Worker::sweep(uint64_t now_tsc) {
    using Addr = typename F::Addr;
    SnatPool<Addr>* snat = gw_.snat<Addr>();
    FlowTable<Addr>& flows = this->flows<Addr>();
    const uint32_t budget = sweep_pacer_[F::kIndex].due(now_tsc, flows.capacity());
    if (budget == 0) return;
    const FlowTimeouts& timeouts = gw_.flow_timeouts();
    const uint32_t n = flows.sweep(budget, [&](const FlowEntryOf<Addr>& e, const FlowRoute& r, FoldedTraffic& f) {
        fold_traffic(e, r, f);
        if (!e.expired(now_ms_, timeouts)) return false;
        snat->release(index_, {e.reply_side.dst_ip, rte_be_to_cpu_16(e.reply_side.dst_port)});
        return true;
    });
    if (n > 0) {
        stats_.expired_flows.add(n);
        if constexpr (F::kL3 == L3Kind::IPv6) {
            stats_.expired_flows_ipv6.add(n);
            stats_.active_flows_ipv6.set(flows.size());
        }
        stats_.active_flows.set(flows4_->size() + (flows6_ ? flows6_->size() : 0));
    }
}

template <typename Addr>
void Worker::fold_traffic(const FlowEntryOf<Addr>& e, const FlowRoute& r, FoldedTraffic& f) {
    const uint64_t packets = e.packets[0] + e.packets[1];
    if (packets == f.packets) return;
    const uint64_t bytes = e.bytes[0] + e.bytes[1];
    auto& st = gw_.service_traffic().at(index_, r.service_stat);
    auto& bt = gw_.backend_traffic().at(index_, r.backend_stat);
    st.packets.add(packets - f.packets);
    bt.packets.add(packets - f.packets);
    st.bytes.add(bytes - f.bytes);
    bt.bytes.add(bytes - f.bytes);
    f = {packets, bytes};
}

// Replies (and ICMP errors about them) are what arrives on a port facing
// backends for one of the family's SNAT addresses; their flow is in the
// table of the lcore owning the SNAT port, found by the lease's local id.
// A reply to a port outside the SNAT range is dropped, one for another
// lcore handed over: both Consumed.
// Inline (per packet): as a call it cost ~30 instructions per packet.
template <typename F>
inline Worker::PacketSide Worker::classify(rte_mbuf* m, uint16_t in_port, bool replies_here, const typename F::Addr& dst,
                                     uint16_t dst_port_raw, uint32_t* lease) {
    const int32_t snat_addr = replies_here ? gw_.snat_index(dst) : -1;
    if (snat_addr < 0) return PacketSide::Client;
    const SnatPool<typename F::Addr>& snat = *gw_.snat<typename F::Addr>();
    const uint16_t port = load_be16(reinterpret_cast<const uint8_t*>(&dst_port_raw));
    if (!snat.port_in_range(port)) {
        stats_.drop(DropReason::NoFlow);
        drop(m);
        return PacketSide::Consumed;
    }
    const uint16_t owner = owner_lcore_of_port(port, gw_.worker_count());
    if (owner != index_) {
        hand_off(m, owner, in_port);
        return PacketSide::Consumed;
    }
    *lease = snat.local_id(static_cast<uint32_t>(snat_addr), port);
    return PacketSide::Reply;
}

void Worker::hand_off(rte_mbuf* m, uint16_t owner, uint16_t in_port) {
    m->port = in_port;
    if (rte_ring_mp_enqueue(gw_.handoff_ring(owner), m) != 0) {
        stats_.drop(AppDrop::HandoffFull);
        drop(m);
    } else {
        stats_.handoff_out.add();
    }
}

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port) {
    const GatewaySnapshot* snap = gw_.snapshot();
    // Raw storage, each slot constructed by parse_frame below: a plain
    // `ParseResult parsed[kBurst]` value-initialises all 32 (its members have
    // initialisers), a 5.8 KiB memset per burst that was 180 of the ~1300
    // instructions per packet under callgrind.
    static_assert(std::is_trivially_destructible_v<ParseResult>);
    alignas(ParseResult) unsigned char parsed_storage[kBurst * sizeof(ParseResult)];
    auto* parsed = reinterpret_cast<ParseResult*>(parsed_storage);
    uint16_t nat4[kBurst], nat6[kBurst];  // indexes into pkts/parsed
    uint16_t n4 = 0, n6 = 0;
    // Prefetch every mbuf header of the burst first, so that their misses
    // overlap, then the frames a few packets ahead: reading the next frame's
    // address from a cold header one packet ahead serialised the misses and
    // was a quarter of process_burst's time in perf (l3fwd does the same).
    constexpr uint16_t kPrefetchAhead = 4;
    for (uint16_t i = 0; i < n; ++i) rte_prefetch0(pkts[i]);
    for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        ++pending_.rx_packets;
        pending_.rx_bytes += rte_pktmbuf_pkt_len(m);
        if (m->nb_segs != 1) {  // jumbo chains: the parser sees one contiguous frame only
            stats_.drop(DropReason::Truncated);
            drop(m);
            continue;
        }
        // Parse straight into packet i's slot (guaranteed copy elision): a
        // ParsedPacket is ~250 bytes, copying it per packet shows up.
        ParseResult* r = new (&parsed[i]) ParseResult(
            parse_frame({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)}));
        if (!r->ok()) {
            stats_.drop(r->drop);
            drop(m);
            continue;
        }
        ParsedPacket& p = r->pkt;
        const bool l4_nat = p.l4_proto == kProtoTcp || p.l4_proto == kProtoUdp;
        if (p.l3 == L3Kind::IPv4) {
            if (l4_nat) {
                nat4[n4++] = i;
                continue;
            }
            if (p.l4_proto == kProtoIcmp && p.icmp_quotes_packet) {
                handle_icmp_error<Inet4>(m, p, in_port, static_cast<uint16_t>(gw_.worker_count() - 1));
                continue;
            }
        } else if (p.l3 == L3Kind::IPv6) {
            stats_.rx_ipv6.add();
            if (l4_nat) {
                nat6[n6++] = i;
                continue;
            }
            if (p.l4_proto == kProtoIcmpv6 && p.icmp_quotes_packet) {
                handle_icmp_error<Inet6>(m, p, in_port, static_cast<uint16_t>(gw_.worker_count() - 1));
                continue;
            }
        }
        if (!handle_local(m, p, in_port, snap)) drop(m);
    }
    if (n4 > 0) handle_nat<Inet4>(pkts, parsed, nat4, n4, in_port, snap);
    if (n6 > 0) handle_nat<Inet6>(pkts, parsed, nat6, n6, in_port, snap);
}

bool Worker::handle_arp_frame(rte_mbuf* m, uint16_t in_port, const GatewaySnapshot* snap) {
    const PortRuntime& port = gw_.ports()[in_port];
    int32_t learned = -1;
    auto owns = [&](uint32_t ip) { return gw_.owns(in_port, Ip4{ip}, snap); };
    switch (handle_arp(m, port.mac, gw_.neighbors(), rte_get_tsc_cycles(), owns, &learned)) {
        case ArpVerdict::Reply:
            stats_.arp_replies.add();
            send(in_port, m);
            break;
        case ArpVerdict::Consumed:
            drop(m);
            break;
        case ArpVerdict::Malformed:
            stats_.drop(DropReason::BadArp);
            drop(m);
            break;
    }
    if (learned >= 0) {
        stats_.arp_learned.add();
        release_held(learned);
    }
    return true;
}

// Neighbor Discovery: answer solicitations for what this port owns, learn
// from solicitations and advertisements of neighbours we track (RFC 4861
// §7.2.3 and §7.2.5, without the router bits the gateway does not need).
bool Worker::handle_nd(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap) {
    const auto nd = parse_nd({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)}, p);
    if (!nd) {
        stats_.drop(DropReason::BadL4Header);
        return false;
    }
    const PortRuntime& port = gw_.ports()[in_port];
    int32_t learned = -1;
    if (nd->has_lladdr || nd->type == kNdNeighborAdvertisement) {
        const Ip6& who = nd->type == kNdNeighborSolicitation ? p.src_ip6 : nd->target;
        rte_ether_addr mac;
        std::memcpy(mac.addr_bytes, nd->has_lladdr ? nd->lladdr.data() : p.src_mac.data(), 6);
        learned = gw_.neighbors().learn(who, mac, rte_get_tsc_cycles());
    }
    bool kept = false;
    const bool dad = std::all_of(p.src_ip6.begin(), p.src_ip6.end(), [](uint8_t b) { return b == 0; });
    if (nd->type == kNdNeighborSolicitation && !dad && gw_.owns(in_port, nd->target, snap)) {
        // The answer goes to the solicitor's link-layer address: from its
        // option, else the frame's source.
        MacAddr to_mac = nd->has_lladdr ? nd->lladdr : p.src_mac;
        const Ip6 to = p.src_ip6;
        if (rte_pktmbuf_data_len(m) < kNdFrameLen &&
            rte_pktmbuf_append(m, static_cast<uint16_t>(kNdFrameLen - rte_pktmbuf_data_len(m))) == nullptr) {
            stats_.drop(AppDrop::TxFull);
            return false;
        }
        rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - kNdFrameLen));
        MacAddr own_mac;
        std::memcpy(own_mac.data(), port.mac.addr_bytes, 6);
        write_neighbor_advertisement({rte_pktmbuf_mtod(m, uint8_t*), kNdFrameLen}, own_mac, nd->target, to_mac, to);
        stats_.nd_advertisements.add();
        send(in_port, m);
        kept = true;
    }
    if (learned >= 0) {
        stats_.nd_learned.add();
        release_held(learned);
    }
    if (!kept) drop(m);
    return true;
}

// ARP, Neighbor Discovery and ICMP/ICMPv6 echo. Returns false when the
// caller should free m.
bool Worker::handle_local(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap) {
    const PortRuntime& port = gw_.ports()[in_port];
    if (p.l3 == L3Kind::Arp) return handle_arp_frame(m, in_port, snap);
    if (p.l3 == L3Kind::IPv6 && p.l4_proto == kProtoIcmpv6 &&
        (p.icmp_type == kNdNeighborSolicitation || p.icmp_type == kNdNeighborAdvertisement))
        return handle_nd(m, p, in_port, snap);
    auto served = [&](const auto& ip) { return gw_.owns(in_port, ip, snap) || (snap != nullptr && snap->is_vip(ip)); };
    const bool for_us = p.l3 == L3Kind::IPv4 ? served(p.dst_ip4) : served(p.dst_ip6);
    if (!p.has_vlan && for_us) {
        switch (answer_echo(frame_of(m), p)) {
            case EchoVerdict::Reply:
                set_src_mac(m, port.mac);
                stats_.icmp_echo_replies.add();
                send(in_port, m);
                return true;
            case EchoVerdict::Malformed:
                stats_.drop(DropReason::BadL4Header);
                return false;
            case EchoVerdict::NotEcho:
                break;
        }
    }
    // ICMP to one of our addresses that is neither an echo request nor an
    // error about a flow (those were translated before this point, in the
    // flow lookup); anything else is for addresses the gateway neither owns
    // nor serves.
    if (for_us)
        stats_.drop(DropReason::UnsupportedProtocol);
    else
        stats_.drop(AppDrop::NotForUs);
    return false;
}

template <typename F>
void Worker::handle_nat(rte_mbuf** pkts, ParseResult* parsed, const uint16_t* which, uint16_t n, uint16_t in_port,
                        const GatewaySnapshot* snap) {
    using Addr = typename F::Addr;
    using Key = FlowKey<Addr>;
    constexpr uint32_t kNone = FlowTable<Addr>::kNone;
    if (gw_.snat<Addr>() == nullptr) {  // no SNAT address of this family: nothing to look up or create
        for (uint16_t i = 0; i < n; ++i) {
            stats_.drop(AppDrop::NoSnatAddress);
            drop(pkts[which[i]]);
        }
        return;
    }
    FlowTable<Addr>& flows = this->flows<Addr>();
    // Client packets: keys for one bulk lookup. Replies: their flow by the
    // SNAT lease they are addressed to.
    Key keys[kBurst];
    const Key* key_ptrs[kBurst];
    uint32_t sigs[kBurst];
    uint16_t client_pos[kBurst], reply_pos[kBurst];  // packets (index into pkts/parsed)
    uint32_t reply_idx[kBurst];
    uint16_t nc = 0, nr = 0;
    // Replies come from backends: on a port that faces only clients every
    // packet is a client's (a "reply" forged there finds no service), and
    // the SNAT-address test is not even asked.
    const bool replies_here = gw_.config().ports[in_port].faces_backends();
    for (uint16_t i = 0; i < n; ++i) {
        const uint16_t at = which[i];
        const ParsedPacket& p = parsed[at].pkt;
        uint32_t lease = 0;
        const PacketSide side = classify<F>(pkts[at], in_port, replies_here, F::dst(p), p.dst_port, &lease);
        if (side == PacketSide::Consumed) continue;
        if (side == PacketSide::Client) {
            Key& k = keys[nc];
            set_flow_key<F>(k, p);
            key_ptrs[nc] = &k;
            sigs[nc] = FlowTable<Addr>::hash(k);
            client_pos[nc++] = at;
            continue;
        }
        reply_idx[nr] = flows.reply_candidate(lease);
        if (reply_idx[nr] != kNone) flows.prefetch(reply_idx[nr]);
        reply_pos[nr++] = at;
    }
    uint32_t idx[kBurst];
    if (nc > 0) {
        flows.lookup_bulk(key_ptrs, sigs, nc, idx);
        // The entries of the whole burst are fetched while the first packets
        // are rewritten (each is cold: tables hold up to a million flows per
        // lcore).
        for (uint16_t j = 0; j < nc; ++j)
            if (idx[j] != kNone) flows.prefetch(idx[j]);
    }
    for (uint16_t j = 0; j < nr; ++j) {
        rte_mbuf* m = pkts[reply_pos[j]];
        ParsedPacket& p = parsed[reply_pos[j]].pkt;
        const uint32_t r = reply_idx[j];
        if (r == kNone || !flows.is_reply_of(r, flow_key_of<F>(p))) {
            stats_.drop(DropReason::NoFlow);
            drop(m);
            continue;
        }
        forward_to_client<F>(m, p, r);
    }
    // Flows created by this burst (their keys' positions): a later packet
    // of the same new flow missed the lookup too, and must join the flow
    // rather than open a second one with another SNAT port.
    uint16_t created[kBurst];
    uint16_t ncreated = 0;
    for (uint16_t j = 0; j < nc; ++j) {
        rte_mbuf* m = pkts[client_pos[j]];
        ParsedPacket& p = parsed[client_pos[j]].pkt;
        if (idx[j] == kNone) {
            for (uint16_t c = 0; c < ncreated; ++c) {
                const uint16_t k = created[c];
                if (sigs[k] == sigs[j] && keys[k] == keys[j]) {
                    idx[j] = idx[k];
                    break;
                }
            }
        }
        if (idx[j] != kNone) {
            forward_to_backend<F>(m, p, idx[j]);
        } else if ((idx[j] = new_flow<F>(m, p, in_port, snap)) != kNone) {
            created[ncreated++] = j;
        }
    }
}

template <typename F>
uint32_t Worker::new_flow(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap) {
    using Addr = typename F::Addr;
    auto fail = [&](DropReason r) {
        stats_.drop(r);
        drop(m);
        return FlowTable<Addr>::kNone;
    };
    if (p.l4_proto == kProtoTcp) {
        if (tcp_flags_invalid(p.tcp_flags)) return fail(DropReason::BadTcpFlags);
        if (!tcp_opens_flow(p.tcp_flags)) return fail(DropReason::NoFlow);
    }
    if (snap == nullptr || !gw_.config().ports[in_port].faces_clients()) return fail(DropReason::NoService);
    const ServiceKey<Addr> key = make_service_key(F::dst(p), p.dst_port, p.l4_proto);
    const ServiceForwarding<Addr>* svc = snap->find(key);
    if (svc == nullptr) {
        // Not a service: maybe still for us (e.g. a port address), never forwarded.
        return fail(DropReason::NoService);
    }
    if (!snap->core().source_allowed(key, F::src(p)))
        return fail(DropReason::SourceNotAllowed);  // loadBalancerSourceRanges
    const FlowKey<Addr> client_key = flow_key_of<F>(p);
    const Backend<Addr>* b = svc->service->select(client_key);
    if (b == nullptr) return fail(DropReason::NoBackend);
    const size_t bi = static_cast<size_t>(b - svc->service->backends.data());
    if (svc->neighbor_slot[bi] < 0) {
        stats_.drop(AppDrop::NoRoute);
        drop(m);
        return FlowTable<Addr>::kNone;
    }
    SnatPool<Addr>* snat = gw_.snat<Addr>();
    auto lease = snat->allocate(index_);
    if (!lease) {
        stats_.snat_exhausted.add();
        return fail(DropReason::SnatExhausted);
    }
    const FlowEntryOf<Addr> e =
        make_flow_entry(client_key, b->ip, b->port, lease->addr, rte_cpu_to_be_16(lease->port), index_, now_ms_);
    FlowRoute route;
    route.backend_neighbor = svc->neighbor_slot[bi];
    route.backend_port = svc->egress_port[bi];
    route.client_port = in_port;
    std::memcpy(route.client_mac, p.src_mac.data(), 6);
    route.service_stat = svc->stat_id;
    route.backend_stat = svc->backend_stat_id[bi];
    FlowTable<Addr>& flows = this->flows<Addr>();
    const int32_t snat_addr = gw_.snat_index(lease->addr);
    const uint32_t idx = flows.insert(e, route, snat->local_id(static_cast<uint32_t>(snat_addr), lease->port));
    if (idx == FlowTable<Addr>::kNone) {
        snat->release(index_, *lease);
        return fail(DropReason::FlowTableFull);
    }
    stats_.new_flows.add();
    if constexpr (F::kL3 == L3Kind::IPv6) {
        stats_.new_flows_ipv6.add();
        stats_.active_flows_ipv6.set(flows.size());
    }
    stats_.active_flows.set(flows4_->size() + (flows6_ ? flows6_->size() : 0));
    gw_.service_traffic().at(index_, route.service_stat).flows.add();
    gw_.backend_traffic().at(index_, route.backend_stat).flows.add();
    forward_to_backend<F>(m, p, idx);
    return idx;
}

// forward_to_backend and forward_to_client repeat their first steps on
// purpose: folding them into one function with a direction argument cost a
// third of the established-flow rate (10.7 -> 6.8-7.9 Mpps in
// scripts/bench-gateway).
template <typename F>
void Worker::forward_to_backend(rte_mbuf* m, ParsedPacket& p, uint32_t idx) {
    auto& flows = this->flows<typename F::Addr>();
    auto& e = flows.at(idx);
    const FlowRoute& r = flows.route(idx);
    if (p.l4_proto == kProtoTcp && tcp_flags_invalid(p.tcp_flags)) {
        stats_.drop(DropReason::BadTcpFlags);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (forward_nat<F>(frame, p, e.to_backend(), e.delta[static_cast<size_t>(Direction::FromClient)]) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    e.on_packet(Direction::FromClient, p.tcp_flags, p.l3_total_len, now_ms_);
    const PortRuntime& out = gw_.ports()[r.backend_port];
    ++pending_.to_backend;
    rte_ether_addr mac;
    if (gw_.neighbors().resolved(r.backend_neighbor, &mac)) {
        rewrite_macs(frame, p, to_mac(out.mac), to_mac(mac));
        send(r.backend_port, m);
        return;
    }
    // Park it until ARP/ND answers (the main lcore asks right away); the packet
    // it displaces, if any, is dropped.
    set_src_mac(m, out.mac);
    stats_.held_packets.add();
    rte_mbuf* displaced = gw_.neighbors().hold(r.backend_neighbor, m, rte_get_tsc_cycles());
    if (displaced != nullptr) {
        stats_.drop(AppDrop::NeighborUnresolved);
        drop(displaced);
    }
}

template <typename F>
void Worker::forward_to_client(rte_mbuf* m, ParsedPacket& p, uint32_t idx) {
    auto& flows = this->flows<typename F::Addr>();
    auto& e = flows.at(idx);
    const FlowRoute& r = flows.route(idx);
    if (p.l4_proto == kProtoTcp && tcp_flags_invalid(p.tcp_flags)) {
        stats_.drop(DropReason::BadTcpFlags);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (forward_nat<F>(frame, p, e.to_client(), e.delta[static_cast<size_t>(Direction::FromBackend)]) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    e.on_packet(Direction::FromBackend, p.tcp_flags, p.l3_total_len, now_ms_);
    MacAddr dst;
    std::memcpy(dst.data(), r.client_mac, 6);
    rewrite_macs(frame, p, to_mac(gw_.ports()[r.client_port].mac), dst);
    ++pending_.to_client;
    send(r.client_port, m);
}

// An ICMP or ICMPv6 error quoting a packet of one of our flows (e.g.
// "fragmentation needed" or Packet Too Big from a router in the pod
// network): translated like the flow's packets so that path MTU discovery
// keeps working through full NAT.
template <typename F>
void Worker::handle_icmp_error(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, uint16_t tries_left) {
    using Addr = typename F::Addr;
    if (gw_.snat<Addr>() == nullptr) {  // no flows of this family
        stats_.drop(DropReason::NoFlow);
        return drop(m);
    }
    const FlowKey<Addr> key = icmp_quoted_flow_key<F>(p);
    // Errors about the reply side come from the pod network, as replies do.
    uint32_t lease = 0;
    const PacketSide side = classify<F>(m, in_port, gw_.config().ports[in_port].faces_backends(), key.dst_ip,
                                         key.dst_port, &lease);
    if (side == PacketSide::Consumed) return;
    const bool about_reply_side = side == PacketSide::Reply;
    FlowTable<Addr>& flows = this->flows<Addr>();
    const uint32_t idx = about_reply_side ? flows.lookup_reply(lease, key) : flows.lookup(key);
    if (idx == FlowTable<Addr>::kNone) {
        // A client-side error (e.g. Packet Too Big from a router on the
        // client's path) reaches whichever worker the NIC's steering picks
        // for its outer addresses, not the one the client's flow hashed to:
        // ask the next worker. Reply-side errors were steered by SNAT port.
        if (!about_reply_side && tries_left > 0) return pass_icmp_error(m, in_port, tries_left);
        stats_.drop(DropReason::NoFlow);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (decrement_ttl<F>(frame, p) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    const auto& e = flows.at(idx);
    const FlowRoute& r = flows.route(idx);
    stats_.icmp_errors_translated.add();
    if (about_reply_side) {
        rewrite_icmp_error(frame, p, e.icmp_error_to_client());
        MacAddr dst;
        std::memcpy(dst.data(), r.client_mac, 6);
        rewrite_macs(frame, p, to_mac(gw_.ports()[r.client_port].mac), dst);
        send(r.client_port, m);
        return;
    }
    rewrite_icmp_error(frame, p, e.icmp_error_to_backend());
    const PortRuntime& out = gw_.ports()[r.backend_port];
    rte_ether_addr mac;
    if (!gw_.neighbors().resolved(r.backend_neighbor, &mac)) {
        stats_.drop(AppDrop::NeighborUnresolved);
        return drop(m);
    }
    rewrite_macs(frame, p, to_mac(out.mac), to_mac(mac));
    send(r.backend_port, m);
}

// Through the next worker's hand-off ring, marked in m->port (the port
// index is below 0x8000) so that it is not taken for a reply; the RSS
// hash, of no further use, carries the tries left.
void Worker::pass_icmp_error(rte_mbuf* m, uint16_t in_port, uint16_t tries_left) {
    m->port = static_cast<uint16_t>(in_port | kPassedIcmpError);
    m->hash.usr = static_cast<uint32_t>(tries_left - 1);
    hand_off(m, static_cast<uint16_t>((index_ + 1) % gw_.worker_count()), m->port);
}

void Worker::take_passed_icmp_error(rte_mbuf* m) {
    const auto in_port = static_cast<uint16_t>(m->port & ~kPassedIcmpError);
    // Parsed again: errors are rare, and the passing worker's parse result
    // lived in its burst.
    ParseResult r = parse_frame({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)});
    const auto tries_left = static_cast<uint16_t>(m->hash.usr);
    if (!r.ok() || !r.pkt.icmp_quotes_packet) drop(m);
    else if (r.pkt.l3 == L3Kind::IPv4) handle_icmp_error<Inet4>(m, r.pkt, in_port, tries_left);
    else handle_icmp_error<Inet6>(m, r.pkt, in_port, tries_left);
}

void Worker::release_held(int32_t slot) {
    rte_mbuf* m = gw_.neighbors().take_held(slot);
    if (m == nullptr) return;
    rte_ether_addr mac;
    if (!gw_.neighbors().resolved(slot, &mac)) {
        // Lost a race with a refresh: put it back for the next answer.
        rte_mbuf* displaced = gw_.neighbors().hold(slot, m, rte_get_tsc_cycles());
        if (displaced != nullptr) drop(displaced);
        return;
    }
    set_dst_mac(m, mac);
    stats_.released_held.add();
    send(gw_.neighbors().port_of(slot), m);
}

}  // namespace svcnat::dpdk
