#include "values.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace svcnat::config_values {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view s) {
    uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<double> parse_duration(std::string_view text) {
    std::string_view s = trim(text);
    if (s == "0") return 0.0;
    if (s.empty()) return std::nullopt;
    double total = 0;
    while (!s.empty()) {
        // A decimal number: digits, optionally a fraction.
        size_t n = 0;
        while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
        if (n == 0) return std::nullopt;
        std::string number(s.substr(0, n));
        if (number.find('.') != number.rfind('.') || number == ".") return std::nullopt;
        char* end = nullptr;
        double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size()) return std::nullopt;
        s.remove_prefix(n);
        size_t u = 0;
        while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
        std::string_view unit = s.substr(0, u);
        s.remove_prefix(u);
        double scale;
        if (unit == "ns") scale = 1e-9;
        else if (unit == "us" || unit == "\xC2\xB5s") scale = 1e-6;
        else if (unit == "ms") scale = 1e-3;
        else if (unit == "s") scale = 1;
        else if (unit == "m") scale = 60;
        else if (unit == "h") scale = 3600;
        else return std::nullopt;  // Go requires a unit on every number but a lone "0"
        total += value * scale;
    }
    if (!std::isfinite(total)) return std::nullopt;
    return total;
}

std::optional<PortRange> parse_port_range(std::string_view text) {
    std::string_view s = trim(text);
    auto dash = s.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto first = parse_uint(trim(s.substr(0, dash)));
    auto last = parse_uint(trim(s.substr(dash + 1)));
    if (!first || !last || *first == 0 || *last > 65535 || *first > *last) return std::nullopt;
    return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

std::optional<bool> parse_bool(std::string_view text) {
    std::string s;
    for (char c : trim(text)) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
    return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (true) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

bool is_host_port(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        auto ip = IPAddr::parse(host);
        if (!ip || ip->is_v4()) return false;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        auto ip = IPAddr::parse(host);
        if (!ip || !ip->is_v4()) return false;
    }
    auto p = parse_uint(port);
    return p && *p <= 65535;
}

bool is_nft_identifier(std::string_view s) {
    if (s.empty() || s.size() > 255) return false;
    auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
    if (!alpha(s[0]) && s[0] != '_') return false;
    for (char c : s.substr(1))
        if (!alpha(c) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
            c != '/')
            return false;
    return true;
}

std::optional<SocketAddress> parse_socket_address(std::string_view text, uint16_t default_port) {
    if (auto ip = IPAddr::parse(text)) return SocketAddress{*ip, default_port};  // bare IPv4 or IPv6
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    auto ip = IPAddr::parse(host);
    auto p = parse_uint(port);
    if (!ip || !p || *p == 0 || *p > 65535) return std::nullopt;
    if (text.front() != '[' && !ip->is_v4()) return std::nullopt;  // IPv6 with a port needs brackets
    return SocketAddress{*ip, static_cast<uint16_t>(*p)};
}

std::optional<std::string> parse_domain_name(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    if (text.empty() || text.size() > 253) return std::nullopt;
    std::string out;
    size_t label = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            if (label == 0 || label > 63 || out.back() == '-') return std::nullopt;
            if (i < text.size()) out.push_back('.');
            label = 0;
            continue;
        }
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || (c == '-' && label > 0);
        if (!ok) return std::nullopt;
        out.push_back(c);
        ++label;
    }
    return out;
}

std::vector<SocketAddress> read_resolv_conf_nameservers(const std::string& path, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = "cannot read \"" + path + "\": " + std::strerror(errno);
        return {};
    }
    std::vector<SocketAddress> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") continue;
        // glibc ignores a zone index here as well ("fe80::1%eth0" is not usable by a socket bound elsewhere).
        if (auto ip = IPAddr::parse(value)) out.push_back({*ip, 53});
    }
    if (out.empty()) *error = "no nameserver in \"" + path + "\"";
    return out;
}

std::optional<uint64_t> parse_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits > 15) return std::nullopt;
    uint64_t n = 0;
    std::from_chars(text.data(), text.data() + digits, n);
    const std::string_view unit = text.substr(digits);
    static const std::pair<std::string_view, uint64_t> units[] = {
        {"", 1},        {"Ki", 1ull << 10}, {"Mi", 1ull << 20}, {"Gi", 1ull << 30}, {"k", 1000},
        {"K", 1000},    {"M", 1000000},     {"G", 1000000000}};
    for (const auto& [u, f] : units)
        if (unit == u) return n * f;
    return std::nullopt;
}

}  // namespace svcnat::config_values
