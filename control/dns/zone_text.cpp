// Zone::master_file(): the precomputed reply bodies decoded back into
// master-file lines. Only for people and for loading the same records into
// other servers; never on the query path.
#include <algorithm>
#include <cstring>

#include "responder.hpp"
#include "zone.hpp"

namespace svcnat::dns {
namespace {

std::string type_name(uint16_t t) {
    switch (t) {
        case kTypeA: return "A";
        case kTypeNS: return "NS";
        case kTypeCNAME: return "CNAME";
        case kTypeSOA: return "SOA";
        case kTypePTR: return "PTR";
        case kTypeTXT: return "TXT";
        case kTypeAAAA: return "AAAA";
        case kTypeSRV: return "SRV";
        default: return "TYPE" + std::to_string(t);
    }
}

// Records of a message section (names already decompressed by
// copy_records) as master-file lines.
void records_text(const std::string& rrs, uint16_t count, std::string& out) {
    const auto* m = reinterpret_cast<const uint8_t*>(rrs.data());
    size_t pos = 0;
    std::string name;
    for (uint16_t i = 0; i < count; ++i) {
        if (!read_name(m, rrs.size(), &pos, name) || pos + 10 > rrs.size()) return;
        const uint16_t type = get16(m + pos);
        const uint32_t ttl = static_cast<uint32_t>(get16(m + pos + 4)) << 16 | get16(m + pos + 6);
        const size_t rdlen = get16(m + pos + 8);
        size_t p = pos + 10;
        const size_t end = p + rdlen;
        std::string line = to_text(name) + " " + std::to_string(ttl) + " IN " + type_name(type) + " ";
        auto next_name = [&] {
            std::string n;
            read_name(m, rrs.size(), &p, n);
            return to_text(n);
        };
        auto num16 = [&] {
            const uint16_t v = get16(m + p);
            p += 2;
            return std::to_string(v);
        };
        auto num32 = [&] {
            const uint32_t v = static_cast<uint32_t>(get16(m + p)) << 16 | get16(m + p + 2);
            p += 4;
            return std::to_string(v);
        };
        switch (type) {
            case kTypeA:
            case kTypeAAAA: {
                IPAddr ip;
                ip.family = type == kTypeA ? IPFamily::IPv4 : IPFamily::IPv6;
                std::memcpy(ip.bytes.data(), m + p, rdlen);
                line += ip.str();
                break;
            }
            case kTypeNS:
            case kTypeCNAME:
            case kTypePTR: line += next_name(); break;
            case kTypeSRV: {
                const std::string prio = num16(), weight = num16(), port = num16();
                line += prio + " " + weight + " " + port + " " + next_name();
                break;
            }
            case kTypeSOA: {
                const std::string mname = next_name(), rname = next_name();
                line += mname + " " + rname;
                for (int k = 0; k < 5; ++k) line += " " + num32();
                break;
            }
            case kTypeTXT:
                line += "\"" + std::string(reinterpret_cast<const char*>(m + p + 1), m[p]) + "\"";
                break;
            default: line += "\\# " + std::to_string(rdlen); break;
        }
        out += line + "\n";
        pos = end;
    }
}

}  // namespace

std::string Zone::master_file(ZoneKind kind) const {
    static const std::string v4 = to_wire("in-addr.arpa"), v6 = to_wire("ip6.arpa");
    const std::string& apex = kind == ZoneKind::Cluster ? cluster_wire_ : kind == ZoneKind::ReverseV4 ? v4 : v6;
    std::string head, body;
    // The apex's SOA and NS; the reverse zones have no apex node of their
    // own, so theirs come from the negative-answer SOA.
    if (kind != ZoneKind::Cluster) {
        Query q;
        std::memcpy(q.name, apex.data(), apex.size());
        q.name_len = static_cast<uint8_t>(apex.size());
        std::string msg(kHeaderSize, '\0');
        msg += apex;
        msg.append(4, '\0');
        const size_t start = msg.size();
        negative_authority(kind, 0, msg);
        size_t pos = start;
        std::string rr;
        if (copy_records(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), &pos, 1, rr)) records_text(rr, 1, head);
        head += to_text(apex) + " " + std::to_string(options_.ttl) + " IN NS ns.dns." + options_.domain + ".\n";
    }
    std::vector<uint8_t> msg(65535);
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
        const Node& n = nodes_[i];
        const std::string_view name = name_of(i);
        Query q;
        std::memcpy(q.name, name.data(), name.size());
        q.name_len = n.name_len;
        q.hash = name_hash(name);
        size_t at = 0;
        if (zone_of(q, &at) != kind || find(q) != &n) continue;  // another zone, or a duplicate name
        std::memcpy(msg.data() + kHeaderSize, name.data(), name.size());
        const size_t start = kHeaderSize + name.size() + 4;
        for (uint32_t k = n.first; k < n.first + n.count; ++k) {
            Rendered r;
            render(&n, answers_[k].qtype, msg.data(), start, msg.size() - start, &r);
            size_t pos = start;
            std::string rr, text;
            if (r.truncated || !copy_records(msg.data(), start + r.len, &pos, r.an, rr)) continue;
            records_text(rr, r.an, text);
            (answers_[k].qtype == kTypeSOA ? head : body) += text;
        }
    }
    return head + body;
}

}  // namespace svcnat::dns
