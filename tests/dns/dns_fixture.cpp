#include "dns_fixture.hpp"

#include <cstring>

#include "control/config/settings.hpp"
#include "control/dns/dns_syncer.hpp"
#include "control/state/state.hpp"
#include "tests/support/temp_dir.hpp"

namespace svcnat::dns::test {
namespace {

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t u32(const uint8_t* p) { return static_cast<uint32_t>(u16(p)) << 16 | u16(p + 2); }

// A name at `pos` (compression followed), as dotted text with a trailing dot.
bool name_at(const uint8_t* m, size_t len, size_t& pos, std::string& out) {
    out.clear();
    size_t p = pos;
    bool jumped = false;
    for (int guard = 0; guard < 100; ++guard) {
        if (p >= len) return false;
        const uint8_t n = m[p];
        if (n == 0) {
            if (!jumped) pos = p + 1;
            if (out.empty()) out = ".";
            return true;
        }
        if ((n & 0xC0) == 0xC0) {
            if (p + 1 >= len) return false;
            if (!jumped) pos = p + 2;
            jumped = true;
            p = static_cast<size_t>((n & 0x3F) << 8 | m[p + 1]);
            continue;
        }
        if (p + 1 + n > len) return false;
        out.append(reinterpret_cast<const char*>(m + p + 1), n);
        out.push_back('.');
        p += 1 + n;
    }
    return false;
}

std::string ip_text(const uint8_t* p, size_t n) {
    IPAddr a;
    a.family = n == 4 ? IPFamily::IPv4 : IPFamily::IPv6;
    std::memcpy(a.bytes.data(), p, n);
    return a.str();
}

bool record(const uint8_t* m, size_t len, size_t& pos, std::string& out, Decoded& d) {
    std::string owner;
    if (!name_at(m, len, pos, owner) || pos + 10 > len) return false;
    const uint16_t type = u16(m + pos);
    const uint16_t klass = u16(m + pos + 2);
    const uint32_t ttl = u32(m + pos + 4);
    const uint16_t rdlen = u16(m + pos + 8);
    size_t p = pos + 10;
    if (p + rdlen > len) return false;
    pos = p + rdlen;
    if (type == 41) {
        d.opt = true;
        d.opt_udp_size = klass;
        d.rcode |= static_cast<int>(ttl >> 24) << 4;
        out.clear();
        return true;
    }
    std::string data, n1, n2;
    switch (type) {
        case 1: data = ip_text(m + p, 4); out = owner + " " + std::to_string(ttl) + " A " + data; return rdlen == 4;
        case 28: data = ip_text(m + p, 16); out = owner + " " + std::to_string(ttl) + " AAAA " + data; return rdlen == 16;
        case 5: case 12: case 2:
            if (!name_at(m, len, p, n1)) return false;
            out = owner + " " + std::to_string(ttl) + (type == 5 ? " CNAME " : type == 12 ? " PTR " : " NS ") + n1;
            return true;
        case 33:
            data = std::to_string(u16(m + p)) + " " + std::to_string(u16(m + p + 2)) + " " + std::to_string(u16(m + p + 4));
            p += 6;
            if (!name_at(m, len, p, n1)) return false;
            out = owner + " " + std::to_string(ttl) + " SRV " + data + " " + n1;
            return true;
        case 16:
            out = owner + " " + std::to_string(ttl) + " TXT \"" + std::string(reinterpret_cast<const char*>(m + p + 1), m[p]) + "\"";
            return true;
        case 6:
            if (!name_at(m, len, p, n1) || !name_at(m, len, p, n2)) return false;
            out = owner + " " + std::to_string(ttl) + " SOA " + n1 + " " + n2 + " " + std::to_string(u32(m + p)) + " " +
                  std::to_string(u32(m + p + 4)) + " " + std::to_string(u32(m + p + 8)) + " " +
                  std::to_string(u32(m + p + 12)) + " " + std::to_string(u32(m + p + 16));
            return true;
        default: out = owner + " TYPE" + std::to_string(type); return true;
    }
}

}  // namespace

std::string make_query(const std::string& name, uint16_t type, const QueryOptions& o) {
    std::string q;
    auto put = [&](uint16_t v) {
        q.push_back(static_cast<char>(v >> 8));
        q.push_back(static_cast<char>(v & 0xFF));
    };
    put(o.id);
    put(o.rd ? 0x0100 : 0);
    put(1);
    put(0);
    put(0);
    put(o.edns ? 1 : 0);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        q.push_back(static_cast<char>(dot - start));
        q.append(name, start, dot - start);
        start = dot + 1;
    }
    q.push_back('\0');
    put(type);
    put(o.qclass);
    if (o.edns) {
        q.push_back('\0');
        put(41);
        put(o.udp_size);
        q.push_back(0);
        q.push_back(static_cast<char>(o.edns_version));
        put(0);
        put(0);
    }
    return q;
}

Decoded decode(const uint8_t* m, size_t len) {
    Decoded d;
    if (len < 12) return d;
    d.id = u16(m);
    const uint16_t f = u16(m + 2);
    d.qr = f & 0x8000;
    d.aa = f & 0x0400;
    d.tc = f & 0x0200;
    d.rd = f & 0x0100;
    d.ra = f & 0x0080;
    d.rcode = f & 0x0F;
    const uint16_t qd = u16(m + 4), an = u16(m + 6), ns = u16(m + 8), ar = u16(m + 10);
    size_t pos = 12;
    for (uint16_t i = 0; i < qd; ++i) {
        std::string n;
        if (!name_at(m, len, pos, n) || pos + 4 > len) return d;
        d.question = n + " " + std::to_string(u16(m + pos));
        pos += 4;
    }
    auto section = [&](uint16_t count, std::vector<std::string>& out) {
        for (uint16_t i = 0; i < count; ++i) {
            std::string r;
            if (!record(m, len, pos, r, d)) return false;
            if (!r.empty()) out.push_back(r);
        }
        return true;
    };
    d.ok = section(an, d.answer) && section(ns, d.authority) && section(ar, d.additional) && pos == len;
    return d;
}

std::shared_ptr<const Zone> zone_from_yaml(const std::string& yaml, ZoneOptions options) {
    svcnat::test::TempDir dir;
    dir.write("m.yaml", yaml);
    Settings s;
    s.node_name = "node-a";
    s.manifests = {dir.path.string()};
    s.service_cidrs = {*CIDR::parse("10.96.0.0/12"), *CIDR::parse("fd00:10:96::/112")};
    s.dns.bind_addresses = {{*IPAddr::parse("127.0.0.1"), 53}};
    const StateResult st = load_state(s);
    std::string errors;
    for (const auto& d : st.load.diagnostics)
        if (d.severity == Severity::Error) errors += d.str() + "\n";
    EXPECT_TRUE(st.ok()) << errors;
    return Zone::build(st.state.discovery, options);
}

namespace {

Decoded answer(const Zone* zone, const std::string& query, const Transport& t, Action* action, Outcome* outcome,
               Decoded* alt) {
    std::vector<uint8_t> out(65535);
    const Outcome o = respond(zone, reinterpret_cast<const uint8_t*>(query.data()), query.size(), t, out.data());
    if (action) *action = o.action;
    if (outcome) *outcome = o;
    if (alt && o.alt_len) *alt = decode(out.data() + o.len, o.alt_len);
    if (o.action != Action::Reply && o.action != Action::Chase) return {};
    return decode(out.data(), o.len);
}

}  // namespace

Decoded ask(const Zone* zone, const std::string& query, bool tcp, bool upstream, Action* action) {
    return answer(zone, query, {tcp, upstream}, action, nullptr, nullptr);
}

Decoded ask_from(const Zone* zone, const std::string& query, const IPAddr* client, bool upstream, Action* action,
                 Outcome* outcome, Decoded* alt) {
    return answer(zone, query, {false, upstream, client}, action, outcome, alt);
}

}  // namespace svcnat::dns::test
