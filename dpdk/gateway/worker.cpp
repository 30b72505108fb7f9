#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstring>
#include <new>
#include <span>
#include <type_traits>
#include <stdexcept>
#include <string>

#include "arp_icmp.hpp"
#include "dpdk/core/nat.hpp"
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
    flows_ = FlowTable::create("svcnat_fl" + std::to_string(seq.fetch_add(1)), gw.config().flows_per_lcore, socket);
    if (!flows_) throw std::runtime_error("worker " + std::to_string(index) + ": cannot allocate the flow table");
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
}

Worker::~Worker() {
    for (auto* b : tx_) {
        for (uint16_t i = 0; i < b->length; ++i) rte_pktmbuf_free(b->pkts[i]);
        rte_free(b);
    }
}

void Worker::drop(rte_mbuf* m) { rte_pktmbuf_free(m); }

void Worker::send(uint16_t port, rte_mbuf* m) {
    rte_eth_tx_buffer(gw_.ports()[port].port_id, index_, tx_[port], m);
    stats_.tx_packets.add();
}

void Worker::flush() {
    for (size_t p = 0; p < tx_.size(); ++p) {
        rte_eth_tx_buffer_flush(gw_.ports()[p].port_id, index_, tx_[p]);
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
                process_burst(pkts + start, static_cast<uint16_t>(i - start), pkts[start]->port);
                start = i;
            }
        }
        total += n;
    }
    if (index_ == 0) {
        // The main lcore's ARP requests, m->port = port index.
        const unsigned c = rte_ring_sc_dequeue_burst(gw_.control_tx_ring(), reinterpret_cast<void**>(pkts), kBurst,
                                                     nullptr);
        for (unsigned i = 0; i < c; ++i) send(pkts[i]->port, pkts[i]);
    }
    flush();
    expire(64);
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

void Worker::expire(uint32_t budget) {
    SnatPool4& snat = gw_.snat();
    const uint32_t n = flows_->expire_some(now_ms_, gw_.config().timeouts, budget,
                                           [&](const FlowEntry& e, const FlowRoute&) {
                                               SnatLease<Ip4> lease{e.reply_side.dst_ip,
                                                               rte_be_to_cpu_16(e.reply_side.dst_port)};
                                               snat.release(index_, lease);
                                           });
    if (n > 0) {
        stats_.expired_flows.add(n);
        stats_.active_flows.set(flows_->size());
    }
}

void Worker::process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port) {
    now_ms_ = rte_get_tsc_cycles() / tsc_per_ms_;
    const GatewaySnapshot* snap = gw_.snapshot();
    static_assert(std::is_trivially_destructible_v<ParseResult>);
    ParseResult parsed[kBurst];
    rte_mbuf* nat[kBurst];
    uint16_t nn = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        rte_mbuf* m = pkts[i];
        stats_.rx_packets.add();
        stats_.rx_bytes.add(rte_pktmbuf_pkt_len(m));
        if (m->nb_segs != 1) {  // jumbo chains: the parser sees one contiguous frame only
            stats_.drop(DropReason::Truncated);
            drop(m);
            continue;
        }
        // Parse straight into the next free slot (guaranteed copy elision):
        // a ParsedPacket is ~200 bytes, copying it per packet shows up.
        ParseResult* r = new (&parsed[nn]) ParseResult(
            parse_frame({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)}));
        if (!r->ok()) {
            stats_.drop(r->drop);
            drop(m);
            continue;
        }
        ParsedPacket& p = r->pkt;
        if (p.l3 == L3Kind::IPv4 && (p.l4_proto == kProtoTcp || p.l4_proto == kProtoUdp)) {
            nat[nn++] = m;
            continue;
        }
        if (p.l3 == L3Kind::IPv4 && p.l4_proto == kProtoIcmp && p.icmp_quotes_packet) {
            handle_icmp_error(m, p, in_port);
            continue;
        }
        if (!handle_local(m, p, in_port, snap)) drop(m);
    }
    if (nn > 0) handle_nat(nat, parsed, nn, in_port, snap);
}

// ARP and ICMP echo. Returns false when the caller should free m.
bool Worker::handle_local(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap) {
    const PortRuntime& port = gw_.ports()[in_port];
    if (p.l3 == L3Kind::Arp) {
        int32_t learned = -1;
        auto owns = [&](uint32_t ip) { return gw_.owns(in_port, ip, snap); };
        const uint64_t now_tsc = rte_get_tsc_cycles();
        switch (handle_arp(m, port.mac, gw_.neighbors(), now_tsc, owns, &learned)) {
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
    if (p.l3 == L3Kind::IPv6) {
        stats_.drop(AppDrop::Ipv6);
        return false;
    }
    if (p.l3 == L3Kind::IPv4 && p.l4_proto == kProtoIcmp && !p.has_vlan &&
        (gw_.owns(in_port, p.dst_ip4, snap) || (snap != nullptr && snap->is_vip(p.dst_ip4)))) {
        switch (answer_echo(m)) {
            case IcmpVerdict::Reply:
                set_src_mac(m, port.mac);
                stats_.icmp_echo_replies.add();
                send(in_port, m);
                return true;
            case IcmpVerdict::Malformed:
                stats_.drop(DropReason::BadL4Header);
                return false;
            case IcmpVerdict::NotEcho:
                break;
        }
    }
    // ICMP to one of our addresses that is neither an echo request nor an
    // error about a flow (those were translated before this point, in the
    // flow lookup); anything else is for addresses the gateway neither owns
    // nor serves.
    if (p.l3 == L3Kind::IPv4 && (gw_.owns(in_port, p.dst_ip4, snap) || (snap != nullptr && snap->is_vip(p.dst_ip4))))
        stats_.drop(DropReason::UnsupportedProtocol);
    else
        stats_.drop(AppDrop::NotForUs);
    return false;
}

void Worker::handle_nat(rte_mbuf** pkts, ParseResult* parsed, uint16_t n, uint16_t in_port,
                        const GatewaySnapshot* snap) {
    FlowKey4 keys[kBurst];
    const FlowKey4* key_ptrs[kBurst];
    uint16_t pos[kBurst];  // which packet each looked-up key belongs to
    bool reply[kBurst];
    uint16_t nk = 0;
    const uint16_t workers = gw_.worker_count();
    for (uint16_t i = 0; i < n; ++i) {
        FlowKey4 k = flow_key4_of(parsed[i].pkt);
        const bool is_reply = gw_.is_snat_address(k.dst_ip);
        if (is_reply) {
            const uint16_t owner = owner_lcore(k, workers);
            if (owner != index_) {
                // The flow lives in the owner's table: hand the packet over.
                pkts[i]->port = in_port;
                if (rte_ring_mp_enqueue(gw_.handoff_ring(owner), pkts[i]) != 0) {
                    stats_.drop(AppDrop::HandoffFull);
                    drop(pkts[i]);
                } else {
                    stats_.handoff_out.add();
                }
                continue;
            }
        }
        keys[nk] = k;
        key_ptrs[nk] = &keys[nk];
        reply[nk] = is_reply;
        pos[nk] = i;
        ++nk;
    }
    if (nk == 0) return;
    FlowTable::Index idx[kBurst];
    flows_->lookup_bulk(key_ptrs, nk, idx);
    for (uint16_t j = 0; j < nk; ++j) {
        rte_mbuf* m = pkts[pos[j]];
        ParsedPacket& p = parsed[pos[j]].pkt;
        if (reply[j]) {
            if (idx[j] == FlowTable::kNone) {
                stats_.drop(DropReason::NoFlow);
                drop(m);
            } else {
                forward_to_client(m, p, idx[j]);
            }
        } else if (idx[j] != FlowTable::kNone) {
            forward_to_backend(m, p, idx[j]);
        } else {
            new_flow(m, p, in_port, snap);
        }
    }
}

void Worker::new_flow(rte_mbuf* m, ParsedPacket& p, uint16_t in_port, const GatewaySnapshot* snap) {
    auto fail = [&](DropReason r) {
        stats_.drop(r);
        drop(m);
    };
    if (p.l4_proto == kProtoTcp) {
        if (tcp_flags_invalid(p.tcp_flags)) return fail(DropReason::BadTcpFlags);
        if (!tcp_opens_flow(p.tcp_flags)) return fail(DropReason::NoFlow);
    }
    if (snap == nullptr || !gw_.config().ports[in_port].faces_clients()) return fail(DropReason::NoService);
    const ServiceExtras* svc = snap->find(make_service_key(p.dst_ip4, p.dst_port, p.l4_proto));
    if (svc == nullptr) {
        // Not a service: maybe still for us (e.g. a port address), never forwarded.
        return fail(DropReason::NoService);
    }
    if (!snap->core().source_allowed(make_service_key(p.dst_ip4, p.dst_port, p.l4_proto), p.src_ip4))
        return fail(DropReason::SourceNotAllowed);  // loadBalancerSourceRanges
    const FlowKey4 client_key = flow_key4_of(p);
    const Backend4* b = svc->service->select(client_key);
    if (b == nullptr) return fail(DropReason::NoBackend);
    const size_t bi = static_cast<size_t>(b - svc->service->backends.data());
    if (svc->neighbor_slot[bi] < 0) {
        stats_.drop(AppDrop::NoRoute);
        drop(m);
        return;
    }
    auto lease = gw_.snat().allocate(index_);
    if (!lease) {
        stats_.snat_exhausted.add();
        return fail(DropReason::SnatExhausted);
    }
    const FlowEntry e = make_flow_entry(client_key, b->ip, b->port, lease->addr, rte_cpu_to_be_16(lease->port),
                                        index_, now_ms_);
    FlowRoute route;
    route.backend_neighbor = svc->neighbor_slot[bi];
    route.backend_port = svc->egress_port[bi];
    route.client_port = in_port;
    std::memcpy(route.client_mac, p.src_mac.data(), 6);
    route.service_stat = svc->stat_id;
    route.backend_stat = svc->backend_stat_id[bi];
    const FlowTable::Index idx = flows_->insert(e, route);
    if (idx == FlowTable::kNone) {
        gw_.snat().release(index_, *lease);
        return fail(DropReason::FlowTableFull);
    }
    stats_.new_flows.add();
    stats_.active_flows.set(flows_->size());
    gw_.service_traffic().at(index_, route.service_stat).flows.add();
    gw_.backend_traffic().at(index_, route.backend_stat).flows.add();
    forward_to_backend(m, p, idx);
}

// forward_to_backend and forward_to_client repeat their first steps on
// purpose: folding them into one function with a direction argument cost a
// third of the established-flow rate (10.7 -> 6.8-7.9 Mpps in
// scripts/bench-gateway).
void Worker::forward_to_backend(rte_mbuf* m, ParsedPacket& p, FlowTable::Index idx) {
    FlowEntry& e = flows_->at(idx);
    const FlowRoute& r = flows_->route(idx);
    if (p.l4_proto == kProtoTcp && tcp_flags_invalid(p.tcp_flags)) {
        stats_.drop(DropReason::BadTcpFlags);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (decrement_ttl<Inet4>(frame, p) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    e.on_packet(Direction::FromClient, p.tcp_flags, p.l3_total_len, now_ms_);
    rewrite_tuple(frame, p, e.to_backend());
    const PortRuntime& out = gw_.ports()[r.backend_port];
    stats_.to_backend.add();
    auto& st = gw_.service_traffic().at(index_, r.service_stat);
    st.packets.add();
    st.bytes.add(p.l3_total_len);
    auto& bt = gw_.backend_traffic().at(index_, r.backend_stat);
    bt.packets.add();
    bt.bytes.add(p.l3_total_len);
    rte_ether_addr mac;
    if (gw_.neighbors().resolved(r.backend_neighbor, &mac)) {
        rewrite_macs(frame, p, to_mac(out.mac), to_mac(mac));
        send(r.backend_port, m);
        return;
    }
    // Park it until ARP answers (the main lcore asks right away); the packet
    // it displaces, if any, is dropped.
    set_src_mac(m, out.mac);
    stats_.held_packets.add();
    rte_mbuf* displaced = gw_.neighbors().hold(r.backend_neighbor, m, rte_get_tsc_cycles());
    if (displaced != nullptr) {
        stats_.drop(AppDrop::NeighborUnresolved);
        drop(displaced);
    }
}

void Worker::forward_to_client(rte_mbuf* m, ParsedPacket& p, FlowTable::Index idx) {
    FlowEntry& e = flows_->at(idx);
    const FlowRoute& r = flows_->route(idx);
    if (p.l4_proto == kProtoTcp && tcp_flags_invalid(p.tcp_flags)) {
        stats_.drop(DropReason::BadTcpFlags);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (decrement_ttl<Inet4>(frame, p) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    e.on_packet(Direction::FromBackend, p.tcp_flags, p.l3_total_len, now_ms_);
    rewrite_tuple(frame, p, e.to_client());
    MacAddr dst;
    std::memcpy(dst.data(), r.client_mac, 6);
    rewrite_macs(frame, p, to_mac(gw_.ports()[r.client_port].mac), dst);
    stats_.to_client.add();
    auto& st = gw_.service_traffic().at(index_, r.service_stat);
    st.packets.add();
    st.bytes.add(p.l3_total_len);
    auto& bt = gw_.backend_traffic().at(index_, r.backend_stat);
    bt.packets.add();
    bt.bytes.add(p.l3_total_len);
    send(r.client_port, m);
}

// An ICMP error quoting a packet of one of our flows (e.g. "fragmentation
// needed" from a router in the pod network): translated like the flow's
// packets so that Path MTU discovery keeps working through full NAT.
void Worker::handle_icmp_error(rte_mbuf* m, ParsedPacket& p, uint16_t in_port) {
    const FlowKey4 key = icmp_quoted_flow_key4(p);
    const bool about_reply_side = gw_.is_snat_address(key.dst_ip);
    if (about_reply_side) {
        const uint16_t owner = owner_lcore(key, gw_.worker_count());
        if (owner != index_) {
            m->port = in_port;
            if (rte_ring_mp_enqueue(gw_.handoff_ring(owner), m) != 0) {
                stats_.drop(AppDrop::HandoffFull);
                drop(m);
            } else {
                stats_.handoff_out.add();
            }
            return;
        }
    }
    const FlowTable::Index idx = flows_->lookup(key);
    if (idx == FlowTable::kNone) {
        stats_.drop(DropReason::NoFlow);
        return drop(m);
    }
    auto frame = frame_of(m);
    if (decrement_ttl<Inet4>(frame, p) != DropReason::None) {
        stats_.drop(DropReason::TtlExpired);
        return drop(m);
    }
    const FlowEntry& e = flows_->at(idx);
    const FlowRoute& r = flows_->route(idx);
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
