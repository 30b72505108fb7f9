// Checksums and NAT rewrites: every incremental update is compared with a
// from-scratch recomputation (packet_builder.hpp's independent RFC 1071
// loop) over many random packets with a fixed seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dpdk/core/bytes.hpp"
#include "dpdk/core/checksum.hpp"
#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/parse.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::build_ipv4;
using test::FrameSpec;
using test::get16;
using test::raw16;
using test::raw32;
using test::ref_checksum;
using test::ref_sum;

// The IPv4 header checksum a from-scratch computation gives for `f`.
uint16_t scratch_ip_checksum(std::vector<uint8_t> f, const ParsedPacket& p) {
    f[p.l3_offset + 10] = f[p.l3_offset + 11] = 0;
    return ref_checksum(&f[p.l3_offset], p.l3_header_len);
}

// The TCP/UDP checksum a from-scratch computation gives (UDP 0 → 0xffff).
uint16_t scratch_l4_checksum(std::vector<uint8_t> f, const ParsedPacket& p) {
    const size_t at = p.l4_offset + (p.l4_proto == kProtoUdp ? 6 : 16);
    f[at] = f[at + 1] = 0;
    uint32_t pseudo = ref_sum(&f[p.l3_offset + 12], 8) + p.l4_proto + p.l4_len;
    uint16_t c = ref_checksum(&f[p.l4_offset], p.l4_len, pseudo);
    if (p.l4_proto == kProtoUdp && c == 0) c = 0xffff;
    return c;
}

uint16_t l4_checksum_field(const std::vector<uint8_t>& f, const ParsedPacket& p) {
    return get16(f, p.l4_offset + (p.l4_proto == kProtoUdp ? 6 : 16));
}

TEST(Checksum, KnownVector) {
    // RFC 1071 section 3 example: words 0001 f203 f4f5 f6f7 sum to 0xddf2.
    const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(ones_complement_sum(bytes), 0xddf2);
    // Odd length: the last byte is padded with zero.
    const uint8_t odd[] = {0x01, 0x02, 0x03};
    EXPECT_EQ(ones_complement_sum(odd), 0x0402);
}

TEST(Checksum, Ipv4HeaderFromScratchMatchesReference) {
    std::mt19937 rng(99);
    for (int i = 0; i < 2000; ++i) {
        FrameSpec s;
        s.proto = (i % 2) ? kProtoTcp : kProtoUdp;
        s.src = static_cast<uint32_t>(rng());
        s.dst = static_cast<uint32_t>(rng());
        s.payload.resize(rng() % 300);
        for (auto& b : s.payload) b = static_cast<uint8_t>(rng());
        const auto f = build_ipv4(s);
        const auto r = parse_frame(std::span<const uint8_t>(f));
        ASSERT_TRUE(r.ok());
        const auto& p = r.pkt;
        EXPECT_EQ(ipv4_header_checksum({&f[p.l3_offset], p.l3_header_len}), get16(f, p.l3_offset + 10));
    }
}

TEST(Checksum, IncrementalUpdateNeverProducesNegativeZero) {
    // RFC 1624's point: eqn. 3 matches a recomputation, also when the result is 0.
    std::mt19937 rng(5);
    for (int i = 0; i < 100000; ++i) {
        uint8_t data[8];
        for (auto& b : data) b = static_cast<uint8_t>(rng());
        const uint16_t before = static_cast<uint16_t>(~ones_complement_sum(data));
        const uint16_t old_word = load_be16(data + 2);
        const uint16_t new_word = static_cast<uint16_t>(rng());
        store_be16(data + 2, new_word);
        ASSERT_EQ(checksum_update16(before, old_word, new_word), static_cast<uint16_t>(~ones_complement_sum(data)));
    }
}

TEST(Checksum, Ipv6PseudoHeader) {
    auto f = test::build_ipv6(kProtoUdp, 1000, 53, 11);
    const auto r = parse_frame(std::span<const uint8_t>(f));
    ASSERT_TRUE(r.ok());
    const auto& p = r.pkt;
    // Reference: sum of addresses, length and next header.
    uint32_t pseudo = ref_sum(&f[22], 32) + p.l4_len + kProtoUdp;
    const uint16_t expected = ref_checksum(&f[p.l4_offset], p.l4_len, pseudo);
    EXPECT_EQ(l4_checksum_v6(p.src_ip6, p.dst_ip6, kProtoUdp, {&f[p.l4_offset], p.l4_len}, 6), expected);
}

FrameSpec random_spec(std::mt19937& rng) {
    FrameSpec s;
    s.proto = (rng() % 2) ? kProtoTcp : kProtoUdp;
    s.vlan = rng() % 4 == 0;
    s.src = static_cast<uint32_t>(rng());
    s.dst = static_cast<uint32_t>(rng());
    s.sport = static_cast<uint16_t>(rng());
    s.dport = static_cast<uint16_t>(rng());
    s.ttl = static_cast<uint8_t>(2 + rng() % 254);
    s.tcp_flags = static_cast<uint8_t>(rng());
    if (rng() % 5 == 0) s.ip_options.assign(4 * (1 + rng() % 3), 0x01);
    if (s.proto == kProtoTcp && rng() % 3 == 0) s.tcp_options.assign(4 * (1 + rng() % 5), 0x01);
    s.payload.resize(rng() % 1400);  // odd and even lengths
    for (auto& b : s.payload) b = static_cast<uint8_t>(rng());
    s.udp_zero_checksum = s.proto == kProtoUdp && rng() % 4 == 0;
    s.eth_padding = rng() % 3 == 0 ? rng() % 20 : 0;
    return s;
}

TEST(Nat, RewriteMatchesRecomputationOnRandomPackets) {
    std::mt19937 rng(20241123);
    int udp_zero = 0, udp_ffff = 0;
    for (int i = 0; i < 20000; ++i) {
        const FrameSpec s = random_spec(rng);
        auto f = build_ipv4(s);
        auto r = parse_frame(std::span<const uint8_t>(f));
        ASSERT_TRUE(r.ok()) << i << ": " << to_string(r.drop);
        ParsedPacket p = r.pkt;
        const Ipv4Tuple to{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                           static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())};
        const auto payload_before = std::vector<uint8_t>(f.begin() + p.payload_offset, f.end());
        rewrite_tuple(std::span<uint8_t>(f), p, to);

        // The packet parses to the new tuple, and p was kept in step.
        const auto again = parse_frame(std::span<const uint8_t>(f), {.verify_ipv4_checksum = true});
        ASSERT_TRUE(again.ok()) << i << ": " << to_string(again.drop);
        EXPECT_EQ(again.pkt.src_ip4, to.src_ip);
        EXPECT_EQ(again.pkt.dst_ip4, to.dst_ip);
        EXPECT_EQ(again.pkt.src_port, to.src_port);
        EXPECT_EQ(again.pkt.dst_port, to.dst_port);
        EXPECT_EQ(p.src_ip4, to.src_ip);
        EXPECT_EQ(p.dst_port, to.dst_port);
        // Checksums equal a from-scratch computation, bit for bit.
        ASSERT_EQ(get16(f, p.l3_offset + 10), scratch_ip_checksum(f, p)) << i;
        if (s.udp_zero_checksum) {
            ASSERT_EQ(l4_checksum_field(f, p), 0) << i << ": UDP checksum 0 must stay 0";
            ++udp_zero;
        } else {
            ASSERT_EQ(l4_checksum_field(f, p), scratch_l4_checksum(f, p)) << i;
            if (p.l4_proto == kProtoUdp && l4_checksum_field(f, p) == 0xffff) ++udp_ffff;
        }
        // Nothing beyond the L4 header changed.
        EXPECT_EQ(std::vector<uint8_t>(f.begin() + p.payload_offset, f.end()), payload_before);
    }
    EXPECT_GT(udp_zero, 100);
    std::printf("nat fuzz: %d UDP zero-checksum packets kept at 0, %d UDP results sent as 0xffff\n",
                udp_zero, udp_ffff);
}

// The gateway's forwarding rewrite: the deltas a flow entry precomputes
// when it is created (addresses, ports, TTL - 1), applied to each packet of
// either direction, give the checksums a from-scratch computation gives.
TEST(Nat, ForwardingWithTheFlowsPrecomputedDeltasMatchesRecomputation) {
    std::mt19937 rng(20261203);
    for (int i = 0; i < 20000; ++i) {
        const FrameSpec s = random_spec(rng);
        auto f = build_ipv4(s);
        const auto r = parse_frame(std::span<const uint8_t>(f));
        ASSERT_TRUE(r.ok()) << i << ": " << to_string(r.drop);
        const ParsedPacket& p = r.pkt;
        // Packet i is the client's (i even) or the backend's reply (i odd)
        // of a flow whose other addresses are random.
        const bool from_client = i % 2 == 0;
        const auto rnd32 = [&] { return static_cast<uint32_t>(rng()); };
        const auto rnd16 = [&] { return static_cast<uint16_t>(rng()); };
        const FlowKey4 received = flow_key4_of(p);
        const FlowEntry e =
            from_client ? make_flow_entry(received, rnd32(), rnd16(), rnd32(), rnd16(), 0, 0)
                        : make_flow_entry(make_flow_key4(rnd32(), rnd32(), rnd16(), rnd16(), p.l4_proto),
                                          received.src_ip, received.src_port, received.dst_ip, received.dst_port, 0, 0);
        if (!from_client) {
            ASSERT_EQ(e.reply_side, received);
        }
        const Direction d = from_client ? Direction::FromClient : Direction::FromBackend;
        const Ipv4Tuple to = from_client ? e.to_backend() : e.to_client();
        ASSERT_EQ(forward_nat<Inet4>(std::span<uint8_t>(f), p, to, e.delta[static_cast<size_t>(d)]), DropReason::None);
        const auto again = parse_frame(std::span<const uint8_t>(f), {.verify_ipv4_checksum = true});
        ASSERT_TRUE(again.ok()) << i << ": " << to_string(again.drop);
        EXPECT_EQ(again.pkt.src_ip4, to.src_ip);
        EXPECT_EQ(again.pkt.dst_port, to.dst_port);
        EXPECT_EQ(again.pkt.ttl, s.ttl - 1);
        ASSERT_EQ(get16(f, p.l3_offset + 10), scratch_ip_checksum(f, again.pkt)) << i;
        if (s.udp_zero_checksum) {
            ASSERT_EQ(l4_checksum_field(f, p), 0) << i;
        } else {
            ASSERT_EQ(l4_checksum_field(f, p), scratch_l4_checksum(f, again.pkt)) << i;
        }
    }
    for (uint8_t ttl : {0, 1}) {
        FrameSpec s;
        s.ttl = ttl;
        auto f = build_ipv4(s);
        const auto before = f;
        const auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
        const FlowEntry e = make_flow_entry(flow_key4_of(p), raw32(0x0a000002), raw16(80), raw32(0x0a000001),
                                            raw16(1024), 0, 0);
        EXPECT_EQ(forward_nat<Inet4>(std::span<uint8_t>(f), p, e.to_backend(), e.delta[0]), DropReason::TtlExpired);
        EXPECT_EQ(f, before) << "an expiring packet must be left untouched";
    }
}

TEST(Nat, UdpResultZeroIsSentAsFfff) {
    // Search deterministically for a rewrite whose true UDP checksum is 0
    // and check that the wire value is 0xffff, not 0 ("no checksum").
    std::mt19937 rng(77);
    FrameSpec s;
    s.proto = kProtoUdp;
    s.payload = {1, 2, 3, 4};
    bool found = false;
    for (int i = 0; i < 2000000 && !found; ++i) {
        auto f = build_ipv4(s);
        auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
        const Ipv4Tuple to{p.src_ip4, p.dst_ip4, static_cast<uint16_t>(rng()), static_cast<uint16_t>(i)};
        rewrite_tuple(std::span<uint8_t>(f), p, to);
        auto g = f;
        g[p.l4_offset + 6] = g[p.l4_offset + 7] = 0;
        const uint32_t pseudo = ref_sum(&g[p.l3_offset + 12], 8) + kProtoUdp + p.l4_len;
        if (ref_checksum(&g[p.l4_offset], p.l4_len, pseudo) == 0) {
            EXPECT_EQ(l4_checksum_field(f, p), 0xffff);
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

TEST(Nat, TtlDecrementUpdatesChecksum) {
    std::mt19937 rng(3);
    for (int i = 0; i < 5000; ++i) {
        FrameSpec s = random_spec(rng);
        auto f = build_ipv4(s);
        auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
        ASSERT_EQ(decrement_ttl<Inet4>(std::span<uint8_t>(f), p), DropReason::None);
        EXPECT_EQ(f[p.l3_offset + 8], s.ttl - 1);
        EXPECT_EQ(p.ttl, s.ttl - 1);
        ASSERT_EQ(get16(f, p.l3_offset + 10), scratch_ip_checksum(f, p)) << i;
    }
    for (uint8_t ttl : {0, 1}) {
        FrameSpec s;
        s.ttl = ttl;
        auto f = build_ipv4(s);
        const auto before = f;
        auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
        EXPECT_EQ(decrement_ttl<Inet4>(std::span<uint8_t>(f), p), DropReason::TtlExpired);
        EXPECT_EQ(f, before) << "an expiring packet must be left untouched";
    }
}

TEST(Nat, IcmpErrorTranslationMatchesRecomputation) {
    std::mt19937 rng(4242);
    for (int i = 0; i < 5000; ++i) {
        FrameSpec inner = random_spec(rng);
        inner.vlan = false;
        inner.eth_padding = 0;
        const auto quoted = build_ipv4(inner);
        const size_t inner_ihl = 20 + inner.ip_options.size();
        // Sometimes the whole packet (RFC 1812 routers quote as much as fits).
        const size_t whole = quoted.size() - 14;
        const size_t quote_len = i % 4 == 0 ? whole : std::min(whole, inner_ihl + 8 + rng() % 64);
        auto f = test::build_icmp_error(static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                        (i % 3 == 0) ? 11 : 3, (i % 3 == 0) ? 0 : 4, quoted, quote_len);
        auto r = parse_frame(std::span<const uint8_t>(f));
        ASSERT_TRUE(r.ok()) << to_string(r.drop);
        ParsedPacket p = r.pkt;
        ASSERT_TRUE(p.icmp_quotes_packet) << i;
        const IcmpErrorRewrite to{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                  {static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                   static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())}};
        rewrite_icmp_error(std::span<uint8_t>(f), p, to);

        const auto again = parse_frame(std::span<const uint8_t>(f), {.verify_ipv4_checksum = true});
        ASSERT_TRUE(again.ok()) << i << ": " << to_string(again.drop);
        const auto& q = again.pkt;
        EXPECT_EQ(q.src_ip4, to.outer_src);
        EXPECT_EQ(q.dst_ip4, to.outer_dst);
        ASSERT_TRUE(q.icmp_quotes_packet);
        EXPECT_EQ(q.inner_src_ip4, to.quoted.src_ip);
        EXPECT_EQ(q.inner_dst_ip4, to.quoted.dst_ip);
        EXPECT_EQ(q.inner_src_port, to.quoted.src_port);
        EXPECT_EQ(q.inner_dst_port, to.quoted.dst_port);
        EXPECT_EQ(p.inner_dst_port, to.quoted.dst_port);
        // Outer header, quoted header and ICMP checksums equal a recomputation.
        ASSERT_EQ(get16(f, q.l3_offset + 10), scratch_ip_checksum(f, q)) << i;
        auto g = f;
        g[q.inner_l3_offset + 10] = g[q.inner_l3_offset + 11] = 0;
        ASSERT_EQ(get16(f, q.inner_l3_offset + 10), ref_checksum(&g[q.inner_l3_offset], inner_ihl)) << i;
        g = f;
        g[q.l4_offset + 2] = g[q.l4_offset + 3] = 0;
        ASSERT_EQ(get16(f, q.l4_offset + 2), ref_checksum(&g[q.l4_offset], q.l4_len)) << i;
        if (quote_len == whole) {
            // The whole segment is quoted: its checksum must verify against
            // the translated quoted addresses (UDP 0 stays 0).
            const size_t at = q.inner_l4_offset + (q.inner_proto == kProtoUdp ? 6 : 16);
            const size_t seg_len = whole - inner_ihl;
            g = f;
            const uint16_t wire = get16(g, at);
            g[at] = g[at + 1] = 0;
            const uint32_t pseudo = ref_sum(&g[q.inner_l3_offset + 12], 8) + q.inner_proto +
                                    static_cast<uint32_t>(seg_len);
            uint16_t expect = ref_checksum(&g[q.inner_l4_offset], seg_len, pseudo);
            if (q.inner_proto == kProtoUdp && expect == 0) expect = 0xffff;
            if (inner.udp_zero_checksum) expect = 0;
            ASSERT_EQ(wire, expect) << i;
        }
    }
}

// A random IPv6 TCP/UDP frame with a valid L4 checksum.
std::vector<uint8_t> random_ipv6(std::mt19937& rng, uint8_t proto) {
    auto f = test::build_ipv6(proto, static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()), rng() % 1200,
                              static_cast<uint8_t>(rng()));
    for (size_t i = 22; i < 54; ++i) f[i] = static_cast<uint8_t>(rng());  // addresses
    const size_t l4 = 54;
    const size_t l4_header = proto == kProtoTcp ? 20 : 8;
    for (size_t i = l4 + l4_header; i < f.size(); ++i) f[i] = static_cast<uint8_t>(rng());
    const size_t at = l4 + (proto == kProtoTcp ? 16 : 6);
    const uint32_t pseudo = ref_sum(&f[22], 32) + proto + static_cast<uint32_t>(f.size() - l4);
    uint16_t c = ref_checksum(&f[l4], f.size() - l4, pseudo);
    if (proto == kProtoUdp && c == 0) c = 0xffff;
    test::put16(f, at, c);
    return f;
}

TEST(Nat, Ipv6RewriteMatchesRecomputation) {
    std::mt19937 rng(606);
    for (int i = 0; i < 5000; ++i) {
        const uint8_t proto = (i % 2) ? kProtoTcp : kProtoUdp;
        auto f = random_ipv6(rng, proto);
        auto r = parse_frame(std::span<const uint8_t>(f));
        ASSERT_TRUE(r.ok()) << to_string(r.drop);
        ParsedPacket p = r.pkt;
        Ipv6Tuple to;
        for (auto& b : to.src_ip) b = static_cast<uint8_t>(rng());
        for (auto& b : to.dst_ip) b = static_cast<uint8_t>(rng());
        to.src_port = static_cast<uint16_t>(rng());
        to.dst_port = static_cast<uint16_t>(rng());
        rewrite_tuple(std::span<uint8_t>(f), p, to);
        const auto q = parse_frame(std::span<const uint8_t>(f)).pkt;
        EXPECT_EQ(q.src_ip6, to.src_ip);
        EXPECT_EQ(q.dst_ip6, to.dst_ip);
        EXPECT_EQ(q.src_port, to.src_port);
        EXPECT_EQ(q.dst_port, to.dst_port);
        const size_t at = q.l4_offset + (proto == kProtoTcp ? 16 : 6);
        auto g = f;
        g[at] = g[at + 1] = 0;
        uint16_t expect = ref_checksum(&g[q.l4_offset], q.l4_len,
                                       ref_sum(&g[22], 32) + proto + q.l4_len);
        if (proto == kProtoUdp && expect == 0) expect = 0xffff;
        ASSERT_EQ(get16(f, at), expect) << i;
        const uint8_t hop = f[21];
        if (hop > 1) {
            ASSERT_EQ(decrement_ttl<Inet6>(std::span<uint8_t>(f), p), DropReason::None);
            EXPECT_EQ(f[21], hop - 1);
        } else {
            EXPECT_EQ(decrement_ttl<Inet6>(std::span<uint8_t>(f), p), DropReason::TtlExpired);
            EXPECT_EQ(f[21], hop);
        }
    }
}

TEST(Nat, MacRewrite) {
    auto f = build_ipv4(FrameSpec{});
    auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
    const MacAddr src{0x02, 0, 0, 0, 0, 0x01}, dst{0x02, 0, 0, 0, 0, 0x02};
    rewrite_macs(std::span<uint8_t>(f), p, src, dst);
    const auto again = parse_frame(std::span<const uint8_t>(f)).pkt;
    EXPECT_EQ(again.src_mac, src);
    EXPECT_EQ(again.dst_mac, dst);
    EXPECT_EQ(p.src_mac, src);
}

TEST(Nat, FullNatRoundTripRestoresTheOriginalPacket) {
    // DNAT+SNAT forward, then the reverse rewrite, gives back the bytes we
    // started from (checksums included): what the client sees is consistent.
    std::mt19937 rng(11);
    for (int i = 0; i < 2000; ++i) {
        const FrameSpec s = random_spec(rng);
        const auto original = build_ipv4(s);
        auto f = original;
        auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
        const Ipv4Tuple from{p.src_ip4, p.dst_ip4, p.src_port, p.dst_port};
        rewrite_tuple(std::span<uint8_t>(f), p, Ipv4Tuple{raw32(0x0a000001), raw32(0x0af40001), raw16(1024), raw16(8080)});
        rewrite_tuple(std::span<uint8_t>(f), p, from);
        ASSERT_EQ(f, original) << i;
    }
}

}  // namespace
}  // namespace svcnat::dpdk
