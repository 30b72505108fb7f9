// Any bytes as an Ethernet frame through the gateway's packet path: parse,
// then for what the gateway forwards (IPv4 and IPv6, with extension
// headers), the full-NAT rewrite and the TTL/hop limit decrement, and for
// ICMP/ICMPv6 errors that quote a flow, their translation. The invariant of the data path: a frame is either
// counted as a drop (a DropReason), or forwarded with checksums that are
// valid whenever they were valid on arrival (recomputed from scratch here;
// routers keep a bad checksum bad, they never make a good one bad).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dpdk/core/checksum.hpp"
#include "dpdk/core/flow_entry.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/echo.hpp"
#include "dpdk/core/nd.hpp"
#include "dpdk/core/parse.hpp"
#include "tests/dpdk/core/packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace {

using namespace svcnat::dpdk;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The header's checksum field equals the checksum computed from scratch.
bool ipv4_header_ok(const std::vector<uint8_t>& f, const ParsedPacket& p) {
    const std::span<const uint8_t> h(f.data() + p.l3_offset, p.l3_header_len);
    return ipv4_header_checksum(h) == be16(h.data() + 10);
}

bool l4_ok(const std::vector<uint8_t>& f, const ParsedPacket& p) {
    if (p.l4_proto != kProtoTcp && p.l4_proto != kProtoUdp) return true;
    const std::span<const uint8_t> l4(f.data() + p.l4_offset, p.l4_len);
    const size_t at = p.l4_proto == kProtoTcp ? 16 : 6;
    if (l4.size() < at + 2) return true;
    const uint16_t stored = be16(l4.data() + at);
    if (p.l4_proto == kProtoUdp && p.l3 == L3Kind::IPv4 && stored == 0) return true;  // no checksum
    uint16_t sum = p.l3 == L3Kind::IPv4
                       ? test::ref_l4_checksum_v4(p.src_ip4, p.dst_ip4, p.l4_proto, l4.data(), l4.size(), at)
                       : l4_checksum_v6(p.src_ip6, p.dst_ip6, p.l4_proto, l4, at);
    if (p.l4_proto == kProtoUdp && sum == 0) sum = 0xffff;  // UDP sends a computed 0 as 0xffff
    return sum == stored;
}

// The ICMP (IPv4: over the message) or ICMPv6 (with the pseudo-header)
// checksum verifies.
bool icmp_ok(const std::vector<uint8_t>& f, const ParsedPacket& p) {
    const std::span<const uint8_t> l4(f.data() + p.l4_offset, p.l4_len);
    if (p.l3 == L3Kind::IPv4) return ones_complement_sum(l4) == 0xffff;
    return l4_checksum_v6(p.src_ip6, p.dst_ip6, kProtoIcmpv6, l4, 2) == be16(l4.data() + 2);
}

// Translates an ICMP error as if it were about one of our flows; a valid
// error stays valid and still parses to the addressing it was given.
int icmp_error(std::vector<uint8_t>& frame, ParsedPacket pkt) {
    const bool was_ok = icmp_ok(frame, pkt) && (pkt.l3 != L3Kind::IPv4 || ipv4_header_ok(frame, pkt));
    if (pkt.l3 == L3Kind::IPv4) {
        rewrite_icmp_error(frame, pkt, IcmpErrorRewrite{0x0a000001u, 0xc6336401u, {0xc6336401u, 0x0a000001u, 1, 2}});
    } else {
        IcmpErrorRewrite6 to;
        to.outer_src[0] = 0xfd;
        to.outer_dst[15] = 1;
        to.quoted = {to.outer_dst, to.outer_src, 1, 2};
        rewrite_icmp_error(frame, pkt, to);
    }
    if (was_ok && !(icmp_ok(frame, pkt) && (pkt.l3 != L3Kind::IPv4 || ipv4_header_ok(frame, pkt)))) std::abort();
    const ParseResult again = parse_frame(frame);
    if (!again.ok() || !again.pkt.icmp_quotes_packet || again.pkt.inner_src_port != 1) std::abort();
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> frame(data, data + size);
    const ParseResult r = parse_frame(frame);
    if (!r.ok()) return 0;  // counted as a drop
    ParsedPacket pkt = r.pkt;
    if (pkt.l3 != L3Kind::IPv4 && pkt.l3 != L3Kind::IPv6) return 0;
    if (pkt.icmp_quotes_packet) return icmp_error(frame, pkt);
    if (pkt.l4_proto == kProtoIcmpv6 || pkt.l4_proto == kProtoIcmp) {
        // Neighbor Discovery and echo (both families): bounded reads, and an
        // echo reply built from a valid request is itself valid.
        if (pkt.l3 == L3Kind::IPv6) (void)parse_nd(frame, pkt);
        const bool header_was_ok = pkt.l3 != L3Kind::IPv4 || ipv4_header_ok(frame, pkt);
        if (answer_echo(frame, pkt) == EchoVerdict::Reply) {
            const ParseResult reply = parse_frame(frame);
            if (!reply.ok() || !icmp_ok(frame, reply.pkt)) std::abort();
            if (header_was_ok && reply.pkt.l3 == L3Kind::IPv4 && !ipv4_header_ok(frame, reply.pkt)) std::abort();
        }
        return 0;
    }
    if (pkt.l4_proto != kProtoTcp && pkt.l4_proto != kProtoUdp) return 0;
    // Offsets must stay inside the frame.
    if (pkt.l4_offset + pkt.l4_len > frame.size() || pkt.l3_offset + pkt.l3_header_len > frame.size()) std::abort();
    const bool l3_was_ok = pkt.l3 != L3Kind::IPv4 || ipv4_header_ok(frame, pkt);
    const bool l4_was_ok = l4_ok(frame, pkt);
    // First the gateway's forwarding rewrite (a flow made for this packet,
    // its precomputed deltas), then the general rewrite back and on.
    if (pkt.l3 == L3Kind::IPv4) {
        const FlowEntry e = make_flow_entry(flow_key_of<Inet4>(pkt), 0x0a0000feu, 0x5000, 0x0a000001u, 0x1234, 0, 0);
        if (forward_nat<Inet4>(frame, pkt, e.to_backend(), e.delta[0]) != DropReason::None) return 0;
        if (l3_was_ok && !ipv4_header_ok(frame, pkt)) std::abort();
        pkt = parse_frame(frame).pkt;  // forward_nat leaves pkt describing the old tuple
        if (l4_was_ok && !l4_ok(frame, pkt)) std::abort();
        if (decrement_ttl<Inet4>(frame, pkt) != DropReason::None) return 0;
        rewrite_tuple(frame, pkt, Ipv4Tuple{0x0a000001u, 0xc6336401u, 0x1234, 0x5678});
        if (l3_was_ok && !ipv4_header_ok(frame, pkt)) std::abort();
    } else {
        Ip6 backend{}, snat{};
        backend[0] = snat[0] = 0xfd;
        backend[15] = 2;
        snat[15] = 1;
        const FlowEntry6 e = make_flow_entry(flow_key_of<Inet6>(pkt), backend, 0x5000, snat, 0x1234, 0, 0);
        if (forward_nat<Inet6>(frame, pkt, e.to_backend(), e.delta[0]) != DropReason::None) return 0;
        pkt = parse_frame(frame).pkt;
        if (l4_was_ok && !l4_ok(frame, pkt)) std::abort();
        if (decrement_ttl<Inet6>(frame, pkt) != DropReason::None) return 0;
        Ipv6Tuple to;
        to.src_ip[0] = 0xfd;
        to.dst_ip[15] = 1;
        to.src_port = 0x1234;
        to.dst_port = 0x5678;
        rewrite_tuple(frame, pkt, to);
    }
    if (l4_was_ok && !l4_ok(frame, pkt)) std::abort();
    // The rewritten frame parses to the tuple it was given.
    const ParseResult again = parse_frame(frame);
    if (!again.ok()) std::abort();
    return 0;
}
