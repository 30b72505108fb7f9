#include "wire.hpp"

#include <cstring>

namespace svcnat::dns {
namespace {

constexpr uint16_t kOpcodeMask = 0x7800;

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

// The question's name: uncompressed (a pointer in the first name of a
// message can only point into the header, which no client does), labels of
// 1..63 bytes, at most 255 bytes in all. Lowercased into `q.name`.
bool parse_question_name(const uint8_t* msg, size_t len, size_t& pos, Query& q) {
    size_t out = 0;
    uint8_t labels = 0;
    for (;;) {
        if (pos >= len) return false;
        const uint8_t n = msg[pos];
        if (n == 0) {
            if (out + 1 > kMaxNameWire) return false;
            q.name[out++] = 0;
            ++pos;
            break;
        }
        if (n > 63) return false;  // a pointer or a reserved label type
        if (pos + 1 + n > len || out + 1 + n + 1 > kMaxNameWire) return false;
        q.name[out++] = n;
        for (size_t i = 0; i < n; ++i) q.name[out++] = lower(msg[pos + 1 + i]);
        pos += 1 + n;
        ++labels;
    }
    q.name_len = static_cast<uint8_t>(out);
    q.labels = labels;
    return true;
}

// Skips a name in the additional section (compression allowed there).
bool skip_name(const uint8_t* msg, size_t len, size_t& pos) {
    for (size_t guard = 0; guard < 128; ++guard) {
        if (pos >= len) return false;
        const uint8_t n = msg[pos];
        if (n == 0) {
            ++pos;
            return true;
        }
        if ((n & 0xC0) == 0xC0) {
            if (pos + 2 > len) return false;
            pos += 2;
            return true;
        }
        if (n > 63 || pos + 1 + n > len) return false;
        pos += 1 + n;
    }
    return false;
}

// The additional section: at most one OPT (owner the root), anything else
// (a TSIG we do not check, a client's cookie) is skipped.
bool parse_additional(const uint8_t* msg, size_t len, size_t pos, uint16_t count, Query& q) {
    for (uint16_t i = 0; i < count; ++i) {
        const size_t owner = pos;
        if (!skip_name(msg, len, pos) || pos + 10 > len) return false;
        const uint16_t type = get16(msg + pos), klass = get16(msg + pos + 2);
        const uint16_t rdlen = get16(msg + pos + 8);
        if (pos + 10 + rdlen > len) return false;
        if (type == kTypeOPT) {
            if (q.edns || msg[owner] != 0) return false;  // RFC 6891 6.1.1: one OPT, owner root
            q.edns = true;
            q.udp_size = klass < kClassicUdpSize ? kClassicUdpSize : klass;
            q.edns_version = msg[pos + 5];
            q.dnssec_ok = (msg[pos + 6] & 0x80) != 0;
        }
        pos += 10 + rdlen;
    }
    return true;
}

}  // namespace

uint64_t name_hash(std::string_view wire) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : wire) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

QueryCheck parse_query(const uint8_t* msg, size_t len, Query& q) {
    q.question_end = 0;
    q.edns = false;
    q.udp_size = kClassicUdpSize;
    q.edns_version = 0;
    q.dnssec_ok = false;
    if (len < kHeaderSize) return QueryCheck::Drop;
    q.id = get16(msg);
    q.flags = get16(msg + 2);
    if (q.flags & kFlagQR) return QueryCheck::Drop;  // never answer an answer (reflection loops)
    if (q.flags & kOpcodeMask) return QueryCheck::NotImp;
    const uint16_t qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8), ar = get16(msg + 10);
    if (qd != 1 || an != 0 || ns != 0) return QueryCheck::FormErr;
    size_t pos = kHeaderSize;
    if (!parse_question_name(msg, len, pos, q) || pos + 4 > len) return QueryCheck::FormErr;
    q.qtype = get16(msg + pos);
    q.qclass = get16(msg + pos + 2);
    pos += 4;
    q.question_end = static_cast<uint16_t>(pos);
    q.hash = name_hash(q.wire_name());
    if (!parse_additional(msg, len, pos, ar, q)) return QueryCheck::FormErr;
    return QueryCheck::Ok;
}

std::string to_wire(std::string_view dotted) {
    std::string out;
    if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
    while (!dotted.empty()) {
        const size_t dot = dotted.find('.');
        const std::string_view label = dotted.substr(0, dot);
        if (label.empty() || label.size() > 63) return {};
        out.push_back(static_cast<char>(label.size()));
        for (char c : label) out.push_back(static_cast<char>(lower(static_cast<uint8_t>(c))));
        if (dot == std::string_view::npos) break;
        dotted.remove_prefix(dot + 1);
        if (dotted.empty()) return {};  // "a..b" or a trailing dot after the one removed
    }
    out.push_back('\0');
    if (out.size() > kMaxNameWire) return {};
    return out;
}

std::string to_text(std::string_view wire) {
    std::string out;
    size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        const size_t n = static_cast<uint8_t>(wire[pos]);
        out.append(wire.substr(pos + 1, n));
        out.push_back('.');
        pos += 1 + n;
    }
    return out.empty() ? "." : out;
}

std::string reverse_name(const IPAddr& ip) {
    std::string out;
    const auto& b = ip.bytes;
    if (ip.is_v4()) {
        for (int i = 3; i >= 0; --i) out += std::to_string(b[static_cast<size_t>(i)]) + ".";
        return out + "in-addr.arpa";
    }
    static const char* hex = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
        out.push_back(hex[b[static_cast<size_t>(i)] & 0xF]);
        out.push_back('.');
        out.push_back(hex[b[static_cast<size_t>(i)] >> 4]);
        out.push_back('.');
    }
    return out + "ip6.arpa";
}

std::string dashed(const IPAddr& ip) {
    std::string s = ip.str();
    for (auto& c : s)
        if (c == '.' || c == ':') c = '-';
    return s;
}

bool read_name(const uint8_t* msg, size_t len, size_t* pos, std::string& wire) {
    wire.clear();
    size_t p = *pos;
    bool jumped = false;
    for (int hops = 0; hops < 64;) {
        if (p >= len) return false;
        const uint8_t n = msg[p];
        if (n == 0) {
            wire.push_back('\0');
            if (!jumped) *pos = p + 1;
            return wire.size() <= kMaxNameWire;
        }
        if ((n & 0xC0) == 0xC0) {
            if (p + 2 > len) return false;
            const size_t target = get16(msg + p) & 0x3FFF;
            if (!jumped) *pos = p + 2;
            jumped = true;
            ++hops;
            if (target >= p) return false;  // only backwards: no loops
            p = target;
            continue;
        }
        if (n > 63 || p + 1 + n > len) return false;
        wire.push_back(static_cast<char>(n));
        for (size_t i = 0; i < n; ++i) wire.push_back(static_cast<char>(lower(msg[p + 1 + i])));
        if (wire.size() > kMaxNameWire) return false;
        p += 1 + n;
    }
    return false;
}

}  // namespace svcnat::dns
