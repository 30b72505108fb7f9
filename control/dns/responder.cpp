#include "responder.hpp"

#include "rr.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

namespace svcnat::dns {
namespace {

constexpr size_t kMaxMessage = 65535;
constexpr size_t kOptSize = 11;  // root, type, class, TTL, RDLENGTH 0
constexpr int kMaxChain = 8;     // CNAMEs followed inside the zone, as CoreDNS

// The OPT pseudo-record's header (RFC 6891 6.1.3): CLASS is our UDP size,
// TTL the extended rcode, version 0 and the DO bit.
RRHeader opt_header(uint16_t ext_rcode, bool dnssec_ok) {
    return {kTypeOPT, static_cast<uint32_t>(ext_rcode) << 24 | (dnssec_ok ? 0x8000u : 0u), kMaxUdpSize};
}

// Builds a reply in the caller's buffer: header, the question as the
// client wrote it (its case kept), sections, OPT last.
class Reply {
public:
    Reply(uint8_t* out, const uint8_t* msg, const Query& q, size_t limit) : out_(out), q_(q), limit_(limit) {
        std::memcpy(out_, msg, q.question_end);  // header (rewritten below) and question
        len_ = q.question_end;
        flags_ = static_cast<uint16_t>(kFlagQR | (q.flags & (kFlagRD | kFlagCD)));
    }

    void authoritative() { flags_ |= kFlagAA; }
    void recursion_available(bool ra) {
        if (ra) flags_ |= kFlagRA;
    }
    void rcode(uint8_t r) { rcode_ = r; }

    size_t room() const {
        const size_t need = len_ + (q_.edns ? kOptSize : 0);
        return need >= limit_ ? 0 : limit_ - need;
    }

    // The zone's answer for `qtype` at `node` (see Zone::render: all of
    // it, without the additional section, or TC=1 and no records).
    bool render(const Zone& zone, const Zone::Node* node, uint16_t qtype) {
        Rendered r;
        if (!zone.render(node, qtype, out_, len_, room(), &r)) return false;
        if (r.truncated) flags_ |= kFlagTC;
        len_ += r.len;
        an_ += r.an, ns_ += r.ns, ar_ += r.ar;
        return true;
    }

    bool records(const std::string& bytes, uint16_t count, uint16_t Reply::*section) {
        if (bytes.size() > room()) {
            flags_ |= kFlagTC;
            return false;
        }
        append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        this->*section += count;
        return true;
    }

    size_t finish() {
        uint16_t ext_rcode = 0;
        uint8_t rcode = rcode_;
        if (rcode_ > 15) {  // extended (BADVERS): the upper bits go into OPT
            ext_rcode = static_cast<uint16_t>(rcode_ >> 4);
            rcode = rcode_ & 0x0F;
        }
        if (q_.edns) {
            // Always room: room() kept kOptSize back.
            BufferSink sink(out_ + len_, kOptSize);
            write_rr(sink, std::string_view("", 1), opt_header(ext_rcode, q_.dnssec_ok), {});
            len_ += sink.size();
            ++ar_;
        }
        store16(out_ + 2, static_cast<uint16_t>(flags_ | rcode));
        store16(out_ + 4, 1);
        store16(out_ + 6, an_);
        store16(out_ + 8, ns_);
        store16(out_ + 10, ar_);
        return len_;
    }

    uint16_t an_ = 0, ns_ = 0, ar_ = 0;
    size_t length() const { return len_; }
    const uint8_t* data() const { return out_; }

private:
    void append(const uint8_t* p, size_t n) {
        std::memcpy(out_ + len_, p, n);
        len_ += n;
    }

    uint8_t* out_;
    const Query& q_;
    size_t limit_;
    size_t len_ = 0;
    uint16_t flags_ = 0;
    uint8_t rcode_ = kNoError;
};

// A reply without a usable question: header only (and the question when it
// was readable), for FORMERR and NOTIMP.
Outcome header_error(const uint8_t* msg, const Query& q, uint8_t rcode, uint8_t* out) {
    const size_t keep = q.question_end ? q.question_end : kHeaderSize;
    std::memcpy(out, msg, keep);
    store16(out + 2, static_cast<uint16_t>(kFlagQR | (q.flags & 0x7800) | (q.flags & kFlagRD) | rcode));
    store16(out + 4, q.question_end ? 1 : 0);
    store16(out + 6, 0);
    store16(out + 8, 0);
    store16(out + 10, 0);
    return {Action::Reply, keep, {}, 0};
}

Outcome reply(Reply& r) { return {Action::Reply, r.finish(), {}, 0}; }

// NXDOMAIN or NODATA: the zone's SOA as authority (RFC 2308), AA set.
Outcome negative(Reply& r, const Zone& zone, ZoneKind kind, size_t apex_at, uint8_t rcode) {
    r.authoritative();
    r.rcode(rcode);
    // Kept for the thread: a negative answer (15 % of bench-dns's mix)
    // costs no allocation (the SOA record is longer than a short string).
    thread_local std::string soa;
    soa.clear();
    zone.negative_authority(kind, apex_at, soa);
    r.records(soa, 1, &Reply::ns_);
    return reply(r);
}

// CoreDNS's `pods insecure`: a-b-c-d.<ns>.pod.<zone> is the address it
// spells, in any namespace that exists.
bool insecure_pod(const Zone& zone, const Query& q, size_t apex_at, IPAddr* ip) {
    // <label>.<ns>.pod.<zone>: the apex is three labels in.
    size_t pos = 0, labels = 0;
    while (pos < apex_at) {
        pos += 1 + q.name[pos];
        ++labels;
    }
    if (labels != 3) return false;
    const size_t second = 1 + q.name[0];
    const std::string_view pod_label(reinterpret_cast<const char*>(q.name) + second, apex_at - second);
    if (pod_label.size() < 5 || pod_label.compare(pod_label.size() - 4, 4, "\3pod") != 0) return false;
    Query ns = q;
    std::memmove(ns.name, q.name + second, q.name_len - second);
    ns.name_len = static_cast<uint8_t>(q.name_len - second);
    ns.hash = name_hash(ns.wire_name());
    if (!zone.find(ns)) return false;  // the namespace does not exist
    std::string text(reinterpret_cast<const char*>(q.name) + 1, q.name[0]);
    size_t dashes = 0;
    for (char c : text) dashes += c == '-';
    const bool v4 = dashes == 3 && text.find("--") == std::string::npos;
    for (auto& c : text)
        if (c == '-') c = v4 ? '.' : ':';
    auto parsed = IPAddr::parse(text);
    if (!parsed || parsed->is_v4() != v4) return false;
    *ip = *parsed;
    return true;
}

// The answer records of `qtype` at the in-zone `target`, decoded (from a
// rendering of the target's own question) so they can follow a CNAME in
// this reply. Another in-zone CNAME is followed, at most kMaxChain deep.
bool chase_in_zone(const Zone& zone, std::string_view target, uint16_t qtype, std::string& out, uint16_t& count,
                   int depth) {
    if (depth >= kMaxChain) return false;
    Query t;
    std::memcpy(t.name, target.data(), target.size());
    t.name_len = static_cast<uint8_t>(target.size());
    t.hash = name_hash(t.wire_name());
    const Zone::Node* node = zone.find(t);
    if (!node) return false;
    const bool direct = zone.has(node, qtype);
    if (!direct && !zone.has(node, kTypeCNAME)) return false;
    std::vector<uint8_t> msg(kMaxMessage);
    const size_t start = kHeaderSize + target.size() + 4;
    std::memcpy(msg.data() + kHeaderSize, target.data(), target.size());
    Rendered r;
    zone.render(node, direct ? qtype : uint16_t{kTypeCNAME}, msg.data(), start, kMaxMessage - start, &r);
    size_t pos = start;
    if (r.truncated || !copy_records(msg.data(), start + r.len, &pos, r.an, out)) return false;
    count = static_cast<uint16_t>(count + r.an);
    if (direct || !zone.external_target(node).empty()) return true;
    std::string owner, next;
    size_t rd = start;
    if (read_name(msg.data(), start + r.len, &rd, owner) && (rd += 10, read_name(msg.data(), start + r.len, &rd, next)))
        chase_in_zone(zone, next, qtype, out, count, depth + 1);
    return true;
}

Outcome cname_answer(Reply& r, const Zone& zone, const Zone::Node* node, const Query& q, const Transport& t) {
    r.authoritative();
    const size_t before = r.length();
    r.render(zone, node, kTypeCNAME);
    const std::string_view external = zone.external_target(node);
    if (q.qtype == kTypeCNAME) return reply(r);
    if (!external.empty()) {
        Outcome o = reply(r);
        if (t.upstream) {
            o.action = Action::Chase;
            o.chase_name.assign(external);
            o.chase_type = q.qtype;
        }
        return o;
    }
    // The target is ours: its records follow. Its name is the CNAME's data.
    std::string owner, target;
    size_t pos = before;
    const uint8_t* msg = r.data();
    if (read_name(msg, r.length(), &pos, owner) && (pos += 10, read_name(msg, r.length(), &pos, target))) {
        std::string more;
        uint16_t n = 0;
        if (chase_in_zone(zone, target, q.qtype, more, n, 1)) r.records(more, n, &Reply::an_);
    }
    return reply(r);
}

// The pod's search path after its first entry, for a query whose name is
// X.<ns>.svc.<domain> (`ns`: one wire label): X, or "" when the name is not
// of that form.
std::string_view autopath_base(const Zone& zone, const Query& q, std::string_view ns) {
    std::string suffix(ns);
    suffix += "\3svc";
    suffix += to_wire(zone.options().domain);
    const std::string_view name = q.wire_name();
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) return {};
    const std::string_view base = name.substr(0, name.size() - suffix.size());
    // `base` must end on a label boundary: walk its labels.
    size_t pos = 0;
    while (pos < base.size()) pos += 1 + static_cast<uint8_t>(base[pos]);
    return pos == base.size() ? base : std::string_view{};
}

// Autopath's answer, or nullopt when it does not apply (see respond.hpp).
std::optional<Outcome> autopath(const Zone& zone, const uint8_t* msg, const Query& q, const Transport& t,
                                uint8_t* out) {
    if (!t.client || !zone.options().autopath) return std::nullopt;
    const std::string_view ns = zone.pod_namespace(*t.client);
    if (ns.empty()) return std::nullopt;
    const std::string_view base = autopath_base(zone, q, ns);
    if (base.empty()) return std::nullopt;
    const std::string domain = to_wire(zone.options().domain);
    const size_t limit = max_reply_size(q, t);
    auto cname_reply = [&](Reply& r, std::string_view target) {
        std::string rr;
        StringSink sink(rr);
        write_rr(sink, Pointer(kHeaderSize).view(), {kTypeCNAME, zone.options().ttl}, {Rdata::name(target)});
        r.records(rr, 1, &Reply::an_);
    };
    // In the cluster zone: <base>.svc.<domain>, then <base>.<domain>.
    for (const std::string& candidate : {std::string(base) + "\3svc" + domain, std::string(base) + domain}) {
        if (candidate.size() > kMaxNameWire) continue;
        Query c;
        std::memcpy(c.name, candidate.data(), candidate.size());
        c.name_len = static_cast<uint8_t>(candidate.size());
        c.hash = name_hash(c.wire_name());
        if (!zone.find(c)) continue;
        Reply r(out, msg, q, limit);
        r.recursion_available(t.upstream);
        r.authoritative();
        cname_reply(r, candidate);
        std::string more;
        uint16_t n = 0;
        if (chase_in_zone(zone, candidate, q.qtype, more, n, 0)) r.records(more, n, &Reply::an_);
        Outcome o = reply(r);
        o.autopath = true;
        return o;
    }
    // The name itself, upstream: unless it is one of ours, or nobody to ask.
    const std::string bare = std::string(base) + std::string(1, '\0');
    Query b;
    std::memcpy(b.name, bare.data(), bare.size());
    b.name_len = static_cast<uint8_t>(bare.size());
    size_t apex = 0;
    if (!t.upstream || zone.zone_of(b, &apex) != ZoneKind::Outside) return std::nullopt;
    Reply r(out, msg, q, limit);
    r.recursion_available(true);
    cname_reply(r, bare);
    Outcome o = reply(r);
    o.action = Action::Chase;
    o.chase_name = bare;
    o.chase_type = q.qtype;
    o.autopath = true;
    // The original NXDOMAIN, in case the name does not resolve upstream.
    size_t zone_apex = 0;
    const ZoneKind kind = zone.zone_of(q, &zone_apex);
    Reply neg(out + o.len, msg, q, t.tcp ? limit : std::min(limit, kMaxUdpReply - o.len));
    neg.recursion_available(true);
    o.alt_len = negative(neg, zone, kind, zone_apex, kNXDomain).len;
    return o;
}

}  // namespace

size_t max_reply_size(const Query& q, const Transport& transport) {
    if (transport.tcp) return kMaxMessage;
    if (!q.edns) return kClassicUdpSize;
    return q.udp_size < kMaxUdpSize ? q.udp_size : kMaxUdpSize;
}

Outcome respond(const Zone* zone, const uint8_t* msg, size_t len, const Transport& transport, uint8_t* out) {
    Query q;
    const QueryCheck check = parse_query(msg, len, q);
    return respond(zone, msg, q, check, transport, out);
}

Outcome respond(const Zone* zone, const uint8_t* msg, const Query& q, QueryCheck check, const Transport& transport,
                uint8_t* out) {
    switch (check) {
        case QueryCheck::Drop: return {};
        case QueryCheck::FormErr: return header_error(msg, q, kFormErr, out);
        case QueryCheck::NotImp: return header_error(msg, q, kNotImp, out);
        case QueryCheck::Ok: break;
    }
    Reply r(out, msg, q, max_reply_size(q, transport));
    r.recursion_available(transport.upstream);
    if (q.edns && q.edns_version != 0) {  // RFC 6891 6.1.3
        r.rcode(kBadVers);
        return reply(r);
    }
    if (q.qclass != kClassIN) {
        r.rcode(kRefused);
        return reply(r);
    }
    if (!zone) {
        r.rcode(kServFail);
        return reply(r);
    }
    size_t apex_at = 0;
    const ZoneKind kind = zone->zone_of(q, &apex_at);
    if (kind == ZoneKind::Outside) {
        if (transport.upstream) return {Action::Forward, 0, {}, 0};
        r.rcode(kRefused);
        return reply(r);
    }
    if (q.qtype == kTypeAXFR || q.qtype == kTypeIXFR) {
        r.rcode(kRefused);
        return reply(r);
    }
    if (const Zone::Node* node = zone->find(q)) {
        if (zone->has(node, q.qtype)) {
            r.authoritative();
            r.render(*zone, node, q.qtype);
            return reply(r);
        }
        if (zone->has(node, kTypeCNAME)) return cname_answer(r, *zone, node, q, transport);
        return negative(r, *zone, kind, apex_at, node->only_its_types ? kNXDomain : kNoError);
    }
    IPAddr pod;
    if (kind == ZoneKind::Cluster && zone->options().pods == DnsPodMode::Insecure && insecure_pod(*zone, q, apex_at, &pod)) {
        r.authoritative();
        const uint16_t want = pod.is_v4() ? kTypeA : kTypeAAAA;
        if (q.qtype != want) return negative(r, *zone, kind, apex_at, kNoError);
        std::string rr;
        StringSink sink(rr);
        write_rr(sink, Pointer(kHeaderSize).view(), {want, zone->options().ttl}, {Rdata::address(pod)});
        r.records(rr, 1, &Reply::an_);
        return reply(r);
    }
    // Reverse names of addresses that are not ours go on (CoreDNS's
    // `fallthrough in-addr.arpa ip6.arpa`) when there is somewhere to go.
    if (kind != ZoneKind::Cluster && transport.upstream) return {Action::Forward, 0, {}, 0};
    if (kind == ZoneKind::Cluster)
        if (auto o = autopath(*zone, msg, q, transport, out)) return *o;
    return negative(r, *zone, kind, apex_at, kNXDomain);
}

std::string upstream_query(uint16_t id, std::string_view name, uint16_t type, bool dnssec_ok, bool checking_disabled) {
    std::string q;
    StringSink sink(q);
    const uint16_t flags = static_cast<uint16_t>(kFlagRD | (checking_disabled ? kFlagCD : 0));
    for (uint16_t word : {id, flags, uint16_t{1}, uint16_t{0}, uint16_t{0}, uint16_t{1}}) put_u16(sink, word);
    sink.put(name.data(), name.size());
    put_u16(sink, type);
    put_u16(sink, kClassIN);
    write_rr(sink, std::string_view("", 1), opt_header(0, dnssec_ok), {});
    return q;
}

size_t append_chased(uint8_t* reply, size_t reply_len, size_t max_size, const uint8_t* upstream, size_t upstream_len) {
    if (upstream_len < kHeaderSize || (get16(upstream + 2) & 0x0F) != kNoError) return reply_len;
    const uint16_t qd = get16(upstream + 4), an = get16(upstream + 6);
    size_t pos = kHeaderSize;
    std::string skip;
    for (uint16_t i = 0; i < qd; ++i) {
        if (!read_name(upstream, upstream_len, &pos, skip)) return reply_len;
        pos += 4;
    }
    std::string records;
    if (!copy_records(upstream, upstream_len, &pos, an, records)) return reply_len;
    // The reply ends with the OPT record when the client sent one: insert
    // before it. Its header counts say where the answer section ends.
    const uint16_t ar = get16(reply + 10);
    const size_t opt = ar ? kOptSize : 0;
    if (reply_len + records.size() > max_size) {
        store16(reply + 2, static_cast<uint16_t>(get16(reply + 2) | kFlagTC));
        return reply_len;
    }
    std::memmove(reply + reply_len - opt + records.size(), reply + reply_len - opt, opt);
    std::memcpy(reply + reply_len - opt, records.data(), records.size());
    store16(reply + 6, static_cast<uint16_t>(get16(reply + 6) + an));
    return reply_len + records.size();
}

}  // namespace svcnat::dns
