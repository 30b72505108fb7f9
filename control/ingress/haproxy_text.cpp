#include "haproxy_text.hpp"

#include <cstdio>

namespace svcnat::ingress {

namespace {

bool plain(char c) {
    // No quote, backslash, '#' (comment), '$' (environment), space or
    // control character; nothing HAProxy's tokenizer treats specially.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_./:@+=,~!*()[]^|&;?%<>").find(c) != std::string_view::npos;
}

}  // namespace

std::string word(std::string_view s) {
    bool simple = !s.empty();
    for (char c : s) simple = simple && plain(c);
    if (simple) return std::string(s);
    if (s.find('\'') == std::string_view::npos) return "'" + std::string(s) + "'";
    std::string out = "\"";
    for (char c : s) {
        if (c == '\\' || c == '"' || c == '$') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string lf_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '%') out += '%';
        out += c;
    }
    return out;
}

std::string log_format(std::string_view s) { return word(lf_escape(s)); }

std::string regex_literal(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string backend_name(std::string_view model_name) {
    std::string out = "svc_";
    for (char c : model_name) out += (c == '/' || c == ':') ? '_' : c;
    return out;
}

std::string server_name(const IPAddr& ip, uint16_t port) {
    std::string out = ip.str();
    for (auto& c : out)
        if (c == ':') c = '_';
    return out + "_" + std::to_string(port);
}

std::string listener_id(const SocketAddress& address) { return server_name(address.ip, address.port); }

std::string stable_id(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace svcnat::ingress
