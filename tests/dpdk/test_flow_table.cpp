// The gateway's flow table (dpdk/gateway/flow_table.hpp, rte_hash under
// EAL without hardware): both sides of a flow, a fixed capacity, the bounded
// incremental sweep and its pacing, ICMP errors found through their quote, and SNAT
// leases that never share a reply tuple.
#include <gtest/gtest.h>
#include <rte_hash.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dpdk/core/bytes.hpp"
#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/parse.hpp"
#include "dpdk/core/snat_pool.hpp"
#include "dpdk/gateway/flow_table.hpp"
#include "core/packet_builder.hpp"
#include "eal_environment.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::raw16;
using test::raw32;

const ::testing::Environment* const eal_env = ::testing::AddGlobalTestEnvironment(new test::EalEnvironment);

constexpr auto C = Direction::FromClient;
constexpr auto B = Direction::FromBackend;

FlowKey4 client_key(uint32_t i) {
    return make_flow_key4(raw32(0xc0000200 + (i % 200)), raw32(0xcb007101),
                          raw16(static_cast<uint16_t>(10000 + i / 200)), raw16(80), kProtoTcp);
}

FlowEntry entry(uint32_t i, uint64_t now) {
    return make_flow_entry(client_key(i), raw32(0x0af40000 + i % 7), raw16(8080), raw32(0x0a000001),
                           raw16(static_cast<uint16_t>(1024 + i)), 0, now);
}

SnatPool4::Config config(uint16_t first, uint16_t last, uint16_t lcores, int addrs = 2) {
    SnatPool4::Config c;
    for (int i = 0; i < addrs; ++i) c.addrs.push_back(raw32(0x0a000001 + static_cast<uint32_t>(i)));
    c.port_first = first;
    c.port_last = last;
    c.n_lcores = lcores;
    return c;
}

const auto ignore = [](const FlowEntry&, const FlowRoute&) {};

// The worker's expiry decision over a sweep (Worker::sweep adds the
// traffic folding): erase what is idle past its state's timeout.
template <typename F>
uint32_t expire_some(FlowTable4& t, uint64_t now_ms, const FlowTimeouts& to, uint32_t budget, F&& on_expired) {
    return t.sweep(budget, [&](const FlowEntry& e, const FlowRoute& r, FoldedTraffic&) {
        if (!e.expired(now_ms, to)) return false;
        on_expired(e, r);
        return true;
    });
}

// The tables below serve one SNAT address with ports 1024-65535, whose
// lease ids are port - 1024 (SnatPool's numbering).
constexpr uint32_t kLeases = 65536 - 1024;
uint32_t lease_of(const FlowEntry& e) { return load_be16(reinterpret_cast<const uint8_t*>(&e.reply_side.dst_port)) - 1024u; }

struct FlowTableTest : ::testing::Test {
    void SetUp() override {
        if (!test::EalEnvironment::ok()) GTEST_SKIP() << "EAL could not start (no DPDK memory?)";
    }
    // rte_hash names are global to the process.
    static std::unique_ptr<FlowTable4> table(uint32_t capacity) {
        static std::atomic<int> seq{0};
        auto t = FlowTable4::create("svcnat_ft_" + std::to_string(seq++), capacity, SOCKET_ID_ANY, kLeases);
        EXPECT_NE(t, nullptr);
        return t;
    }
};

TEST_F(FlowTableTest, InsertFindEraseBothSides) {
    auto t = table(8);
    const FlowEntry e = entry(1, 0);
    FlowRoute route;
    route.backend_port = 1;
    const auto i = t->insert(e, route, lease_of(e));
    ASSERT_NE(i, FlowTable4::kNone);
    EXPECT_EQ(t->lookup(e.client_side), i);
    EXPECT_EQ(t->lookup(e.reply_side), FlowTable4::kNone) << "replies are found by their lease, not hashed";
    EXPECT_EQ(t->lookup_reply(lease_of(e), e.reply_side), i);
    EXPECT_EQ(t->lookup_reply(lease_of(e) + 1, e.reply_side), FlowTable4::kNone);
    FlowKey4 other_backend = e.reply_side;
    other_backend.src_port = raw16(8081);
    EXPECT_EQ(t->lookup_reply(lease_of(e), other_backend), FlowTable4::kNone) << "the lease's flow, but not its backend";
    EXPECT_EQ(t->at(i).client_side, e.client_side);
    EXPECT_EQ(t->route(i).backend_port, 1);
    EXPECT_EQ(t->lookup(reversed(e.client_side)), FlowTable4::kNone);
    const FlowKey4 other = client_key(7);
    const FlowKey4* keys[2] = {&e.client_side, &other};
    const uint32_t sigs[2] = {FlowTable4::hash(e.client_side), FlowTable4::hash(other)};
    EXPECT_EQ(sigs[0], rte_hash_crc(&e.client_side, sizeof e.client_side, 0)) << "the hash rte_hash itself uses";
    FlowTable4::Index found[2];
    t->lookup_bulk(keys, sigs, 2, found);
    EXPECT_EQ(found[0], i);
    EXPECT_EQ(found[1], FlowTable4::kNone);
    EXPECT_EQ(t->insert(entry(2, 0), {}, lease_of(e)), FlowTable4::kNone) << "a lease holds one flow";
    t->erase(i);
    EXPECT_EQ(t->lookup(e.client_side), FlowTable4::kNone);
    EXPECT_EQ(t->lookup_reply(lease_of(e), e.reply_side), FlowTable4::kNone);
    EXPECT_EQ(t->size(), 0u);
    t->erase(i);  // idempotent
    EXPECT_EQ(t->size(), 0u);
}

TEST_F(FlowTableTest, FullTableRefusesInsertAndTakesAgainAfterErase) {
    auto t = table(4);
    FlowTable4::Index last = FlowTable4::kNone;
    for (uint32_t i = 0; i < 4; ++i) ASSERT_NE(last = t->insert(entry(i, 0), {}, lease_of(entry(i, 0))), FlowTable4::kNone);
    EXPECT_EQ(t->insert(entry(99, 0), {}, lease_of(entry(99, 0))), FlowTable4::kNone);
    EXPECT_EQ(t->lookup(entry(99, 0).client_side), FlowTable4::kNone) << "a refused flow leaves no key behind";
    t->erase(last);
    EXPECT_NE(t->insert(entry(99, 0), {}, lease_of(entry(99, 0))), FlowTable4::kNone);
    EXPECT_EQ(FlowTable4::create("svcnat_ft_zero", 0, SOCKET_ID_ANY, kLeases), nullptr);
}

TEST_F(FlowTableTest, ExpirySweepIsBoundedPerCall) {
    const uint32_t cap = 10000, budget = 256;
    auto t = table(cap);
    for (uint32_t i = 0; i < cap; ++i) ASSERT_NE(t->insert(entry(i, 0), {}, lease_of(entry(i, 0))), FlowTable4::kNone);
    const FlowTimeouts to;
    const uint64_t later = 31'000;  // all in SynSent: expired
    uint32_t calls = 0;
    std::set<uint16_t> released;
    while (t->size() > 0) {
        const uint32_t erased = expire_some(*t, later, to, budget, [&](const FlowEntry& e, const FlowRoute&) {
            released.insert(e.reply_side.dst_port);
        });
        ASSERT_LE(erased, budget);
        ++calls;
        ASSERT_LE(calls, cap / budget + 1) << "sweep does not make progress";
    }
    EXPECT_EQ(calls, (cap + budget - 1) / budget);
    EXPECT_EQ(released.size(), cap) << "on_expired saw every flow once";
}

TEST_F(FlowTableTest, ExpiryHonoursPerStateTimeouts) {
    auto t = table(100);
    const FlowTimeouts to;
    std::vector<FlowTable4::Index> established, syn;
    for (uint32_t i = 0; i < 100; ++i) {
        const auto idx = t->insert(entry(i, 0), {}, lease_of(entry(i, 0)));
        ASSERT_NE(idx, FlowTable4::kNone);
        if (i % 2) {
            t->at(idx).on_packet(B, kTcpSyn | kTcpAck, 60, 0);
            t->at(idx).on_packet(C, kTcpAck, 52, 0);
            established.push_back(idx);
        } else {
            syn.push_back(idx);
        }
    }
    EXPECT_EQ(expire_some(*t, 29'000, to, 100, ignore), 0u);
    EXPECT_EQ(expire_some(*t, 31'000, to, 100, ignore), 50u);
    for (auto i : established) EXPECT_EQ(t->at(i).state(), FlowState::Established);
    EXPECT_EQ(t->size(), 50u);
    // Activity refreshes: touch half of the established flows at 800 s.
    for (size_t k = 0; k < established.size(); k += 2) t->at(established[k]).on_packet(C, kTcpAck, 52, 800'000);
    EXPECT_EQ(expire_some(*t, 901'000, to, 100, ignore), 25u);
    EXPECT_EQ(expire_some(*t, 1'701'000, to, 100, ignore), 25u);
    EXPECT_EQ(t->size(), 0u);
}

TEST_F(FlowTableTest, IdleFlowRemovedWithinTheSweepBound) {
    // An idle flow disappears at most capacity/budget calls after its
    // timeout: measure with the cursor in a random position.
    const uint32_t cap = 1000, budget = 50;
    auto t = table(cap);
    const FlowTimeouts to;
    for (uint32_t i = 0; i < 500; ++i) ASSERT_NE(t->insert(entry(i, 0), {}, lease_of(entry(i, 0))), FlowTable4::kNone);
    for (int k = 0; k < 7; ++k) expire_some(*t, 1000, to, budget, ignore);  // move the cursor, nothing expires
    ASSERT_NE(t->lookup(client_key(123)), FlowTable4::kNone);
    for (uint32_t i = 0; i < 500; ++i)
        if (i != 123) t->at(t->lookup(client_key(i))).last_seen_ms = 10'000'000;  // keep alive
    uint32_t calls = 0;
    while (t->lookup(client_key(123)) != FlowTable4::kNone && calls < 1000) {
        expire_some(*t, 31'000, to, budget, ignore);
        ++calls;
    }
    EXPECT_LE(calls, cap / budget);
    EXPECT_EQ(t->size(), 499u);
}

TEST(SweepPacer, SpreadsOneFullSweepOverThePeriod) {
    SweepPacer p(1000, 4096);  // period 1000 cycles
    EXPECT_EQ(p.due(5000, 300), 0u) << "the first call only starts the clock";
    uint64_t total = 0;
    for (uint64_t t = 5001; t <= 6000; ++t) total += p.due(t, 300);  // one period in 1-cycle steps
    EXPECT_EQ(total, 300u) << "fractions carry over";
    EXPECT_EQ(p.due(6500, 300), 150u);
    // A stall of ten periods owes one period's worth, in calls of at most 4096.
    SweepPacer q(1000, 4096);
    q.due(1, 100000);
    EXPECT_EQ(q.due(10'001, 100000), 4096u);
    uint64_t rest = 0;
    for (int i = 0; i < 100; ++i) rest += q.due(10'001, 100000);
    EXPECT_EQ(4096 + rest, 100000u);
    EXPECT_EQ(q.due(5, 100000), 0u) << "a clock going back restarts it";
}

TEST_F(FlowTableTest, PmtuErrorFromPodNetworkReachesClientAboutItsOwnPacket) {
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
    auto table = this->table(16);
    const FlowEntry e = make_flow_entry(flow_key4_of(p), raw32(0x0af40007), raw16(8080), raw32(0x0a000001),
                                        raw16(2049), 0, 0);
    ASSERT_NE(table->insert(e, {}, lease_of(e)), FlowTable4::kNone);
    rewrite_tuple(std::span<uint8_t>(fwd), p, e.to_backend());

    auto err = test::build_icmp_error(0x0a0000fe, 0x0a000001, 3, 4, fwd, 28, 1400);
    auto ep = parse_frame(std::span<const uint8_t>(err)).pkt;
    ASSERT_TRUE(ep.icmp_quotes_packet);
    const FlowKey4 quoted_key = icmp_quoted_flow_key4(ep);
    ASSERT_EQ(quoted_key, e.reply_side) << "the quote leads to the flow's reply-side key";
    const auto idx = table->lookup_reply(lease_of(e), quoted_key);
    ASSERT_NE(idx, FlowTable4::kNone);
    rewrite_icmp_error(std::span<uint8_t>(err), ep, table->at(idx).icmp_error_to_client());

    const auto out = parse_frame(std::span<const uint8_t>(err), {.verify_ipv4_checksum = true}).pkt;
    EXPECT_EQ(out.src_ip4, raw32(c.dst)) << "the error comes from the VIP";
    EXPECT_EQ(out.dst_ip4, raw32(c.src));
    EXPECT_EQ(test::get16(err, out.l4_offset + 6), 1400) << "MTU passed through";
    const std::vector<uint8_t> quoted(err.begin() + out.inner_l3_offset, err.begin() + out.inner_l3_offset + 28);
    const std::vector<uint8_t> sent(client_frame.begin() + 14, client_frame.begin() + 14 + 28);
    EXPECT_EQ(quoted, sent);
}

TEST_F(FlowTableTest, IcmpErrorFromClientSideReachesBackendAboutItsReply) {
    test::FrameSpec c;
    c.proto = kProtoUdp;
    const auto client_frame = test::build_ipv4(c);
    const auto cp = parse_frame(std::span<const uint8_t>(client_frame)).pkt;
    const FlowEntry e = make_flow_entry(flow_key4_of(cp), raw32(0x0af40007), raw16(53), raw32(0x0a000001),
                                        raw16(3000), 0, 0);
    auto table = this->table(16);
    ASSERT_NE(table->insert(e, {}, lease_of(e)), FlowTable4::kNone);
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
    ASSERT_EQ(table->lookup_reply(lease_of(e), flow_key4_of(rp)), table->lookup(e.client_side));
    rewrite_tuple(std::span<uint8_t>(to_client), rp, e.to_client());
    // The client's host says "port unreachable" about that reply.
    auto err = test::build_icmp_error(c.src, c.dst, 3, 3, to_client, 28);
    auto ep = parse_frame(std::span<const uint8_t>(err)).pkt;
    const auto idx = table->lookup(icmp_quoted_flow_key4(ep));
    ASSERT_NE(idx, FlowTable4::kNone);
    EXPECT_EQ(table->at(idx).client_side, icmp_quoted_flow_key4(ep));
    rewrite_icmp_error(std::span<uint8_t>(err), ep, table->at(idx).icmp_error_to_backend());
    const auto out = parse_frame(std::span<const uint8_t>(err), {.verify_ipv4_checksum = true}).pkt;
    EXPECT_EQ(out.src_ip4, raw32(0x0a000001));
    EXPECT_EQ(out.dst_ip4, raw32(0x0af40007));
    const std::vector<uint8_t> quoted(err.begin() + out.inner_l3_offset, err.begin() + out.inner_l3_offset + 28);
    const std::vector<uint8_t> sent(reply_frame.begin() + 14, reply_frame.begin() + 14 + 28);
    EXPECT_EQ(quoted, sent);
}

TEST_F(FlowTableTest, SnatChurnNeverSharesAReplyTuple) {
    // Flows come and go on 4 lcores towards 5 backends; no new flow's reply
    // key may be in the table already: no two live flows share (SNAT addr,
    // port, backend tuple).
    const uint16_t lcores = 4;
    SnatPool4 pool(config(10000, 10999, lcores, 2));
    // One table for leases of all four partitions: ids offset per lcore.
    auto table = FlowTable4::create("svcnat_ft_churn", 4096, SOCKET_ID_ANY, lcores * pool.local_ids());
    ASSERT_NE(table, nullptr);
    std::mt19937 rng(8);
    std::vector<FlowTable4::Index> live;
    uint64_t inserted = 0, exhausted = 0;
    for (uint32_t step = 0; step < 200000; ++step) {
        if (!live.empty() && (rng() % 3 == 0 || table->size() == table->capacity())) {
            const size_t k = rng() % live.size();
            const FlowEntry& e = table->at(live[k]);
            const SnatLease<Ip4> lease{e.reply_side.dst_ip,
                                  load_be16(reinterpret_cast<const uint8_t*>(&e.reply_side.dst_port))};
            ASSERT_TRUE(pool.release(e.owner_lcore, lease));
            table->erase(live[k]);
            live[k] = live.back();
            live.pop_back();
            continue;
        }
        const auto lcore = static_cast<uint16_t>(rng() % lcores);
        const auto lease = pool.allocate(lcore);
        if (!lease) {
            ++exhausted;
            continue;
        }
        const FlowKey4 ck = make_flow_key4(static_cast<uint32_t>(rng()), raw32(0xcb007101),
                                           static_cast<uint16_t>(rng()), raw16(80), kProtoTcp);
        const FlowEntry e = make_flow_entry(ck, raw32(0x0af40001 + static_cast<uint32_t>(rng() % 5)),
                                            raw16(8080), lease->addr, raw16(lease->port), lcore, step);
        ASSERT_EQ(owner_lcore(e.reply_side, lcores), lcore);
        const auto& addrs = pool.config().addrs;
        const auto lease_id = lcore * pool.local_ids() + pool.local_id(
            static_cast<uint32_t>(std::find(addrs.begin(), addrs.end(), lease->addr) - addrs.begin()), lease->port);
        ASSERT_EQ(table->reply_candidate(lease_id), FlowTable4::kNone) << "reply tuple collision at step " << step;
        const auto idx = table->insert(e, {}, lease_id);
        ASSERT_NE(idx, FlowTable4::kNone);
        live.push_back(idx);
        ++inserted;
    }
    EXPECT_GT(inserted, 50000u);
    uint64_t counted = 0;
    for (uint16_t l = 0; l < lcores; ++l) counted += pool.exhausted(l);
    EXPECT_EQ(counted, exhausted);
    EXPECT_GT(exhausted, 0u) << "the pool (2000 leases) is smaller than the table (4096): must run dry";
}


}  // namespace
}  // namespace svcnat::dpdk
