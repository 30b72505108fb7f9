// Zone::master_file(): the precomputed reply bodies decoded back into
// master-file lines. Only for people and for loading the same records into
// other servers; never on the query path.
#include <algorithm>
#include <cstring>

#include "rr.hpp"
#include "zone.hpp"

namespace svcnat::dns {
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
    for (const uint32_t record : records_) {
        const Node* n = node_at(record);
        const std::string_view name = name_of(n);
        Query q;
        std::memcpy(q.name, name.data(), name.size());
        q.name_len = n->name_len;
        q.hash = name_hash(name);
        size_t at = 0;
        if (zone_of(q, &at) != kind || find(q) != n) continue;  // another zone, or a duplicate name
        std::memcpy(msg.data() + kHeaderSize, name.data(), name.size());
        const size_t start = kHeaderSize + name.size() + 4;
        for (uint32_t k = 0; k < n->count; ++k) {
            const uint16_t qtype = answers_of(n)[k].qtype;
            Rendered r;
            render(n, qtype, msg.data(), start, msg.size() - start, &r);
            size_t pos = start;
            std::string rr, text;
            if (r.truncated || !copy_records(msg.data(), start + r.len, &pos, r.an, rr)) continue;
            records_text(rr, r.an, text);
            (qtype == kTypeSOA ? head : body) += text;
        }
    }
    return head + body;
}

}  // namespace svcnat::dns
