// IPv6 in the gateway's pure core, with the same coverage as IPv4:
// extension headers walked (skipped or dropped, as parse.cpp documents),
// ICMPv6 errors (Packet Too Big above all) parsed and translated with
// checksums equal to a from-scratch computation, flow entries, SNAT pool and
// dual-stack service tables.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/nd.hpp"
#include "dpdk/core/parse.hpp"
#include "dpdk/core/service_table.hpp"
#include "dpdk/core/snat_pool.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::build_icmpv6_error;
using test::build_ipv6_packet;
using test::Frame6Spec;
using test::get16;
using test::raw16;
using test::ref_checksum_v6;

ParseResult parse(const std::vector<uint8_t>& f) { return parse_frame(std::span<const uint8_t>(f)); }

Ip6 addr(const char* text) {
    Ip6 a;
    const auto ip = IPAddr::parse(text);
    std::memcpy(a.data(), ip->bytes.data(), 16);
    return a;
}

Ip6 random_addr(std::mt19937& rng) {
    Ip6 a;
    for (auto& b : a) b = static_cast<uint8_t>(rng());
    return a;
}

TEST(Ipv6Parse, ExtensionHeadersSkippedOrDropped) {
    struct Case {
        std::vector<uint8_t> ext;
        uint8_t segments_left;
        uint16_t frag;
        DropReason expect;
    };
    const Case cases[] = {
        {{0}, 0, 0, DropReason::None},                       // hop-by-hop
        {{60}, 0, 0, DropReason::None},                      // destination options
        {{0, 60, 43}, 0, 0, DropReason::None},               // routing, no segments left
        {{44}, 0, 0, DropReason::None},                      // atomic fragment (RFC 6946)
        {{43}, 1, 0, DropReason::Ipv6ExtensionHeader},       // routing with segments left
        {{44}, 0, 0x0001, DropReason::Fragment},             // first fragment (M set)
        {{60, 44}, 0, 0x0100, DropReason::Fragment},         // later fragment
        {{0, 50}, 0, 0, DropReason::Ipv6ExtensionHeader},    // ESP
        {{51}, 0, 0, DropReason::Ipv6ExtensionHeader},       // AH
        {{60, 60, 60, 60, 60, 60, 60, 60, 60}, 0, 0, DropReason::Ipv6ExtensionHeader},  // > 8
    };
    for (const uint8_t proto : {kProtoTcp, kProtoUdp}) {
        for (const Case& c : cases) {
            Frame6Spec s;
            s.proto = proto;
            s.extensions = c.ext;
            s.segments_left = c.segments_left;
            s.frag = c.frag;
            s.payload.assign(33, 0x5a);
            const auto r = parse(build_ipv6_packet(s));
            ASSERT_EQ(r.drop, c.expect) << to_string(r.drop) << " with " << c.ext.size() << " headers";
            if (!r.ok()) continue;
            EXPECT_EQ(r.pkt.l4_proto, proto);
            EXPECT_EQ(r.pkt.l4_offset, 54 + 8 * c.ext.size());
            EXPECT_EQ(r.pkt.l3_header_len, 40 + 8 * c.ext.size());
            EXPECT_EQ(r.pkt.ipv6_has_extensions, !c.ext.empty());
            EXPECT_EQ(load_be16(reinterpret_cast<const uint8_t*>(&r.pkt.src_port)), 40000);
            EXPECT_EQ(load_be16(reinterpret_cast<const uint8_t*>(&r.pkt.dst_port)), 80);
            EXPECT_EQ(r.pkt.l4_len, (proto == kProtoTcp ? 20 : 8) + 33);
        }
    }
    // A jumbogram (payload length 0 with hop-by-hop) is not for us.
    Frame6Spec s;
    s.extensions = {0};
    auto f = build_ipv6_packet(s);
    test::put16(f, 18, 0);
    EXPECT_FALSE(parse(f).ok());
}

TEST(Ipv6Parse, EveryTruncationIsDetected) {
    Frame6Spec s;
    s.extensions = {0, 60, 44};
    s.payload.resize(3);
    const auto full = build_ipv6_packet(s);
    ASSERT_TRUE(parse(full).ok());
    for (size_t n = 0; n < full.size(); ++n) {
        const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
        EXPECT_FALSE(parse(cut).ok()) << "accepted a frame cut to " << n << " bytes";
    }
    // An extension header that claims more than the payload holds.
    auto f = full;
    f[54 + 1] = 200;
    const auto r = parse(f);
    EXPECT_EQ(r.drop, DropReason::Truncated);
}

TEST(Ipv6Parse, Icmpv6ErrorQuotesPacket) {
    Frame6Spec inner;
    inner.src = addr("2001:db8:9::5");  // SNAT address → backend
    inner.dst = addr("2001:db8:20::7");
    inner.sport = 1030;
    inner.dport = 8080;
    inner.extensions = {60};
    inner.payload.resize(1400);
    const auto quoted = build_ipv6_packet(inner);
    const auto f = build_icmpv6_error(addr("2001:db8:20::1"), inner.src, kIcmpv6PacketTooBig, 0, quoted, 1232);
    const auto r = parse(f);
    ASSERT_TRUE(r.ok()) << to_string(r.drop);
    const ParsedPacket& p = r.pkt;
    ASSERT_TRUE(p.icmp_quotes_packet);
    EXPECT_EQ(p.icmp_type, kIcmpv6PacketTooBig);
    EXPECT_EQ(p.inner_src_ip6, inner.src);
    EXPECT_EQ(p.inner_dst_ip6, inner.dst);
    EXPECT_EQ(p.inner_src_port, raw16(1030));
    EXPECT_EQ(p.inner_dst_port, raw16(8080));
    EXPECT_EQ(p.inner_proto, kProtoTcp);
    EXPECT_EQ(p.inner_l4_offset, 54 + 8 + 40 + 8);
    // The flow it is about, as the gateway received it: backend → SNAT.
    const FlowKey6 k = icmp_quoted_flow_key<Inet6>(p);
    EXPECT_EQ(k.src_ip, inner.dst);
    EXPECT_EQ(k.dst_ip, inner.src);

    // Quotes that cannot be mapped: too short for the ports, a non-first
    // fragment, an informational message.
    EXPECT_FALSE(parse(build_icmpv6_error(inner.dst, inner.src, 1, 4, quoted, 40 + 8 + 4)).pkt.icmp_quotes_packet);
    Frame6Spec frag = inner;
    frag.extensions = {44};
    frag.frag = 0x0100;
    EXPECT_FALSE(parse(build_icmpv6_error(inner.dst, inner.src, 3, 0, build_ipv6_packet(frag), 100))
                     .pkt.icmp_quotes_packet);
    Frame6Spec echo;
    echo.proto = kProtoIcmpv6;
    const auto e = parse(build_ipv6_packet(echo));
    ASSERT_TRUE(e.ok());
    EXPECT_FALSE(e.pkt.icmp_quotes_packet);
    EXPECT_EQ(e.pkt.icmp_echo_id, raw16(0xbeef));
}

// A random TCP/UDP frame for the rewrite tests: packet i alternates the
// protocol, has 0-2 extension headers, random payload, and (UDP, every 7th)
// a zero checksum.
Frame6Spec random_l4_spec(std::mt19937& rng, int i) {
    Frame6Spec s;
    s.proto = i % 2 ? kProtoTcp : kProtoUdp;
    s.src = random_addr(rng);
    s.dst = random_addr(rng);
    s.sport = static_cast<uint16_t>(rng());
    s.dport = static_cast<uint16_t>(rng());
    for (unsigned n = rng() % 3; n > 0; --n) s.extensions.push_back(n % 2 ? 60 : 0);
    s.payload.resize(rng() % 1300);
    for (auto& b : s.payload) b = static_cast<uint8_t>(rng());
    s.udp_zero_checksum = s.proto == kProtoUdp && i % 7 == 0;
    return s;
}

// The TCP/UDP checksum field of frame f (parsed as q) must hold: computed
// from scratch, 0xffff for a computed UDP 0, and 0 kept for UDP "none".
void expect_l4_checksum_from_scratch(const std::vector<uint8_t>& f, const ParsedPacket& q, const Frame6Spec& s, int i) {
    const size_t at = q.l4_offset + (s.proto == kProtoTcp ? 16 : 6);
    auto g = f;
    g[at] = g[at + 1] = 0;
    uint16_t expect = ref_checksum_v6(g, 14, q.l4_offset, q.l4_len, s.proto);
    if (s.proto == kProtoUdp && expect == 0) expect = 0xffff;
    if (s.udp_zero_checksum) expect = 0;
    ASSERT_EQ(get16(f, at), expect) << i;
}

TEST(Ipv6Nat, RewriteWithExtensionHeadersMatchesRecomputation) {
    std::mt19937 rng(77);
    for (int i = 0; i < 3000; ++i) {
        const Frame6Spec s = random_l4_spec(rng, i);
        auto f = build_ipv6_packet(s);
        auto r = parse(f);
        ASSERT_TRUE(r.ok()) << to_string(r.drop);
        ParsedPacket p = r.pkt;
        const Ipv6Tuple to{random_addr(rng), random_addr(rng), static_cast<uint16_t>(rng()),
                           static_cast<uint16_t>(rng())};
        rewrite_tuple(std::span<uint8_t>(f), p, to);
        const auto q = parse(f).pkt;
        EXPECT_EQ(q.src_ip6, to.src_ip);
        EXPECT_EQ(q.dst_ip6, to.dst_ip);
        expect_l4_checksum_from_scratch(f, q, s, i);
    }
}

// The gateway's forwarding rewrite with a flow's precomputed deltas, both
// directions: checksum as from scratch, hop limit decremented, and a hop
// limit of 1 leaves the frame untouched.
TEST(Ipv6Nat, ForwardingWithTheFlowsPrecomputedDeltasMatchesRecomputation) {
    std::mt19937 rng(1203);
    for (int i = 0; i < 3000; ++i) {
        Frame6Spec s = random_l4_spec(rng, i);
        s.hop_limit = i % 50 == 0 ? 1 : static_cast<uint8_t>(2 + rng() % 254);
        auto f = build_ipv6_packet(s);
        const auto r = parse(f);
        ASSERT_TRUE(r.ok()) << to_string(r.drop);
        const FlowKey6 received = flow_key_of<Inet6>(r.pkt);
        const bool from_client = i % 4 < 2;
        const auto port = [&] { return static_cast<uint16_t>(rng()); };
        const FlowEntry6 e =
            from_client ? make_flow_entry(received, random_addr(rng), port(), random_addr(rng), port(), 0, 0)
                        : make_flow_entry(make_flow_key(random_addr(rng), random_addr(rng), port(), port(), s.proto),
                                          received.src_ip, received.src_port, received.dst_ip, received.dst_port, 0, 0);
        const Direction d = from_client ? Direction::FromClient : Direction::FromBackend;
        const Ipv6Tuple to = from_client ? e.to_backend() : e.to_client();
        const auto before = f;
        const DropReason verdict = forward_nat<Inet6>(std::span<uint8_t>(f), r.pkt, to, e.delta[static_cast<size_t>(d)]);
        if (s.hop_limit == 1) {
            EXPECT_EQ(verdict, DropReason::TtlExpired);
            EXPECT_EQ(f, before);
            continue;
        }
        ASSERT_EQ(verdict, DropReason::None);
        const auto q = parse(f).pkt;
        EXPECT_EQ(q.src_ip6, to.src_ip);
        EXPECT_EQ(q.dst_ip6, to.dst_ip);
        EXPECT_EQ(q.ttl, s.hop_limit - 1);
        expect_l4_checksum_from_scratch(f, q, s, i);
    }
}

TEST(Ipv6Nat, IcmpErrorTranslationMatchesRecomputation) {
    std::mt19937 rng(4343);
    for (int i = 0; i < 3000; ++i) {
        const Frame6Spec inner = random_l4_spec(rng, i);
        const auto quoted = build_ipv6_packet(inner);
        const size_t whole = quoted.size() - 14;
        const size_t headers = 40 + 8 * inner.extensions.size() + 8;
        const size_t quote_len = i % 4 == 0 ? whole : std::min(whole, headers + rng() % 64);
        const uint8_t type = static_cast<uint8_t>(1 + i % 4);  // unreachable, too big, time exceeded, param
        auto f = build_icmpv6_error(random_addr(rng), random_addr(rng), type, 0, quoted, quote_len, 1280 + i);
        auto r = parse(f);
        ASSERT_TRUE(r.ok()) << to_string(r.drop);
        ParsedPacket p = r.pkt;
        ASSERT_TRUE(p.icmp_quotes_packet) << i;
        const IcmpErrorRewrite6 to{random_addr(rng), random_addr(rng),
                                   {random_addr(rng), random_addr(rng), static_cast<uint16_t>(rng()),
                                    static_cast<uint16_t>(rng())}};
        rewrite_icmp_error(std::span<uint8_t>(f), p, to);

        const auto again = parse(f);
        ASSERT_TRUE(again.ok()) << to_string(again.drop);
        const auto& q = again.pkt;
        EXPECT_EQ(q.src_ip6, to.outer_src);
        EXPECT_EQ(q.dst_ip6, to.outer_dst);
        ASSERT_TRUE(q.icmp_quotes_packet);
        EXPECT_EQ(q.inner_src_ip6, to.quoted.src_ip);
        EXPECT_EQ(q.inner_dst_ip6, to.quoted.dst_ip);
        EXPECT_EQ(q.inner_src_port, to.quoted.src_port);
        EXPECT_EQ(q.inner_dst_port, to.quoted.dst_port);
        if (type == kIcmpv6PacketTooBig) {
            EXPECT_EQ(test::get32(f, q.l4_offset + 4), 1280u + i);
        }
        // ICMPv6 checksum: pseudo-header with the NEW outer addresses.
        auto g = f;
        g[q.l4_offset + 2] = g[q.l4_offset + 3] = 0;
        ASSERT_EQ(get16(f, q.l4_offset + 2), ref_checksum_v6(g, 14, q.l4_offset, q.l4_len, kProtoIcmpv6)) << i;
        if (quote_len == whole) {
            const size_t at = q.inner_l4_offset + (q.inner_proto == kProtoUdp ? 6 : 16);
            const size_t seg_len = f.size() - q.inner_l4_offset;
            g = f;
            const uint16_t wire = get16(g, at);
            g[at] = g[at + 1] = 0;
            uint16_t expect = ref_checksum_v6(g, q.inner_l3_offset, q.inner_l4_offset, seg_len, q.inner_proto);
            if (q.inner_proto == kProtoUdp && expect == 0) expect = 0xffff;
            if (inner.udp_zero_checksum) expect = 0;
            ASSERT_EQ(wire, expect) << i;
        }
    }
}

TEST(Ipv6Flow, EntryTranslatesBothWaysAndRoundTrips) {
    Frame6Spec s;
    s.src = addr("2001:db8:c::1");
    s.dst = addr("2001:db8:f00::10");  // the VIP
    s.sport = 50000;
    s.dport = 443;
    s.payload.assign(100, 1);
    const auto original = build_ipv6_packet(s);
    auto f = original;
    ParsedPacket p = parse(f).pkt;
    const FlowKey6 client = flow_key_of<Inet6>(p);
    const Ip6 backend = addr("fd00:10:244::7"), snat = addr("2001:db8:5::1");
    const FlowEntry6 e = make_flow_entry(client, backend, raw16(8443), snat, raw16(2049), 1, 1000);
    EXPECT_EQ(e.reply_side, make_flow_key(backend, snat, raw16(8443), raw16(2049), kProtoTcp));
    EXPECT_EQ(e.state(), FlowState::SynSent);
    EXPECT_EQ(owner_lcore(e.reply_side, 2), 2049 % 2);

    rewrite_tuple(std::span<uint8_t>(f), p, e.to_backend());
    ParsedPacket b = parse(f).pkt;
    EXPECT_EQ(flow_key_of<Inet6>(b), reversed(e.reply_side));
    // The backend's answer, as it would come back, then translated for the client.
    rewrite_tuple(std::span<uint8_t>(f), b, L4Tuple<Ip6>{backend, snat, raw16(8443), raw16(2049)});
    rewrite_tuple(std::span<uint8_t>(f), b, e.to_client());
    ParsedPacket c = parse(f).pkt;
    EXPECT_EQ(c.src_ip6, s.dst);
    EXPECT_EQ(c.dst_ip6, s.src);
    EXPECT_EQ(c.src_port, raw16(443));
    EXPECT_EQ(c.dst_port, raw16(50000));
    EXPECT_EQ(e.icmp_error_to_client().quoted, (L4Tuple<Ip6>{s.src, s.dst, raw16(50000), raw16(443)}));
    EXPECT_EQ(e.icmp_error_to_backend().outer_src, snat);
}

TEST(Ipv6SnatPool, PartitionsLeasesPerLcore) {
    SnatPool6::Config cfg;
    cfg.addrs = {addr("2001:db8:5::1"), addr("2001:db8:5::2")};
    cfg.port_first = 2000;
    cfg.port_last = 2099;
    cfg.n_lcores = 2;
    SnatPool6 pool(cfg);
    EXPECT_EQ(pool.capacity(0) + pool.capacity(1), 200u);
    std::set<std::pair<Ip6, uint16_t>> seen;
    for (uint16_t lcore = 0; lcore < 2; ++lcore) {
        while (auto lease = pool.allocate(lcore)) {
            EXPECT_EQ(owner_lcore_of_port(lease->port, 2), lcore);
            EXPECT_TRUE(seen.emplace(lease->addr, lease->port).second);
        }
    }
    EXPECT_EQ(seen.size(), 200u);
    EXPECT_TRUE(pool.release(0, {addr("2001:db8:5::2"), 2000}));
    EXPECT_FALSE(pool.release(0, {addr("2001:db8:5::2"), 2000})) << "double release";
    EXPECT_FALSE(pool.release(0, {addr("2001:db8:5::9"), 2002})) << "not ours";
    EXPECT_THROW(SnatPool6(SnatPool6::Config{{addr("2001:db8:5::1"), addr("2001:db8:5::1")}, 1, 9, 1}),
                 std::invalid_argument);
}

ResolvedEndpoint endpoint(const char* ip, uint16_t port) {
    ResolvedEndpoint e;
    e.ip = *IPAddr::parse(ip);
    e.port = port;
    e.ready = e.serving = true;
    return e;
}

TEST(Ipv6Services, DualStackPortServesEachFamilyFromItsOwnEndpoints) {
    ResolvedServicePort sp;
    sp.ns = "default";
    sp.name = "web";
    sp.type = ServiceType::LoadBalancer;
    sp.port = 80;
    sp.loadBalancerIPs = {*IPAddr::parse("203.0.113.10"), *IPAddr::parse("2001:db8:f00::10")};
    sp.externalIPs = {*IPAddr::parse("2001:db8:f00::20")};
    sp.loadBalancerSourceRanges = {*CIDR::parse("2001:db8:c::/48"), *CIDR::parse("192.0.2.0/24")};
    sp.endpoints = {endpoint("10.244.1.2", 8080), endpoint("10.244.1.3", 8080), endpoint("fd00::2", 8080),
                    endpoint("fd00::3", 8080), endpoint("fd00::4", 8080)};
    ServiceState st;
    st.ports = {sp};
    std::vector<std::string> warnings;
    const auto snap = ServiceSnapshot::build(st, {}, &warnings);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    EXPECT_EQ(snap->vip_count(), 3u);

    uint32_t v4;
    std::memcpy(&v4, IPAddr::parse("203.0.113.10")->bytes.data(), 4);
    const auto* s4 = snap->find(make_service_key(v4, raw16(80), kProtoTcp));
    ASSERT_NE(s4, nullptr);
    EXPECT_EQ(s4->backends.size(), 2u);
    const auto* s6 = snap->find(make_service_key(addr("2001:db8:f00::10"), raw16(80), kProtoTcp));
    ASSERT_NE(s6, nullptr);
    ASSERT_EQ(s6->backends.size(), 3u);
    EXPECT_EQ(s6->backends[0].ip, addr("fd00::2"));
    EXPECT_EQ(s6->backends[0].id, "[fd00::2]:8080");
    EXPECT_TRUE(s6->has_backend(addr("fd00::4"), raw16(8080)));
    EXPECT_FALSE(s6->has_backend(addr("fd00::5"), raw16(8080)));
    EXPECT_EQ(snap->find(make_service_key(addr("2001:db8:f00::20"), raw16(80), kProtoTcp)), s6)
        << "the externalIP shares the port's IPv6 table";
    EXPECT_EQ(snap->find(make_service_key(addr("2001:db8:f00::10"), raw16(81), kProtoTcp)), nullptr);

    // Maglev over the IPv6 backends: deterministic and spread.
    std::set<std::string> chosen;
    for (uint16_t port = 1024; port < 1324; ++port) {
        const FlowKey6 k = make_flow_key(addr("2001:db8:c::1"), addr("2001:db8:f00::10"), raw16(port), raw16(80),
                                         kProtoTcp);
        ASSERT_EQ(s6->select(k), s6->select(k));
        chosen.insert(s6->select(k)->id);
    }
    EXPECT_EQ(chosen.size(), 3u);

    // Source ranges per family; the service's own IPv6 ingress is allowed;
    // the externalIP is not filtered.
    const auto lb6 = make_service_key(addr("2001:db8:f00::10"), raw16(80), kProtoTcp);
    EXPECT_TRUE(snap->source_allowed(lb6, addr("2001:db8:c:1::9")));
    EXPECT_FALSE(snap->source_allowed(lb6, addr("2001:db8:d::9")));
    EXPECT_TRUE(snap->source_allowed(lb6, addr("2001:db8:f00::10")));
    EXPECT_TRUE(snap->source_allowed(make_service_key(addr("2001:db8:f00::20"), raw16(80), kProtoTcp),
                                     addr("2001:db8:d::9")));
}


TEST(Ipv6Nd, SolicitationAndAdvertisementRoundTrip) {
    const MacAddr mine{0x02, 0, 0, 0, 0, 0x01}, theirs{0x02, 0, 0, 0, 0, 0x02};
    const Ip6 own = addr("2001:db8:2::fe"), target = addr("2001:db8:2::11");
    std::vector<uint8_t> ns(kNdFrameLen);
    write_neighbor_solicitation(ns, mine, own, target);
    auto r = parse(ns);
    ASSERT_TRUE(r.ok()) << to_string(r.drop);
    EXPECT_EQ(r.pkt.dst_ip6, addr("ff02::1:ff00:11"));
    EXPECT_EQ(r.pkt.dst_mac, (MacAddr{0x33, 0x33, 0xff, 0x00, 0x00, 0x11}));
    auto nd = parse_nd(ns, r.pkt);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, kNdNeighborSolicitation);
    EXPECT_EQ(nd->target, target);
    ASSERT_TRUE(nd->has_lladdr);
    EXPECT_EQ(nd->lladdr, mine);
    // The from-scratch ICMPv6 checksum agrees.
    auto g = ns;
    g[54 + 2] = g[54 + 3] = 0;
    EXPECT_EQ(get16(ns, 56), ref_checksum_v6(g, 14, 54, 32, kProtoIcmpv6));

    std::vector<uint8_t> na(kNdFrameLen);
    write_neighbor_advertisement(na, theirs, target, mine, own);
    r = parse(na);
    ASSERT_TRUE(r.ok());
    nd = parse_nd(na, r.pkt);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, kNdNeighborAdvertisement);
    EXPECT_TRUE(nd->solicited);
    EXPECT_EQ(nd->target, target);
    EXPECT_EQ(nd->lladdr, theirs);
    EXPECT_EQ(r.pkt.src_ip6, target);
    EXPECT_EQ(r.pkt.dst_ip6, own);
}

TEST(Ipv6Nd, InvalidMessagesAreRefused) {
    const MacAddr mine{0x02, 0, 0, 0, 0, 0x01};
    std::vector<uint8_t> ns(kNdFrameLen);
    write_neighbor_solicitation(ns, mine, addr("2001:db8:2::fe"), addr("2001:db8:2::11"));
    auto check = [](std::vector<uint8_t> f, bool fix_checksum) {
        if (fix_checksum) {
            f[56] = f[57] = 0;
            test::put16(f, 56, ref_checksum_v6(f, 14, 54, f.size() - 54, kProtoIcmpv6));
        }
        const auto r = parse(f);
        return r.ok() && parse_nd(f, r.pkt).has_value();
    };
    ASSERT_TRUE(check(ns, false));
    auto f = ns;
    f[21] = 64;  // hop limit: could come from off-link
    EXPECT_FALSE(check(f, true));
    f = ns;
    f[57] ^= 1;  // checksum
    EXPECT_FALSE(check(f, false));
    f = ns;
    f[55] = 1;  // code
    EXPECT_FALSE(check(f, true));
    f = ns;
    f[54 + 25] = 0;  // option length 0 would loop forever
    EXPECT_FALSE(check(f, true));
    f = ns;
    f[54 + 8] = 0xff;  // multicast target
    EXPECT_FALSE(check(f, true));
    f = ns;
    std::fill(f.begin() + 22, f.begin() + 38, 0);  // DAD probe (source ::) with a link-layer option
    EXPECT_FALSE(check(f, true));
}

}  // namespace
}  // namespace svcnat::dpdk
