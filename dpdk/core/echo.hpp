// ICMP and ICMPv6 echo, answered by the gateway for the addresses it owns
// (VIPs on the client side, its port addresses): one rule for both
// families, pure byte work on the frame.
#pragma once

#include <cstdint>
#include <span>

#include "parse.hpp"

namespace svcnat::dpdk {

enum class EchoVerdict : uint8_t {
    Reply,      // the frame now holds the reply: transmit it where it came from
    NotEcho,    // another ICMP message: not ours to answer
    Malformed,  // an echo request with a bad checksum (gets no answer): count and drop
};

// Turns an echo request (ICMP type 8 or ICMPv6 type 128, code 0, as parsed
// in `p`) into the echo reply in place: addresses and MACs swapped, TTL or
// hop limit 64, checksums updated incrementally (RFC 1624: only the type
// word and, in IPv4, the TTL word change; the ICMPv6 pseudo-header sum
// does not change when the addresses swap). `p` follows the frame.
EchoVerdict answer_echo(std::span<uint8_t> frame, ParsedPacket& p) noexcept;

}  // namespace svcnat::dpdk
