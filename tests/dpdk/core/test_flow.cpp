// Flow keys, TCP state tracking and flow entries (the flow table itself,
// on rte_hash, is tested in tests/dpdk/test_flow_table.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/nat.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::raw16;
using test::raw32;

constexpr auto C = Direction::FromClient;
constexpr auto B = Direction::FromBackend;

FlowKey4 client_key(uint32_t i) {
    return make_flow_key4(raw32(0xc0000200 + (i % 200)), raw32(0xcb007101),
                          raw16(static_cast<uint16_t>(10000 + i / 200)), raw16(80), kProtoTcp);
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

}  // namespace
}  // namespace svcnat::dpdk
