// ICMP and ICMPv6 echo: one rule for both families, checked against
// from-scratch checksums (packet_builder.hpp's reference implementation).
#include <gtest/gtest.h>

#include "dpdk/core/echo.hpp"
#include "dpdk/core/parse.hpp"
#include "packet_builder.hpp"

namespace svcnat::dpdk {
namespace {

using test::build_ipv4;
using test::build_ipv6_packet;
using test::FrameSpec;
using test::Frame6Spec;
using test::get16;
using test::ref_checksum;
using test::ref_checksum_v6;

ParseResult parse(const std::vector<uint8_t>& f) { return parse_frame(f); }

TEST(Echo, Ipv4RequestBecomesAReplyWithValidChecksums) {
    for (size_t options : {0, 8}) {
        for (size_t payload : {0, 1, 56, 1400}) {
            FrameSpec s;
            s.proto = kProtoIcmp;
            s.ttl = 7;
            s.ip_options.assign(options, 1);  // NOPs: the addresses are still at 12 and 16
            s.payload.assign(payload, 0x5a);
            auto f = build_ipv4(s);
            ParsedPacket p = parse(f).pkt;
            ASSERT_EQ(answer_echo(f, p), EchoVerdict::Reply);
            const auto q = parse(f);
            ASSERT_TRUE(q.ok());
            EXPECT_EQ(q.pkt.icmp_type, kIcmpEchoReply);
            EXPECT_EQ(q.pkt.src_ip4, p.src_ip4) << "p follows the frame";
            EXPECT_EQ(f[14 + 12], 0xcb) << "from the address the request was sent to (203.0.113.1)";
            EXPECT_EQ(f[14 + 16], 0xc0) << "to the requester (192.0.2.1)";
            EXPECT_EQ(f[14 + 8], 64) << "TTL";
            EXPECT_EQ(f[0], 0x12) << "back to the requester's MAC";
            const size_t ihl = 20 + options;
            auto g = f;
            g[14 + 10] = g[14 + 11] = 0;
            EXPECT_EQ(get16(f, 14 + 10), ref_checksum(&g[14], ihl)) << "header checksum, options " << options;
            g = f;
            g[14 + ihl + 2] = g[14 + ihl + 3] = 0;
            EXPECT_EQ(get16(f, 14 + ihl + 2), ref_checksum(&g[14 + ihl], 8 + payload)) << "payload " << payload;
        }
    }
}

TEST(Echo, Ipv6RequestBecomesAReplyWithAValidChecksum) {
    Frame6Spec s;
    s.proto = kProtoIcmpv6;
    auto f = build_ipv6_packet(s);
    ParsedPacket p = parse(f).pkt;
    ASSERT_EQ(answer_echo(f, p), EchoVerdict::Reply);
    const auto q = parse(f);
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(q.pkt.icmp_type, kIcmpv6EchoReply);
    EXPECT_EQ(q.pkt.src_ip6, s.dst);
    EXPECT_EQ(q.pkt.dst_ip6, s.src);
    EXPECT_EQ(f[14 + 7], 64) << "hop limit";
    auto g = f;
    g[56] = g[57] = 0;
    EXPECT_EQ(get16(f, 56), ref_checksum_v6(g, 14, 54, q.pkt.l4_len, kProtoIcmpv6));
}

TEST(Echo, BadChecksumsRepliesAndOtherMessagesAreNotAnswered) {
    FrameSpec s;
    s.proto = kProtoIcmp;
    s.payload.assign(16, 1);
    auto f = build_ipv4(s);
    f[14 + 20 + 9] ^= 0xff;  // payload corrupted
    ParsedPacket p = parse(f).pkt;
    EXPECT_EQ(answer_echo(f, p), EchoVerdict::Malformed);
    f = build_ipv4(s);
    p = parse(f).pkt;
    ASSERT_EQ(answer_echo(f, p), EchoVerdict::Reply);
    EXPECT_EQ(answer_echo(f, p), EchoVerdict::NotEcho) << "a reply is not a request";
    s.proto = kProtoTcp;
    f = build_ipv4(s);
    p = parse(f).pkt;
    EXPECT_EQ(answer_echo(f, p), EchoVerdict::NotEcho);

    Frame6Spec s6;
    s6.proto = kProtoIcmpv6;
    f = build_ipv6_packet(s6);
    f[60] ^= 0xff;
    p = parse(f).pkt;
    EXPECT_EQ(answer_echo(f, p), EchoVerdict::Malformed);
}

}  // namespace
}  // namespace svcnat::dpdk
