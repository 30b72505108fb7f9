// Flow keys, TCP state tracking, flow entries and the pure flow table with
// its bounded incremental expiry sweep.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/flow_table.hpp"
#include "dpdk/core/nat.hpp"
#include "packet_builder.hpp"

namespace svcnat::gw {
namespace {

using test::raw16;
using test::raw32;

constexpr auto C = Direction::FromClient;
constexpr auto B = Direction::FromBackend;

FlowKey4 client_key(uint32_t i) {
    return make_flow_key4(raw32(0xc0000200 + (i % 200)), raw32(0xcb007101),
                          raw16(static_cast<uint16_t>(10000 + i / 200)), raw16(80), kProtoTcp);
}

FlowEntry entry(uint32_t i, uint64_t now, uint8_t proto = kProtoTcp) {
    FlowKey4 k = client_key(i);
    k.proto = proto;
    return make_flow_entry(k, raw32(0x0af40000 + i % 7), raw16(8080), raw32(0x0a000001),
                           raw16(static_cast<uint16_t>(1024 + i)), 0, now);
}

TEST(FlowKey, LayoutHasNoHolesAndHashesDeterministically) {
    const FlowKey4 a = client_key(5);
    FlowKey4 b;
    std::memset(&b, 0xff, sizeof b);  // garbage, then assigned field by field
    b = make_flow_key4(a.src_ip, a.dst_ip, a.src_port, a.dst_port, a.proto);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
    EXPECT_EQ(flow_hash(a), flow_hash(b));
    EXPECT_NE(flow_hash(a), flow_hash(client_key(6)));
    EXPECT_EQ(reversed(reversed(a)), a);
    EXPECT_EQ(reversed(a).src_port, a.dst_port);
    // Pinned: the flow hash decides the backend on every gateway, so it
    // must not change between builds or hosts (network-order image + XXH3).
    const FlowKey4 fixed = make_flow_key4(raw32(0xc0000201), raw32(0xcb007101), raw16(40000), raw16(80), 6);
    EXPECT_EQ(flow_hash(fixed), 0x5e86df1cfcac34edull);
}

TEST(FlowKey, BuiltFromParsedPacket) {
    test::FrameSpec s;
    const auto f = test::build_ipv4(s);
    const auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
    const FlowKey4 k = flow_key4_of(p);
    EXPECT_EQ(k, make_flow_key4(raw32(s.src), raw32(s.dst), raw16(s.sport), raw16(s.dport), kProtoTcp));
}

TEST(TcpTracking, OpeningAndInvalidFlags) {
    EXPECT_TRUE(tcp_opens_flow(kTcpSyn));
    EXPECT_TRUE(tcp_opens_flow(kTcpSyn | kTcpPsh | 0x40 /*ECE*/ | 0x80 /*CWR*/));  // ECN SYN
    EXPECT_FALSE(tcp_opens_flow(kTcpSyn | kTcpAck));
    EXPECT_FALSE(tcp_opens_flow(kTcpAck));
    EXPECT_FALSE(tcp_opens_flow(kTcpRst));
    EXPECT_FALSE(tcp_opens_flow(kTcpFin | kTcpAck));
    EXPECT_TRUE(tcp_flags_invalid(kTcpSyn | kTcpFin));
    EXPECT_TRUE(tcp_flags_invalid(kTcpSyn | kTcpRst));
    EXPECT_TRUE(tcp_flags_invalid(0));
    EXPECT_TRUE(tcp_flags_invalid(kTcpFin | kTcpPsh | 0x20));  // Xmas scan
    EXPECT_FALSE(tcp_flags_invalid(kTcpRst));
    EXPECT_FALSE(tcp_flags_invalid(kTcpAck | kTcpFin));
    EXPECT_FALSE(tcp_flags_invalid(kTcpSyn));
}

TEST(TcpTracking, HandshakeDataAndOrderlyClose) {
    TcpTracker t;
    EXPECT_EQ(t.state, FlowState::SynSent);
    tcp_track(t, C, kTcpSyn);  // retransmitted SYN
    EXPECT_EQ(t.state, FlowState::SynSent);
    tcp_track(t, C, kTcpAck);  // ACK before the SYN-ACK: ignored
    EXPECT_EQ(t.state, FlowState::SynSent);
    tcp_track(t, B, kTcpSyn | kTcpAck);
    EXPECT_EQ(t.state, FlowState::SynRecv);
    tcp_track(t, C, kTcpAck);
    EXPECT_EQ(t.state, FlowState::Established);
    tcp_track(t, B, kTcpAck | kTcpPsh);
    EXPECT_EQ(t.state, FlowState::Established);
    tcp_track(t, C, kTcpFin | kTcpAck);
    EXPECT_EQ(t.state, FlowState::FinWait);
    tcp_track(t, C, kTcpFin | kTcpAck);  // retransmitted FIN: same side
    EXPECT_EQ(t.state, FlowState::FinWait);
    tcp_track(t, B, kTcpAck);
    EXPECT_EQ(t.state, FlowState::FinWait);
    tcp_track(t, B, kTcpFin | kTcpAck);
    EXPECT_EQ(t.state, FlowState::TimeWait);
    tcp_track(t, C, kTcpAck);  // last ACK
    EXPECT_EQ(t.state, FlowState::TimeWait);
}

TEST(TcpTracking, SynAckFromClientDoesNotAdvance) {
    TcpTracker t;
    tcp_track(t, C, kTcpSyn | kTcpAck);
    EXPECT_EQ(t.state, FlowState::SynSent);
}

TEST(TcpTracking, ResetClosesFromAnyState) {
    for (auto dir : {C, B}) {
        TcpTracker t;
        tcp_track(t, B, kTcpSyn | kTcpAck);
        tcp_track(t, C, kTcpAck);
        tcp_track(t, dir, kTcpRst | kTcpAck);
        EXPECT_EQ(t.state, FlowState::Close);
        tcp_track(t, B, kTcpFin | kTcpAck);  // stray FIN after RST: stays closed
        EXPECT_EQ(t.state, FlowState::Close);
    }
    TcpTracker refused;  // backend refuses: RST in SynSent
    tcp_track(refused, B, kTcpRst | kTcpAck);
    EXPECT_EQ(refused.state, FlowState::Close);
}

TEST(TcpTracking, ClosedTupleReusedByNewSyn) {
    TcpTracker t;
    tcp_track(t, B, kTcpSyn | kTcpAck);
    tcp_track(t, C, kTcpAck);
    tcp_track(t, C, kTcpFin | kTcpAck);
    tcp_track(t, B, kTcpFin | kTcpAck);
    ASSERT_EQ(t.state, FlowState::TimeWait);
    tcp_track(t, B, kTcpSyn);  // a SYN from the backend side does not reopen
    EXPECT_EQ(t.state, FlowState::TimeWait);
    tcp_track(t, C, kTcpSyn);
    EXPECT_EQ(t.state, FlowState::SynSent);
    EXPECT_EQ(t.fin_seen, 0);
    tcp_track(t, B, kTcpSyn | kTcpAck);
    tcp_track(t, C, kTcpAck);
    tcp_track(t, B, kTcpFin | kTcpAck);
    EXPECT_EQ(t.state, FlowState::FinWait) << "old FIN bits must not carry over";
}

TEST(FlowEntry, RewritesCountersAndExpiry) {
    const FlowKey4 ck = make_flow_key4(raw32(0xc0000201), raw32(0xcb007101), raw16(40000), raw16(443), kProtoTcp);
    FlowEntry e = make_flow_entry(ck, raw32(0x0af40007), raw16(8443), raw32(0x0a000001), raw16(2049), 1, 1000);
    EXPECT_EQ(e.reply_side,
              make_flow_key4(raw32(0x0af40007), raw32(0x0a000001), raw16(8443), raw16(2049), kProtoTcp));
    EXPECT_EQ(e.to_backend(), (Ipv4Tuple{raw32(0x0a000001), raw32(0x0af40007), raw16(2049), raw16(8443)}));
    EXPECT_EQ(e.to_client(), (Ipv4Tuple{raw32(0xcb007101), raw32(0xc0000201), raw16(443), raw16(40000)}));
    EXPECT_EQ(e.state(), FlowState::SynSent);

    FlowTimeouts to;
    EXPECT_FALSE(e.expired(1000 + 30'000, to));
    EXPECT_TRUE(e.expired(1000 + 30'001, to));
    EXPECT_FALSE(e.expired(500, to)) << "a clock behind last_seen must not expire the flow";

    e.on_packet(B, kTcpSyn | kTcpAck, 60, 2000);
    e.on_packet(C, kTcpAck, 52, 3000);
    e.on_packet(C, kTcpAck | kTcpPsh, 1500, 2500);  // older timestamp from another lcore
    EXPECT_EQ(e.state(), FlowState::Established);
    EXPECT_EQ(e.last_seen_ms, 3000u);
    EXPECT_EQ(e.packets[0], 2u);
    EXPECT_EQ(e.packets[1], 1u);
    EXPECT_EQ(e.bytes[0], 1552u);
    EXPECT_FALSE(e.expired(3000 + 899'000, to));
    EXPECT_TRUE(e.expired(3000 + 900'001, to));
    to.of(FlowState::Established) = 60'000;  // configurable
    EXPECT_TRUE(e.expired(3000 + 60'001, to));

    FlowEntry u = make_flow_entry(make_flow_key4(1, 2, 3, 4, kProtoUdp), 5, 6, 7, 8, 0, 0);
    EXPECT_EQ(u.state(), FlowState::Udp);
    u.on_packet(C, kTcpRst, 100, 10);  // flags are meaningless for UDP
    EXPECT_EQ(u.state(), FlowState::Udp);
    EXPECT_FALSE(u.expired(10 + 300'000, FlowTimeouts{}));
    EXPECT_TRUE(u.expired(10 + 300'001, FlowTimeouts{}));
}

TEST(FlowTable, InsertFindEraseBothKeys) {
    FlowTable t(8);
    const FlowEntry e = entry(1, 0);
    const auto i = t.insert(e);
    ASSERT_TRUE(i);
    EXPECT_EQ(t.find_client(e.client_side), i);
    EXPECT_EQ(t.find_reply(e.reply_side), i);
    EXPECT_FALSE(t.find_client(e.reply_side));
    EXPECT_FALSE(t.insert(e)) << "duplicate client key";
    FlowEntry same_reply = entry(2, 0);
    same_reply.reply_side = e.reply_side;
    EXPECT_FALSE(t.insert(same_reply)) << "duplicate reply key: SNAT tuple collision";
    t.erase(*i);
    EXPECT_FALSE(t.find_client(e.client_side));
    EXPECT_FALSE(t.find_reply(e.reply_side));
    EXPECT_EQ(t.size(), 0u);
    t.erase(*i);  // idempotent
    EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, FullTableRefusesInsert) {
    FlowTable t(4);
    for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(t.insert(entry(i, 0)));
    EXPECT_FALSE(t.insert(entry(99, 0)));
    EXPECT_THROW(FlowTable(0), std::invalid_argument);
}

TEST(FlowTable, ExpirySweepIsBoundedPerCall) {
    const uint32_t cap = 10000, budget = 256;
    FlowTable t(cap);
    for (uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(t.insert(entry(i, 0)));
    const FlowTimeouts to;
    const uint64_t later = 31'000;  // all in SynSent: expired
    uint32_t calls = 0;
    std::set<uint16_t> released;
    while (t.size() > 0) {
        const uint32_t erased = t.expire_some(later, to, budget, [&](const FlowEntry& e) {
            released.insert(e.reply_side.dst_port);
        });
        ASSERT_LE(erased, budget);
        ++calls;
        ASSERT_LE(calls, cap / budget + 1) << "sweep does not make progress";
    }
    EXPECT_EQ(calls, (cap + budget - 1) / budget);
    EXPECT_EQ(released.size(), cap) << "on_expired saw every flow once";
}

TEST(FlowTable, ExpiryHonoursPerStateTimeouts) {
    FlowTable t(100);
    const FlowTimeouts to;
    std::vector<FlowTable::Index> established, syn;
    for (uint32_t i = 0; i < 100; ++i) {
        auto idx = t.insert(entry(i, 0));
        ASSERT_TRUE(idx);
        if (i % 2) {
            t.at(*idx).on_packet(B, kTcpSyn | kTcpAck, 60, 0);
            t.at(*idx).on_packet(C, kTcpAck, 52, 0);
            established.push_back(*idx);
        } else {
            syn.push_back(*idx);
        }
    }
    EXPECT_EQ(t.expire_some(29'000, to, 100), 0u);
    EXPECT_EQ(t.expire_some(31'000, to, 100), 50u);
    for (auto i : established) EXPECT_EQ(t.at(i).state(), FlowState::Established);
    EXPECT_EQ(t.size(), 50u);
    // Activity refreshes: touch half of the established flows at 800 s.
    for (size_t k = 0; k < established.size(); k += 2) t.at(established[k]).on_packet(C, kTcpAck, 52, 800'000);
    EXPECT_EQ(t.expire_some(901'000, to, 100), 25u);
    EXPECT_EQ(t.expire_some(1'701'000, to, 100), 25u);
    EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, IdleFlowRemovedWithinTheSweepBound) {
    // An idle flow disappears at most capacity/budget calls after its
    // timeout: measure with the cursor in a random position.
    const uint32_t cap = 1000, budget = 50;
    FlowTable t(cap);
    const FlowTimeouts to;
    for (uint32_t i = 0; i < 500; ++i) ASSERT_TRUE(t.insert(entry(i, 0)));
    for (int k = 0; k < 7; ++k) t.expire_some(1000, to, budget);  // move the cursor, nothing expires
    const auto target = t.find_client(client_key(123));
    ASSERT_TRUE(target);
    for (uint32_t i = 0; i < 500; ++i)
        if (i != 123) t.at(*t.find_client(client_key(i))).last_seen_ms = 10'000'000;  // keep alive
    uint32_t calls = 0;
    while (t.find_client(client_key(123)) && calls < 1000) {
        t.expire_some(31'000, to, budget);
        ++calls;
    }
    EXPECT_LE(calls, cap / budget);
    EXPECT_EQ(t.size(), 499u);
}

}  // namespace
}  // namespace svcnat::gw

namespace svcnat::gw {
namespace {

TEST(IcmpErrors, PmtuErrorFromPodNetworkReachesClientAboutItsOwnPacket) {
    // A client SYN is NATed towards the backend; a router on the pod network
    // answers "fragmentation needed" to the SNAT address. The gateway finds
    // the flow through the quote and the client receives an error that
    // quotes, byte for byte, the packet it sent.
    test::FrameSpec c;
    c.src = 0xc0000201;  // 192.0.2.1
    c.dst = 0xcb007101;  // VIP 203.0.113.1
    c.sport = 40000;
    c.dport = 80;
    const auto client_frame = test::build_ipv4(c);
    auto fwd = client_frame;
    auto p = parse_frame(std::span<const uint8_t>(fwd)).pkt;
    FlowTable table(16);
    const FlowEntry e = make_flow_entry(flow_key4_of(p), raw32(0x0af40007), raw16(8080), raw32(0x0a000001),
                                        raw16(2049), 0, 0);
    ASSERT_TRUE(table.insert(e));
    rewrite_ipv4_tuple(std::span<uint8_t>(fwd), p, e.to_backend());

    auto err = test::build_icmp_error(0x0a0000fe, 0x0a000001, 3, 4, fwd, 28, 1400);
    auto ep = parse_frame(std::span<const uint8_t>(err)).pkt;
    ASSERT_TRUE(ep.icmp_quotes_packet);
    const auto idx = table.find_reply(icmp_quoted_flow_key4(ep));
    ASSERT_TRUE(idx) << "the quote leads to the flow's reply-side key";
    EXPECT_FALSE(table.find_client(icmp_quoted_flow_key4(ep)));
    rewrite_icmp_error_v4(std::span<uint8_t>(err), ep, table.at(*idx).icmp_error_to_client());

    const auto out = parse_frame(std::span<const uint8_t>(err), {.verify_ipv4_checksum = true}).pkt;
    EXPECT_EQ(out.src_ip4, raw32(c.dst)) << "the error comes from the VIP";
    EXPECT_EQ(out.dst_ip4, raw32(c.src));
    EXPECT_EQ(test::get16(err, out.l4_offset + 6), 1400) << "MTU passed through";
    const std::vector<uint8_t> quoted(err.begin() + out.inner_l3_offset, err.begin() + out.inner_l3_offset + 28);
    const std::vector<uint8_t> sent(client_frame.begin() + 14, client_frame.begin() + 14 + 28);
    EXPECT_EQ(quoted, sent);
}

TEST(IcmpErrors, ErrorFromClientSideReachesBackendAboutItsReply) {
    test::FrameSpec c;
    c.proto = kProtoUdp;
    const auto client_frame = test::build_ipv4(c);
    const auto cp = parse_frame(std::span<const uint8_t>(client_frame)).pkt;
    const FlowEntry e = make_flow_entry(flow_key4_of(cp), raw32(0x0af40007), raw16(53), raw32(0x0a000001),
                                        raw16(3000), 0, 0);
    FlowTable table(16);
    ASSERT_TRUE(table.insert(e));
    // The backend's reply, as the backend sent it, and after NAT to the client.
    test::FrameSpec r;
    r.proto = kProtoUdp;
    r.src = 0x0af40007;
    r.dst = 0x0a000001;
    r.sport = 53;
    r.dport = 3000;
    const auto reply_frame = test::build_ipv4(r);
    auto to_client = reply_frame;
    auto rp = parse_frame(std::span<const uint8_t>(to_client)).pkt;
    ASSERT_EQ(table.find_reply(flow_key4_of(rp)), table.find_client(e.client_side));
    rewrite_ipv4_tuple(std::span<uint8_t>(to_client), rp, e.to_client());
    // The client's host says "port unreachable" about that reply.
    auto err = test::build_icmp_error(c.src, c.dst, 3, 3, to_client, 28);
    auto ep = parse_frame(std::span<const uint8_t>(err)).pkt;
    const auto idx = table.find_client(icmp_quoted_flow_key4(ep));
    ASSERT_TRUE(idx);
    rewrite_icmp_error_v4(std::span<uint8_t>(err), ep, table.at(*idx).icmp_error_to_backend());
    const auto out = parse_frame(std::span<const uint8_t>(err), {.verify_ipv4_checksum = true}).pkt;
    EXPECT_EQ(out.src_ip4, raw32(0x0a000001));
    EXPECT_EQ(out.dst_ip4, raw32(0x0af40007));
    const std::vector<uint8_t> quoted(err.begin() + out.inner_l3_offset, err.begin() + out.inner_l3_offset + 28);
    const std::vector<uint8_t> sent(reply_frame.begin() + 14, reply_frame.begin() + 14 + 28);
    EXPECT_EQ(quoted, sent);
}

}  // namespace
}  // namespace svcnat::gw
