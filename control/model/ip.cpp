#include "ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace svcnat {

std::string_view to_string(IPFamily f) { return f == IPFamily::IPv4 ? "IPv4" : "IPv6"; }

std::optional<IPAddr> IPAddr::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    char buf[48];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IPAddr a;
    if (text.find(':') == std::string_view::npos) {
        // inet_pton rejects leading zeros such as "010.1.1.1", as the API server does.
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = IPFamily::IPv4;
        return a;
    }
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
    a.family = IPFamily::IPv6;
    return a;
}

IPAddr IPAddr::v4(uint32_t host_order) {
    IPAddr a;
    a.family = IPFamily::IPv4;
    a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<uint8_t>(host_order);
    return a;
}

std::string IPAddr::str() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

std::optional<CIDR> CIDR::parse(std::string_view text, bool allow_bare_ip, bool allow_host_bits) {
    auto slash = text.find('/');
    CIDR c;
    if (slash == std::string_view::npos) {
        if (!allow_bare_ip) return std::nullopt;
        auto ip = IPAddr::parse(text);
        if (!ip) return std::nullopt;
        c.addr = *ip;
        c.prefix = ip->is_v4() ? 32 : 128;
        return c;
    }
    auto ip = IPAddr::parse(text.substr(0, slash));
    if (!ip) return std::nullopt;
    auto len = text.substr(slash + 1);
    unsigned prefix = 0;
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
    if (ec != std::errc() || p != len.data() + len.size() || len.empty()) return std::nullopt;
    if (prefix > (ip->is_v4() ? 32u : 128u)) return std::nullopt;
    c.addr = *ip;
    c.prefix = static_cast<uint8_t>(prefix);
    bool host_bits = false;
    for (size_t i = 0; i < c.addr.size(); ++i) {
        int keep = static_cast<int>(prefix) - static_cast<int>(i * 8);
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
        if (c.addr.bytes[i] & ~mask) host_bits = true;
        c.addr.bytes[i] &= mask;
    }
    if (host_bits && !allow_host_bits) return std::nullopt;
    return c;
}

bool CIDR::contains(const IPAddr& ip) const {
    if (ip.family != addr.family) return false;
    unsigned full = prefix / 8, rest = prefix % 8;
    if (std::memcmp(ip.bytes.data(), addr.bytes.data(), full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (ip.bytes[full] & mask) == addr.bytes[full];
}

std::string CIDR::str() const { return addr.str() + "/" + std::to_string(prefix); }

uint64_t CIDR::size() const {
    unsigned host_bits = (addr.is_v4() ? 32u : 128u) - prefix;
    if (host_bits >= 63) return uint64_t{1} << 63;
    return uint64_t{1} << host_bits;
}

IPAddr CIDR::at(uint64_t n) const {
    IPAddr a = addr;
    // Add n to the address as a big-endian integer.
    for (int i = static_cast<int>(a.size()) - 1; i >= 0 && n; --i) {
        uint64_t sum = a.bytes[i] + (n & 0xff);
        a.bytes[i] = static_cast<uint8_t>(sum);
        n = (n >> 8) + (sum >> 8);
    }
    return a;
}

}  // namespace svcnat
