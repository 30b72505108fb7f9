// IP addresses and prefixes as plain values: parsed once at load time, then
// compared and hashed cheaply by every data path (nftables elements, DPDK keys).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace svcnat {

enum class IPFamily : uint8_t { IPv4, IPv6 };

std::string_view to_string(IPFamily f);

struct IPAddr {
    IPFamily family = IPFamily::IPv4;
    // IPv4 uses bytes[0..3] in network order; the rest stays zero so that
    // defaulted comparison and hashing work for both families.
    std::array<uint8_t, 16> bytes{};

    static std::optional<IPAddr> parse(std::string_view text);
    static IPAddr v4(uint32_t host_order);
    std::string str() const;
    bool is_v4() const { return family == IPFamily::IPv4; }
    size_t size() const { return is_v4() ? 4 : 16; }

    auto operator<=>(const IPAddr&) const = default;
    bool operator==(const IPAddr&) const = default;
};

struct CIDR {
    IPAddr addr;  // network address (host bits cleared by parse)
    uint8_t prefix = 0;

    // Accepts "a.b.c.d/n", "x::/n" and, when allow_bare_ip, a plain address
    // (as /32 or /128). Host bits set in the address are rejected unless
    // allow_host_bits (the API server accepts them in some fields).
    static std::optional<CIDR> parse(std::string_view text, bool allow_bare_ip = false,
                                     bool allow_host_bits = true);
    bool contains(const IPAddr& ip) const;
    std::string str() const;
    // Number of addresses, saturated at 2^63 for large IPv6 ranges.
    uint64_t size() const;
    // The address at offset n from the network address (no bounds check).
    IPAddr at(uint64_t n) const;

    auto operator<=>(const CIDR&) const = default;
    bool operator==(const CIDR&) const = default;
};

// An address to listen on or send to: "10.96.0.10:53", "[fd00::a]:53".
struct SocketAddress {
    IPAddr ip;
    uint16_t port = 0;
    std::string str() const { return ip.is_v4() ? ip.str() + ":" + std::to_string(port) : "[" + ip.str() + "]:" + std::to_string(port); }
    auto operator<=>(const SocketAddress&) const = default;
    bool operator==(const SocketAddress&) const = default;
};

}  // namespace svcnat

template <>
struct std::hash<svcnat::IPAddr> {
    size_t operator()(const svcnat::IPAddr& a) const noexcept {
        uint64_t h = 1469598103934665603ull ^ static_cast<uint8_t>(a.family);
        for (size_t i = 0; i < a.size(); ++i) h = (h ^ a.bytes[i]) * 1099511628211ull;
        return static_cast<size_t>(h);
    }
};
