// The gateway's real pipeline (Gateway + Worker) on net_ring ports: crafted
// frames go into the rx rings, the tests read what the gateway transmits
// from the tx rings and check addresses, ports, TTL and checksums (recomputed
// with DPDK's helpers), reply translation, ARP/ICMP answers, the hand-off
// between lcores, snapshot reloads and malformed input. Workers are polled
// from the test thread, so every step is deterministic. No root needed.
#include <gtest/gtest.h>
#include <rte_random.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "pipeline_fixture.hpp"

namespace svcnat::dpdk {
namespace {

using namespace test;
using namespace pipeline;

const ::testing::Environment* const eal_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

TEST_F(PipelineTest, SynIsTranslatedToABackendWithValidChecksums) {
    start(1);
    inject(*client_, 0, build_l4(syn(40000)));
    poll_all();
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& f = out[0];
    EXPECT_EQ(f.ether_type(), RTE_ETHER_TYPE_IPV4);
    EXPECT_EQ(f.ip()->src_addr, ip4(kSnat));
    EXPECT_TRUE(f.ip()->dst_addr == ip4(kBackendA) || f.ip()->dst_addr == ip4(kBackendB));
    EXPECT_EQ(rte_be_to_cpu_16(f.tcp()->dst_port), 8080);
    EXPECT_GE(rte_be_to_cpu_16(f.tcp()->src_port), 1024);
    EXPECT_EQ(f.ip()->time_to_live, 63);
    EXPECT_TRUE(f.ip_checksum_ok());
    EXPECT_TRUE(f.l4_checksum_ok());
    EXPECT_TRUE(rte_is_same_ether_addr(&f.eth()->src_addr, &backend_mac_));
    const uint8_t last = f.ip()->dst_addr == ip4(kBackendA) ? 0xa1 : 0xa2;
    EXPECT_EQ(f.eth()->dst_addr.addr_bytes[5], last);
    EXPECT_TRUE(client_->take().empty());
    EXPECT_EQ(gw_->stats(0).new_flows.get(), 1u);
}

TEST_F(PipelineTest, ReplyIsTranslatedBackToTheClient) {
    start(1);
    inject(*client_, 0, build_l4(syn(40001)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    inject(*backend_, 0, build_l4(answer(fwd[0])));
    poll_all();
    auto back = client_->take();
    ASSERT_EQ(back.size(), 1u);
    const Seen& r = back[0];
    EXPECT_EQ(r.ip()->src_addr, ip4(kVip));
    EXPECT_EQ(r.ip()->dst_addr, ip4(kClient));
    EXPECT_EQ(rte_be_to_cpu_16(r.tcp()->src_port), 80);
    EXPECT_EQ(rte_be_to_cpu_16(r.tcp()->dst_port), 40001);
    EXPECT_EQ(r.tcp()->tcp_flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
    EXPECT_TRUE(r.ip_checksum_ok());
    EXPECT_TRUE(r.l4_checksum_ok());
    // Back to the L2 source the client's packet came from.
    rte_ether_addr client_side = mac(0xc1);
    EXPECT_TRUE(rte_is_same_ether_addr(&r.eth()->dst_addr, &client_side));
    EXPECT_TRUE(rte_is_same_ether_addr(&r.eth()->src_addr, &client_mac_));

    // The client's ACK with data follows the same flow.
    L4Spec ack = syn(40001);
    ack.tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
    ack.payload = "GET / HTTP/1.0\r\n\r\n";
    inject(*client_, 0, build_l4(ack));
    poll_all();
    auto data = backend_->take();
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(data[0].ip()->dst_addr, fwd[0].ip()->dst_addr);
    EXPECT_EQ(data[0].tcp()->src_port, fwd[0].tcp()->src_port);
    EXPECT_TRUE(data[0].l4_checksum_ok());
    EXPECT_EQ(gw_->stats(0).new_flows.get(), 1u);
}

// Replies are accepted only where backends are: the same reply, forged on
// the client-facing port (someone outside who guessed the backend, SNAT
// address and port), opens nothing and reaches nobody.
TEST_F(PipelineTest, ReplyForgedOnTheClientSideIsDropped) {
    start(1);
    inject(*client_, 0, build_l4(syn(40002)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    L4Spec forged = answer(fwd[0]);
    forged.dst_mac = client_mac_;
    inject(*client_, 0, build_l4(forged));
    poll_all();
    EXPECT_TRUE(client_->take().empty());
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(drops(DropReason::NoFlow), 1u) << "a SYN-ACK opens nothing";
    forged.tcp_flags = RTE_TCP_SYN_FLAG;
    inject(*client_, 0, build_l4(forged));
    poll_all();
    EXPECT_TRUE(client_->take().empty());
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(drops(DropReason::NoService), 1u) << "a SNAT address is no service";
    // The real reply still gets through.
    inject(*backend_, 0, build_l4(answer(fwd[0])));
    poll_all();
    EXPECT_EQ(client_->take().size(), 1u);
}

TEST_F(PipelineTest, UdpRoundTrip) {
    start(1);
    inject(*client_, 0, build_l4(syn(5000, IPPROTO_UDP)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    EXPECT_EQ(rte_be_to_cpu_16(fwd[0].udp()->dst_port), 5353);
    EXPECT_TRUE(fwd[0].l4_checksum_ok());
    inject(*backend_, 0, build_l4(answer(fwd[0])));
    poll_all();
    auto back = client_->take();
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].ip()->src_addr, ip4(kVip));
    EXPECT_EQ(rte_be_to_cpu_16(back[0].udp()->src_port), 53);
    EXPECT_TRUE(back[0].l4_checksum_ok());
}

TEST_F(PipelineTest, ManyFlowsReachEveryBackendAndRepeatsStickToOne) {
    start(1);
    std::map<uint16_t, uint32_t> first_choice;
    std::set<uint32_t> backends;
    for (uint16_t p = 0; p < 300; ++p) inject(*client_, 0, build_l4(syn(static_cast<uint16_t>(20000 + p))));
    poll_all(20);
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 300u);
    for (const Seen& f : out) {
        backends.insert(f.ip()->dst_addr);
        EXPECT_TRUE(f.ip_checksum_ok() && f.l4_checksum_ok());
    }
    EXPECT_EQ(backends.size(), 2u);
    std::set<uint16_t> snat_ports;
    for (const Seen& f : out) snat_ports.insert(f.tcp()->src_port);
    EXPECT_EQ(snat_ports.size(), 300u) << "every flow needs its own SNAT port";
}

TEST_F(PipelineTest, RepliesOnAnotherLcoreAreHandedToTheOwner) {
    start(2);
    // SYNs on both workers' queues; replies deliberately on the other queue.
    for (uint16_t p = 0; p < 40; ++p) inject(*client_, p % 2, build_l4(syn(static_cast<uint16_t>(30000 + p))));
    poll_all(4);
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 40u);
    for (size_t i = 0; i < fwd.size(); ++i) {
        const uint16_t owner = rte_be_to_cpu_16(fwd[i].tcp()->src_port) % 2;
        inject(*backend_, static_cast<uint16_t>(1 - owner), build_l4(answer(fwd[i])));
    }
    poll_all(4);
    auto back = client_->take();
    ASSERT_EQ(back.size(), 40u);
    for (const Seen& r : back) EXPECT_EQ(r.ip()->src_addr, ip4(kVip));
    EXPECT_EQ(gw_->stats(0).handoff_out.get() + gw_->stats(1).handoff_out.get(), 40u);
    EXPECT_EQ(gw_->stats(0).handoff_in.get() + gw_->stats(1).handoff_in.get(), 40u);
}

TEST_F(PipelineTest, ArpIsAnsweredForOwnedAddressesOnTheRightSide) {
    start(1);
    const rte_ether_addr router = mac(0xee);
    inject(*client_, 0, build_arp(RTE_ARP_OP_REQUEST, router, ip4("192.0.2.254"), ip4(kVip)));
    inject(*client_, 0, build_arp(RTE_ARP_OP_REQUEST, router, ip4("192.0.2.254"), ip4("192.0.2.1")));
    inject(*client_, 0, build_arp(RTE_ARP_OP_REQUEST, router, ip4("192.0.2.254"), ip4("192.0.2.77")));
    inject(*backend_, 0, build_arp(RTE_ARP_OP_REQUEST, mac(0xa1), ip4(kBackendA), ip4(kSnat)));
    inject(*backend_, 0, build_arp(RTE_ARP_OP_REQUEST, mac(0xa1), ip4(kBackendA), ip4(kVip)));
    poll_all();
    auto c = client_->take();
    ASSERT_EQ(c.size(), 2u);  // VIP and port address, not the stranger
    for (const Seen& r : c) {
        EXPECT_EQ(r.ether_type(), RTE_ETHER_TYPE_ARP);
        EXPECT_EQ(rte_be_to_cpu_16(r.arp()->arp_opcode), RTE_ARP_OP_REPLY);
        EXPECT_TRUE(rte_is_same_ether_addr(&r.arp()->arp_data.arp_sha, &client_mac_));
        EXPECT_TRUE(rte_is_same_ether_addr(&r.eth()->dst_addr, &router));
        EXPECT_EQ(r.arp()->arp_data.arp_tip, ip4("192.0.2.254"));
    }
    EXPECT_EQ(c[0].arp()->arp_data.arp_sip, ip4(kVip));
    auto b = backend_->take();
    ASSERT_EQ(b.size(), 1u);  // SNAT address answered; VIPs are not announced to backends
    EXPECT_EQ(b[0].arp()->arp_data.arp_sip, ip4(kSnat));
}

TEST_F(PipelineTest, PingToTheVipIsAnswered) {
    start(1);
    inject(*client_, 0, build_echo(ip4(kClient), ip4(kVip), mac(0xc1), client_mac_, 77, 1));
    poll_all();
    auto out = client_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& r = out[0];
    EXPECT_EQ(r.ip()->src_addr, ip4(kVip));
    EXPECT_EQ(r.ip()->dst_addr, ip4(kClient));
    EXPECT_TRUE(r.ip_checksum_ok());
    auto* icmp = reinterpret_cast<const rte_icmp_hdr*>(r.ip() + 1);
    EXPECT_EQ(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
    EXPECT_EQ(rte_be_to_cpu_16(icmp->icmp_ident), 77);
    const size_t icmp_len = rte_be_to_cpu_16(r.ip()->total_length) - sizeof(rte_ipv4_hdr);
    EXPECT_EQ(rte_raw_cksum(icmp, icmp_len), 0xffff);
    EXPECT_EQ(gw_->stats(0).icmp_echo_replies.get(), 1u);
}

TEST_F(PipelineTest, MidStreamTcpWithoutFlowAndUnknownServicesAreDropped) {
    start(1);
    L4Spec ack = syn(41000);
    ack.tcp_flags = RTE_TCP_ACK_FLAG;
    inject(*client_, 0, build_l4(ack));
    L4Spec other = syn(41001);
    other.dst_port = 81;
    inject(*client_, 0, build_l4(other));
    L4Spec synfin = syn(41002);
    synfin.tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG;
    inject(*client_, 0, build_l4(synfin));
    L4Spec ttl = syn(41003);
    ttl.ttl = 1;
    inject(*client_, 0, build_l4(ttl));
    poll_all();
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(drops(DropReason::NoFlow), 1u);
    EXPECT_EQ(drops(DropReason::NoService), 1u);
    EXPECT_EQ(drops(DropReason::BadTcpFlags), 1u);
    EXPECT_EQ(drops(DropReason::TtlExpired), 1u);
}

TEST_F(PipelineTest, MalformedFramesAreCountedAndDroppedWithoutCrashing) {
    start(1);
    auto good = build_l4(syn(42000));
    // Cut inside Ethernet or IPv4 (Truncated), or inside TCP, where the IP
    // total length then exceeds the frame (BadTotalLength).
    for (size_t len : {0ul, 10ul, 20ul, 33ul, 40ul, 50ul}) {
        std::vector<uint8_t> t(std::max<size_t>(len, 1), 0);
        std::copy_n(good.begin(), std::min(len, good.size()), t.begin());
        inject(*client_, 0, t);
    }
    auto bad_ihl = good;
    bad_ihl[14] = 0x43;  // IHL 3
    inject(*client_, 0, bad_ihl);
    auto frag = good;
    frag[20] = 0x20;  // MF
    inject(*client_, 0, frag);
    auto bad_len = good;
    bad_len[16] = 0x0f;  // total length beyond the frame
    inject(*client_, 0, bad_len);
    poll_all();
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_TRUE(client_->take().empty());
    EXPECT_EQ(drops(DropReason::Truncated), 4u);
    EXPECT_EQ(drops(DropReason::BadIhl), 1u);
    EXPECT_EQ(drops(DropReason::Fragment), 1u);
    EXPECT_EQ(drops(DropReason::BadTotalLength), 3u);

    // Random garbage and random corruption of a good frame: never a crash,
    // every frame either forwarded or counted.
    rte_srand(12345);
    const uint64_t rx_before = gw_->stats(0).rx_packets.get();
    const uint64_t drops_before = all_drops();
    uint64_t forwarded = 0;
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 100; ++i) {
            std::vector<uint8_t> f;
            if (i % 2 == 0) {
                f.resize(1 + rte_rand_max(200));
                for (auto& b : f) b = static_cast<uint8_t>(rte_rand());
            } else {
                f = build_l4(syn(static_cast<uint16_t>(43000 + i)));
                for (int k = 0; k < 3; ++k) f[rte_rand_max(f.size())] = static_cast<uint8_t>(rte_rand());
            }
            inject(*client_, 0, f);
        }
        poll_all(5);
        forwarded += backend_->take().size() + client_->take().size();
    }
    const uint64_t seen = gw_->stats(0).rx_packets.get() - rx_before;
    EXPECT_EQ(seen, 2000u);
    EXPECT_EQ(forwarded + (all_drops() - drops_before), seen);
}

TEST_F(PipelineTest, ReloadKeepsEstablishedFlowsAndSendsNewOnesElsewhere) {
    start(1);
    // Find flows on each backend.
    for (uint16_t p = 0; p < 40; ++p) inject(*client_, 0, build_l4(syn(static_cast<uint16_t>(44000 + p))));
    poll_all(4);
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 40u);
    std::vector<uint16_t> on_a;
    for (size_t i = 0; i < fwd.size(); ++i)
        if (fwd[i].ip()->dst_addr == ip4(kBackendA)) on_a.push_back(static_cast<uint16_t>(44000 + i));
    ASSERT_FALSE(on_a.empty());

    ServiceState only_b;
    only_b.ports.push_back(service("web", Protocol::TCP, 80, {kBackendB}));
    std::string err;
    ASSERT_TRUE(gw_->install(only_b, &err)) << err;

    // Established flows on A still go to A.
    for (uint16_t p : on_a) {
        L4Spec data = syn(p);
        data.tcp_flags = RTE_TCP_ACK_FLAG;
        inject(*client_, 0, build_l4(data));
    }
    poll_all(4);
    auto kept = backend_->take();
    ASSERT_EQ(kept.size(), on_a.size());
    for (const Seen& f : kept) EXPECT_EQ(f.ip()->dst_addr, ip4(kBackendA));
    // New flows all go to B.
    for (uint16_t p = 0; p < 40; ++p) inject(*client_, 0, build_l4(syn(static_cast<uint16_t>(45000 + p))));
    poll_all(4);
    auto fresh = backend_->take();
    ASSERT_EQ(fresh.size(), 40u);
    for (const Seen& f : fresh) EXPECT_EQ(f.ip()->dst_addr, ip4(kBackendB));
    EXPECT_EQ(gw_->reloads(), 2u);
}

TEST_F(PipelineTest, UnresolvedBackendIsAskedForAndTheHeldPacketFollows) {
    start(1, /*static_backends=*/false);
    inject(*client_, 0, build_l4(syn(46000)));
    poll_all();
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(gw_->stats(0).held_packets.get(), 1u);
    gw_->control_tick();  // queues ARP requests; worker 0 transmits them
    poll_all(1);
    auto asks = backend_->take();
    ASSERT_GE(asks.size(), 2u);  // both backends were registered by the snapshot
    uint32_t asked_for = 0;
    for (const Seen& a : asks) {
        ASSERT_EQ(a.ether_type(), RTE_ETHER_TYPE_ARP);
        EXPECT_EQ(rte_be_to_cpu_16(a.arp()->arp_opcode), RTE_ARP_OP_REQUEST);
        EXPECT_EQ(a.arp()->arp_data.arp_sip, ip4("10.0.0.1"));
        asked_for |= a.arp()->arp_data.arp_tip == ip4(kBackendA) ? 1 : a.arp()->arp_data.arp_tip == ip4(kBackendB) ? 2 : 0;
    }
    EXPECT_EQ(asked_for, 3u);
    inject(*backend_, 0, build_arp(RTE_ARP_OP_REPLY, mac(0xa1), ip4(kBackendA), ip4("10.0.0.1"), backend_mac_));
    inject(*backend_, 0, build_arp(RTE_ARP_OP_REPLY, mac(0xa2), ip4(kBackendB), ip4("10.0.0.1"), backend_mac_));
    poll_all();
    auto released = backend_->take();
    ASSERT_EQ(released.size(), 1u);
    EXPECT_EQ(released[0].ether_type(), RTE_ETHER_TYPE_IPV4);
    const uint8_t expect = released[0].ip()->dst_addr == ip4(kBackendA) ? 0xa1 : 0xa2;
    EXPECT_EQ(released[0].eth()->dst_addr.addr_bytes[5], expect);
    EXPECT_TRUE(released[0].l4_checksum_ok());
    EXPECT_EQ(gw_->stats(0).released_held.get(), 1u);
}

// The fast path counts only in the flow entry; the sweep folds that into
// the per-service and per-backend counters within one sweep period, and the
// flows' last traffic is folded before they are removed.
TEST_F(PipelineTest, ServiceAndBackendCountersFollowTheFlows) {
    start(1);
    uint64_t sent_bytes = 0, sent = 0;
    for (uint16_t c = 0; c < 8; ++c) {
        for (int k = 0; k < 1 + c; ++k) {
            auto spec = syn(static_cast<uint16_t>(49000 + c), IPPROTO_UDP);
            spec.payload = std::string(10 + k, 'x');
            inject(*client_, 0, build_l4(spec));
            sent_bytes += 20 + 8 + spec.payload.size();
            ++sent;
        }
    }
    poll_all();
    ASSERT_EQ(backend_->take().size(), sent);
    auto totals = [&](StatIds& ids, TrafficTable& table) {
        uint64_t p = 0, b = 0, f = 0;
        for (const auto& [name, id] : ids.all()) {
            uint64_t pp = 0, bb = 0, ff = 0;
            table.sum(id, &pp, &bb, &ff);
            p += pp, b += bb, f += ff;
        }
        return std::array<uint64_t, 3>{p, b, f};
    };
    auto wait_for = [&](auto&& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!done() && std::chrono::steady_clock::now() < deadline) gw_->worker(0).poll_once();
        return done();
    };
    const std::array<uint64_t, 3> want{sent, sent_bytes, 8};
    EXPECT_TRUE(wait_for([&] { return totals(gw_->service_ids(), gw_->service_traffic()) == want; }))
        << "service packets/bytes/flows " << totals(gw_->service_ids(), gw_->service_traffic())[0] << "/"
        << totals(gw_->service_ids(), gw_->service_traffic())[1] << "/"
        << totals(gw_->service_ids(), gw_->service_traffic())[2] << ", want " << sent << "/" << sent_bytes;
    EXPECT_TRUE(wait_for([&] { return totals(gw_->backend_ids(), gw_->backend_traffic()) == want; }));
    // A flow's last packets are folded before it is removed.
    FlowTable4& fs = gw_->worker(0).flows<Ip4>();
    inject(*client_, 0, build_l4(syn(49000, IPPROTO_UDP)));
    poll_all();
    ASSERT_EQ(backend_->take().size(), 1u);
    for (uint32_t i = 0; i < fs.capacity(); ++i) fs.at(i).last_seen_ms = 0;
    EXPECT_TRUE(wait_for([&] { return fs.size() == 0; }));
    EXPECT_EQ(totals(gw_->service_ids(), gw_->service_traffic())[0], sent + 1);
}

TEST_F(PipelineTest, IdleFlowsExpireAndReturnTheirSnatPort) {
    start(1);
    const uint32_t free_before = gw_->snat<Ip4>()->available(0);
    inject(*client_, 0, build_l4(syn(47000, IPPROTO_UDP)));
    poll_all();
    ASSERT_EQ(backend_->take().size(), 1u);
    EXPECT_EQ(gw_->snat<Ip4>()->available(0), free_before - 1);
    EXPECT_EQ(gw_->worker(0).flows<Ip4>().size(), 1u);
    // Age the flow past the UDP timeout by rewinding its last_seen.
    FlowTable4& fs = gw_->worker(0).flows<Ip4>();
    for (uint32_t i = 0; i < fs.capacity(); ++i) fs.at(i).last_seen_ms = 0;
    // The sweep covers the table once per flow_sweep_ms (20 ms here) of
    // polling, traffic or not.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (fs.size() > 0 && std::chrono::steady_clock::now() < deadline) gw_->worker(0).poll_once();
    EXPECT_EQ(gw_->worker(0).flows<Ip4>().size(), 0u);
    EXPECT_EQ(gw_->snat<Ip4>()->available(0), free_before);
    EXPECT_EQ(gw_->stats(0).expired_flows.get(), 1u);
}

}  // namespace
}  // namespace svcnat::dpdk

namespace svcnat::dpdk {
namespace {

// "Fragmentation needed" from a router in the pod network about a packet the
// gateway sent to a backend: it must reach the client, quoting the packet
// the client sent (client -> VIP), or Path MTU discovery breaks.
TEST_F(PipelineTest, IcmpFragmentationNeededFromPodNetworkReachesTheClient) {
    start(1);
    inject(*client_, 0, build_l4(syn(48000)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    const size_t quote_len = sizeof(rte_ipv4_hdr) + 8;
    inject(*backend_, 0, build_frag_needed(ip4("10.0.0.254"), ip4(kSnat), mac(0xfe), backend_mac_, 1400, fwd[0].bytes));
    poll_all();
    auto out = client_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& r = out[0];
    EXPECT_EQ(r.ip()->src_addr, ip4(kVip));
    EXPECT_EQ(r.ip()->dst_addr, ip4(kClient));
    EXPECT_TRUE(r.ip_checksum_ok());
    auto* ricmp = reinterpret_cast<const rte_icmp_hdr*>(r.ip() + 1);
    EXPECT_EQ(rte_raw_cksum(ricmp, sizeof(rte_icmp_hdr) + quote_len), 0xffff);
    auto* quoted = reinterpret_cast<const rte_ipv4_hdr*>(ricmp + 1);
    EXPECT_EQ(quoted->src_addr, ip4(kClient));
    EXPECT_EQ(quoted->dst_addr, ip4(kVip));
    auto* qports = reinterpret_cast<const uint16_t*>(quoted + 1);
    EXPECT_EQ(rte_be_to_cpu_16(qports[0]), 48000);
    EXPECT_EQ(rte_be_to_cpu_16(qports[1]), 80);
    EXPECT_EQ(gw_->stats(0).icmp_errors_translated.get(), 1u);
}

TEST_F(PipelineTest, LoadBalancerSourceRangesAreEnforcedPerFlow) {
    start(1);
    ServiceState s;
    auto web = service("web", Protocol::TCP, 80, {kBackendA, kBackendB});
    web.loadBalancerSourceRanges.push_back(*CIDR::parse("203.0.113.0/24"));
    s.ports.push_back(web);
    std::string err;
    ASSERT_TRUE(gw_->install(s, &err)) << err;
    inject(*client_, 0, build_l4(syn(49000)));  // from 192.0.2.50: outside the range
    L4Spec allowed = syn(49001);
    allowed.src_ip = ip4("203.0.113.9");
    inject(*client_, 0, build_l4(allowed));
    poll_all();
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(drops(DropReason::SourceNotAllowed), 1u);
}

// ---- IPv6 and dual stack ----

TEST_F(PipelineTest, Ipv6SynAndReplyAreTranslatedWithValidChecksums) {
    start(1, true, true);
    inject(*client_, 0, build_l6(syn6(40000)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    const Seen& f = fwd[0];
    ASSERT_EQ(f.ether_type(), RTE_ETHER_TYPE_IPV6);
    EXPECT_EQ(addr_of(f.ip6()->src_addr), ip6(kSnat6));
    const Ip6Bytes to = addr_of(f.ip6()->dst_addr);
    EXPECT_TRUE(to == ip6(kBackend6A) || to == ip6(kBackend6B));
    EXPECT_EQ(rte_be_to_cpu_16(f.tcp6()->dst_port), 8080);
    EXPECT_EQ(f.ip6()->hop_limits, 63);
    EXPECT_TRUE(f.l4_checksum_ok6());
    EXPECT_EQ(f.eth()->dst_addr.addr_bytes[5], to == ip6(kBackend6A) ? 0xb1 : 0xb2);
    EXPECT_TRUE(rte_is_same_ether_addr(&f.eth()->src_addr, &backend_mac_));

    inject(*backend_, 0, build_l6(answer6(f)));
    poll_all();
    auto back = client_->take();
    ASSERT_EQ(back.size(), 1u);
    const Seen& r = back[0];
    EXPECT_EQ(addr_of(r.ip6()->src_addr), ip6(kVip6));
    EXPECT_EQ(addr_of(r.ip6()->dst_addr), ip6(kClient6));
    EXPECT_EQ(rte_be_to_cpu_16(r.tcp6()->src_port), 80);
    EXPECT_EQ(rte_be_to_cpu_16(r.tcp6()->dst_port), 40000);
    EXPECT_TRUE(r.l4_checksum_ok6());
    EXPECT_EQ(gw_->stats(0).new_flows_ipv6.get(), 1u);
    EXPECT_EQ(gw_->worker(0).flows<Ip6>().size(), 1u);
    EXPECT_EQ(all_drops(), 0u);
}

TEST_F(PipelineTest, DualStackServiceServesBothFamiliesAtOnce) {
    start(1, true, true);
    for (uint16_t p = 0; p < 20; ++p) {
        inject(*client_, 0, build_l4(syn(static_cast<uint16_t>(31000 + p))));
        inject(*client_, 0, build_l6(syn6(static_cast<uint16_t>(31000 + p))));
        inject(*client_, 0, build_l6(syn6(static_cast<uint16_t>(32000 + p), IPPROTO_UDP)));
    }
    poll_all(4);
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 60u);
    std::set<Ip6Bytes> v6_backends;
    size_t v4 = 0, v6_udp = 0;
    for (const Seen& f : fwd) {
        if (f.ether_type() == RTE_ETHER_TYPE_IPV4) {
            ++v4;
            EXPECT_TRUE(f.ip()->dst_addr == ip4(kBackendA) || f.ip()->dst_addr == ip4(kBackendB));
            EXPECT_TRUE(f.l4_checksum_ok());
            continue;
        }
        v6_backends.insert(addr_of(f.ip6()->dst_addr));
        if (f.ip6()->proto == IPPROTO_UDP) {
            ++v6_udp;
            EXPECT_EQ(rte_be_to_cpu_16(f.tcp6()->dst_port), 5353);
        }
        EXPECT_TRUE(f.l4_checksum_ok6());
        // Every flow of the port answers; replies come back in their own family.
        inject(*backend_, 0, build_l6(answer6(f)));
    }
    EXPECT_EQ(v4, 20u);
    EXPECT_EQ(v6_udp, 20u);
    EXPECT_EQ(v6_backends, (std::set<Ip6Bytes>{ip6(kBackend6A), ip6(kBackend6B)})) << "Maglev spreads IPv6 flows";
    poll_all(4);
    auto back = client_->take();
    ASSERT_EQ(back.size(), 40u);
    for (const Seen& r : back) EXPECT_EQ(addr_of(r.ip6()->src_addr), ip6(kVip6));
}

TEST_F(PipelineTest, Ipv6RepliesOnAnotherLcoreAreHandedToTheOwner) {
    start(2, true, true);
    for (uint16_t p = 0; p < 40; ++p) inject(*client_, p % 2, build_l6(syn6(static_cast<uint16_t>(33000 + p))));
    poll_all(4);
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 40u);
    for (const Seen& f : fwd) {
        const uint16_t owner = rte_be_to_cpu_16(f.tcp6()->src_port) % 2;
        inject(*backend_, static_cast<uint16_t>(1 - owner), build_l6(answer6(f)));
    }
    poll_all(4);
    EXPECT_EQ(client_->take().size(), 40u);
    EXPECT_EQ(gw_->stats(0).handoff_in.get() + gw_->stats(1).handoff_in.get(), 40u);
}

TEST_F(PipelineTest, NeighborSolicitationsAreAnsweredForOwnedAddressesOnTheRightSide) {
    start(1, true, true);
    const rte_ether_addr router = mac(0xee);
    inject(*client_, 0, build_ns(ip6("2001:db8:1::fe"), router, ip6(kVip6)));
    inject(*client_, 0, build_ns(ip6("2001:db8:1::fe"), router, ip6("2001:db8:1::1")));  // the port's own
    inject(*client_, 0, build_ns(ip6("2001:db8:1::fe"), router, ip6(kSnat6)));  // SNAT: backend side only
    inject(*client_, 0, build_ns(ip6("2001:db8:1::fe"), router, ip6(kVip6), 64));  // off-link: invalid
    inject(*backend_, 0, build_ns(ip6(kBackend6A), mac(0xb1), ip6(kSnat6)));
    inject(*backend_, 0, build_ns(ip6(kBackend6A), mac(0xb1), ip6(kVip6)));  // VIP: client side only
    poll_all();
    auto answers = client_->take();
    ASSERT_EQ(answers.size(), 2u);
    std::set<Ip6Bytes> targets;
    for (const Seen& a : answers) {
        ASSERT_EQ(a.ether_type(), RTE_ETHER_TYPE_IPV6);
        EXPECT_EQ(a.ip6()->proto, IPPROTO_ICMPV6);
        EXPECT_EQ(a.ip6()->hop_limits, 255);
        const uint8_t* icmp = a.l4_6();
        EXPECT_EQ(icmp[0], 136);
        EXPECT_EQ(icmp[4] & 0x60, 0x60) << "solicited + override";
        EXPECT_TRUE(a.l4_checksum_ok6());
        targets.insert(addr_of(icmp + 8));
        EXPECT_EQ(addr_of(a.ip6()->dst_addr), ip6("2001:db8:1::fe"));
        EXPECT_TRUE(rte_is_same_ether_addr(&a.eth()->dst_addr, &router));
        EXPECT_EQ(icmp[24], 2);  // target link-layer address: the port's MAC
        EXPECT_EQ(std::memcmp(icmp + 26, client_mac_.addr_bytes, 6), 0);
    }
    EXPECT_EQ(targets, (std::set<Ip6Bytes>{ip6(kVip6), ip6("2001:db8:1::1")}));
    auto b = backend_->take();
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(addr_of(b[0].l4_6() + 8), ip6(kSnat6));
    EXPECT_EQ(gw_->stats(0).nd_advertisements.get(), 3u);
}

TEST_F(PipelineTest, Ipv6UnresolvedBackendIsSolicitedAndTheHeldPacketFollows) {
    start(1, /*static_backends=*/false, true);
    inject(*client_, 0, build_l6(syn6(46000)));
    poll_all();
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(gw_->stats(0).held_packets.get(), 1u);
    gw_->control_tick();  // queues ARP requests and solicitations; worker 0 sends them
    poll_all(1);
    std::set<Ip6Bytes> solicited;
    for (const Seen& a : backend_->take()) {
        if (a.ether_type() != RTE_ETHER_TYPE_IPV6) continue;
        const uint8_t* icmp = a.l4_6();
        ASSERT_EQ(icmp[0], 135);
        EXPECT_EQ(a.ip6()->hop_limits, 255);
        EXPECT_TRUE(a.l4_checksum_ok6());
        EXPECT_EQ(addr_of(a.ip6()->src_addr), ip6("2001:db8:2::fe"));
        const Ip6Bytes target = addr_of(icmp + 8);
        Ip6Bytes group = ip6("ff02::1:ff00:0");
        std::copy(target.begin() + 13, target.end(), group.begin() + 13);
        EXPECT_EQ(addr_of(a.ip6()->dst_addr), group);
        EXPECT_EQ(a.eth()->dst_addr.addr_bytes[0], 0x33);
        solicited.insert(target);
    }
    EXPECT_EQ(solicited, (std::set<Ip6Bytes>{ip6(kBackend6A), ip6(kBackend6B)}));
    // An unsolicited advertisement from a host we do not track teaches nothing.
    inject(*backend_, 0, build_na(ip6("2001:db8:2::77"), mac(0x77), ip6("2001:db8:2::fe"), backend_mac_));
    inject(*backend_, 0, build_na(ip6(kBackend6A), mac(0xb1), ip6("2001:db8:2::fe"), backend_mac_));
    inject(*backend_, 0, build_na(ip6(kBackend6B), mac(0xb2), ip6("2001:db8:2::fe"), backend_mac_));
    poll_all();
    auto released = backend_->take();
    ASSERT_EQ(released.size(), 1u);
    ASSERT_EQ(released[0].ether_type(), RTE_ETHER_TYPE_IPV6);
    const Ip6Bytes to = addr_of(released[0].ip6()->dst_addr);
    EXPECT_EQ(released[0].eth()->dst_addr.addr_bytes[5], to == ip6(kBackend6A) ? 0xb1 : 0xb2);
    EXPECT_TRUE(released[0].l4_checksum_ok6());
    EXPECT_EQ(gw_->stats(0).nd_learned.get(), 2u);
}

TEST_F(PipelineTest, Ipv6PacketTooBigFromPodNetworkReachesTheClient) {
    start(1, true, true);
    inject(*client_, 0, build_l6(syn6(48000)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    // A router in the pod network with a smaller MTU: Packet Too Big to the
    // SNAT address, quoting what the gateway sent.
    const auto& sent = fwd[0].bytes;
    std::vector<uint8_t> rest{0, 0, 0x05, 0x00};  // MTU 1280
    rest.insert(rest.end(), sent.begin() + sizeof(rte_ether_hdr), sent.end());
    L6Spec ptb;
    ptb.proto = IPPROTO_ICMPV6;
    ptb.src_ip = ip6("2001:db8:2::99");
    ptb.dst_ip = ip6(kSnat6);
    ptb.icmp = icmpv6_body(2, 0, rest);
    ptb.src_mac = mac(0x99);
    ptb.dst_mac = backend_mac_;
    inject(*backend_, 0, build_l6(ptb));
    poll_all();
    auto out = client_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& r = out[0];
    EXPECT_EQ(addr_of(r.ip6()->src_addr), ip6(kVip6));
    EXPECT_EQ(addr_of(r.ip6()->dst_addr), ip6(kClient6));
    const uint8_t* icmp = r.l4_6();
    EXPECT_EQ(icmp[0], 2);
    EXPECT_EQ(rte_be_to_cpu_32(*reinterpret_cast<const uint32_t*>(icmp + 4)), 1280u);
    EXPECT_TRUE(r.l4_checksum_ok6());
    const auto* quoted = reinterpret_cast<const rte_ipv6_hdr*>(icmp + 8);
    EXPECT_EQ(addr_of(quoted->src_addr), ip6(kClient6));
    EXPECT_EQ(addr_of(quoted->dst_addr), ip6(kVip6));
    const auto* qtcp = reinterpret_cast<const rte_tcp_hdr*>(quoted + 1);
    EXPECT_EQ(rte_be_to_cpu_16(qtcp->src_port), 48000);
    EXPECT_EQ(rte_be_to_cpu_16(qtcp->dst_port), 80);
    // The quoted segment is whole: its checksum verifies against the quoted addresses.
    std::vector<uint8_t> q(reinterpret_cast<const uint8_t*>(quoted), r.bytes.data() + r.bytes.size());
    ASSERT_EQ(q.size(), sent.size() - sizeof(rte_ether_hdr));
    uint16_t quoted_csum;
    std::memcpy(&quoted_csum, q.data() + 40 + 16, 2);
    std::memset(q.data() + 40 + 16, 0, 2);
    EXPECT_EQ(rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(q.data()), q.data() + 40), quoted_csum);
    EXPECT_EQ(gw_->stats(0).icmp_errors_translated.get(), 1u);
}

// Path MTU discovery on the client's side with two workers: a router there
// answers a too-big reply with "fragmentation needed" (IPv4) or Packet Too
// Big (IPv6) addressed to the VIP. The NIC steers the error by its outer
// addresses, so it may land on the worker that does not hold the flow: that
// worker passes it on, and the owner translates it to the backend.
TEST_F(PipelineTest, ClientSideIcmpErrorReachesTheWorkerOwningTheFlow) {
    start(2);
    inject(*client_, 0, build_l4(syn(48000)));  // queue 0: worker 0 holds the flow
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    inject(*backend_, 0, build_l4(answer(fwd[0])));
    poll_all();
    auto to_client = client_->take();
    ASSERT_EQ(to_client.size(), 1u);
    // From a router on the client's path about VIP:80 -> client:48000.
    const size_t quote_len = sizeof(rte_ipv4_hdr) + 8;
    auto f = build_frag_needed(ip4("192.0.2.254"), ip4(kVip), mac(0xfe), client_mac_, 1280, to_client[0].bytes);
    inject(*client_, 1, f);  // queue 1: worker 1, which has no such flow
    poll_all(3);
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& r = out[0];
    EXPECT_EQ(r.ip()->src_addr, ip4(kSnat));
    EXPECT_EQ(r.ip()->dst_addr, fwd[0].ip()->dst_addr) << "to the flow's backend";
    EXPECT_TRUE(r.ip_checksum_ok());
    auto* ricmp = reinterpret_cast<const rte_icmp_hdr*>(r.ip() + 1);
    EXPECT_EQ(rte_raw_cksum(ricmp, sizeof(rte_icmp_hdr) + quote_len), 0xffff);
    auto* quoted = reinterpret_cast<const rte_ipv4_hdr*>(ricmp + 1);
    EXPECT_EQ(quoted->src_addr, fwd[0].ip()->dst_addr) << "the backend's own packet, as it sent it";
    EXPECT_EQ(quoted->dst_addr, ip4(kSnat));
    EXPECT_EQ(gw_->stats(0).icmp_errors_translated.get(), 1u);
    EXPECT_EQ(gw_->stats(1).icmp_errors_translated.get(), 0u);
    EXPECT_EQ(drops(DropReason::NoFlow), 0u);

    // An error about no flow at all visits every worker once, then is dropped.
    auto stray = to_client[0].bytes;
    reinterpret_cast<rte_tcp_hdr*>(stray.data() + sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr))->dst_port =
        rte_cpu_to_be_16(1);  // no such client port
    inject(*client_, 1, build_frag_needed(ip4("192.0.2.254"), ip4(kVip), mac(0xfe), client_mac_, 1280, stray));
    poll_all(3);
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(drops(DropReason::NoFlow), 1u);
}

TEST_F(PipelineTest, ClientSidePacketTooBigReachesTheWorkerOwningTheFlow) {
    start(2, true, true);
    inject(*client_, 1, build_l6(syn6(48000)));  // worker 1 holds the flow
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    inject(*backend_, 1, build_l6(answer6(fwd[0])));
    poll_all();
    auto to_client = client_->take();
    ASSERT_EQ(to_client.size(), 1u);
    const auto& sent = to_client[0].bytes;
    std::vector<uint8_t> rest{0, 0, 0x05, 0x00};  // MTU 1280
    rest.insert(rest.end(), sent.begin() + sizeof(rte_ether_hdr), sent.end());
    L6Spec ptb;
    ptb.proto = IPPROTO_ICMPV6;
    ptb.src_ip = ip6("2001:db8:1::fe");
    ptb.dst_ip = ip6(kVip6);
    ptb.icmp = icmpv6_body(2, 0, rest);
    ptb.src_mac = mac(0xfe);
    ptb.dst_mac = client_mac_;
    inject(*client_, 0, build_l6(ptb));  // worker 0
    poll_all(3);
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 1u);
    const Seen& r = out[0];
    EXPECT_EQ(addr_of(r.ip6()->src_addr), ip6(kSnat6));
    EXPECT_EQ(addr_of(r.ip6()->dst_addr), addr_of(fwd[0].ip6()->dst_addr));
    EXPECT_TRUE(r.l4_checksum_ok6());
    const uint8_t* icmp = r.l4_6();
    EXPECT_EQ(icmp[0], 2);
    EXPECT_EQ(rte_be_to_cpu_32(*reinterpret_cast<const uint32_t*>(icmp + 4)), 1280u);
    EXPECT_EQ(gw_->stats(1).icmp_errors_translated.get(), 1u);
}

TEST_F(PipelineTest, Ipv6PingToTheVipIsAnsweredAndUnknownAddressesAreNot) {
    start(1, true, true);
    L6Spec ping;
    ping.proto = IPPROTO_ICMPV6;
    ping.src_ip = ip6(kClient6);
    ping.dst_ip = ip6(kVip6);
    ping.icmp = icmpv6_body(128, 0, {0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'});
    ping.dst_mac = client_mac_;
    inject(*client_, 0, build_l6(ping));
    ping.dst_ip = ip6("2001:db8:f00::99");  // nobody's
    inject(*client_, 0, build_l6(ping));
    poll_all();
    auto out = client_->take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].l4_6()[0], 129);
    EXPECT_EQ(addr_of(out[0].ip6()->src_addr), ip6(kVip6));
    EXPECT_EQ(addr_of(out[0].ip6()->dst_addr), ip6(kClient6));
    EXPECT_TRUE(out[0].l4_checksum_ok6());
    EXPECT_EQ(gw_->stats(0).app_drops[static_cast<size_t>(AppDrop::NotForUs)].get(), 1u);
}

// The other way round: IPv6 SNAT addresses only. IPv4 packets (a SYN, and
// a "reply" to where an IPv4 SNAT address would be) are counted, IPv6 is
// served.
TEST_F(PipelineTest, Ipv4WithoutAnIpv4SnatAddressIsCountedNotForwarded) {
    start(1, true, true, false);
    inject(*client_, 0, build_l4(syn(49001)));
    L4Spec stray = syn(49002);
    stray.src_ip = ip4(kBackendA);
    stray.dst_ip = ip4(kSnat);
    stray.dst_mac = backend_mac_;
    inject(*backend_, 0, build_l4(stray));
    inject(*client_, 0, build_l6(syn6(49003)));
    poll_all();
    auto out = backend_->take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ether_type(), RTE_ETHER_TYPE_IPV6);
    EXPECT_EQ(gw_->stats(0).app_drops[static_cast<size_t>(AppDrop::NoSnatAddress)].get(), 2u);
}

TEST_F(PipelineTest, Ipv6WithoutAnIpv6SnatAddressIsCountedNotForwarded) {
    start(1);  // IPv4 only: the IPv6 VIP below has no SNAT address to use
    std::string err;
    ASSERT_TRUE(gw_->install(dual_stack(), &err)) << err;
    inject(*client_, 0, build_l6(syn6(49000)));
    poll_all();
    EXPECT_TRUE(backend_->take().empty());
    EXPECT_EQ(gw_->stats(0).app_drops[static_cast<size_t>(AppDrop::NoSnatAddress)].get(), 1u);
}

}  // namespace
}  // namespace svcnat::dpdk
