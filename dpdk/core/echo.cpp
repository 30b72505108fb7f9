#include "echo.hpp"

#include <cstring>
#include <utility>

#include "bytes.hpp"
#include "checksum.hpp"
#include "inet.hpp"

namespace svcnat::dpdk {

namespace {

// Does the message's checksum verify? ICMP covers the message only, ICMPv6
// the pseudo-header too.
bool checksum_ok(std::span<const uint8_t> frame, const ParsedPacket& p) noexcept {
    const auto message = frame.subspan(p.l4_offset, p.l4_len);
    if (p.l3 == L3Kind::IPv4) return ones_complement_sum(message) == 0xffff;
    return l4_checksum_v6(p.src_ip6, p.dst_ip6, kProtoIcmpv6, message, 2) == load_be16(message.data() + 2);
}

template <typename F>
void swap_addresses(uint8_t* ip, ParsedPacket& p) noexcept {
    typename F::Addr src, dst;
    std::memcpy(&src, ip + F::kSrcOffset, sizeof src);
    std::memcpy(&dst, ip + F::kDstOffset, sizeof dst);
    std::memcpy(ip + F::kSrcOffset, &dst, sizeof dst);
    std::memcpy(ip + F::kDstOffset, &src, sizeof src);
    std::swap(F::src(p), F::dst(p));
}

}  // namespace

EchoVerdict answer_echo(std::span<uint8_t> frame, ParsedPacket& p) noexcept {
    const bool v4 = p.l3 == L3Kind::IPv4 && p.l4_proto == kProtoIcmp;
    const bool v6 = p.l3 == L3Kind::IPv6 && p.l4_proto == kProtoIcmpv6;
    const uint8_t request = v4 ? kIcmpEchoRequest : kIcmpv6EchoRequest;
    const uint8_t reply = v4 ? kIcmpEchoReply : kIcmpv6EchoReply;
    if ((!v4 && !v6) || p.icmp_type != request || p.icmp_code != 0) return EchoVerdict::NotEcho;
    if (p.l4_len < 8 || !checksum_ok(frame, p)) return EchoVerdict::Malformed;
    uint8_t* ip = frame.data() + p.l3_offset;
    uint8_t* icmp = frame.data() + p.l4_offset;
    // The type is the high byte of the message's first word.
    icmp[0] = reply;
    store_be16(icmp + 2, checksum_update16(load_be16(icmp + 2), request << 8, reply << 8));
    if (v4) {
        swap_addresses<Inet4>(ip, p);  // the header sum does not change: a swap
        const uint16_t old_ttl_word = load_be16(ip + 8);
        ip[8] = 64;
        store_be16(ip + 10, checksum_update16(load_be16(ip + 10), old_ttl_word, load_be16(ip + 8)));
    } else {
        swap_addresses<Inet6>(ip, p);
        ip[7] = 64;
    }
    uint8_t mac[6];
    std::memcpy(mac, frame.data(), 6);
    std::memcpy(frame.data(), frame.data() + 6, 6);
    std::memcpy(frame.data() + 6, mac, 6);
    p.icmp_type = reply;
    return EchoVerdict::Reply;
}

}  // namespace svcnat::dpdk
