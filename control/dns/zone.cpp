#include "zone.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "rr.hpp"

namespace svcnat::dns {
namespace {

constexpr uint32_t kVersionTtl = 28800;  // CoreDNS's TTL for dns-version
constexpr const char* kSchemaVersion = "1.1.0";
constexpr size_t kRRHeader = 10;  // type, class, TTL, RDLENGTH

std::string_view proto_label(Protocol p) {
    switch (p) {
        case Protocol::TCP: return "_tcp";
        case Protocol::UDP: return "_udp";
        case Protocol::SCTP: return "_sctp";
    }
    return "_tcp";
}

// Prepends one label to a wire name.
std::string prepend(std::string_view label, const std::string& wire) {
    std::string out;
    out.reserve(1 + label.size() + wire.size());
    out.push_back(static_cast<char>(label.size()));
    for (char c : label) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    out += wire;
    return out;
}

// Label-boundary suffixes of a wire name, longest first, with their offsets.
template <typename F>
void for_each_suffix(std::string_view wire, F f) {
    size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        if (f(wire.substr(pos), pos)) return;
        pos += 1 + static_cast<uint8_t>(wire[pos]);
    }
}

// The reply body of the few answers that carry names (SOA, NS, CNAME),
// appended to `out`: owners and names compressed against the question and
// what the body already wrote. Bodies are copied right after the question,
// whose length is the same for every query of the name, so the offsets
// hold for all of them.
class Body {
public:
    Body(std::string_view qname, std::string& out) : out_(out), base_(out.size()) {
        start_ = kHeaderSize + qname.size() + 4;
        for_each_suffix(qname, [&](std::string_view s, size_t at) {
            seen_.emplace(s, kHeaderSize + at);
            return false;
        });
    }
    // One record (write_rr, its owner and names compressed).
    void record(std::string_view owner, RRHeader h, std::span<const Rdata> rdata) {
        StringSink sink(out_);
        (*this)(sink, owner, true);
        write_rr(sink, {}, h, rdata, *this);
    }
    void record(std::string_view owner, RRHeader h, std::initializer_list<Rdata> rdata) {
        record(owner, h, std::span<const Rdata>(rdata.begin(), rdata.size()));
    }
    // write_rr's name writer.
    void operator()(StringSink& sink, std::string_view wire, bool compressible) {
        size_t pos = 0;
        while (pos < wire.size() && wire[pos] != 0) {
            const std::string_view rest = wire.substr(pos);
            auto it = compressible ? seen_.find(rest) : seen_.end();
            if (it != seen_.end() && it->second < 0x4000) {
                const Pointer ptr(it->second);
                sink.put(ptr.bytes, 2);
                return;
            }
            if (offset() < 0x4000) seen_.emplace(rest, offset());
            const size_t n = 1 + static_cast<uint8_t>(wire[pos]);
            sink.put(wire.data() + pos, n);
            pos += n;
        }
        sink.put("", 1);
    }

private:
    size_t offset() const { return start_ + (out_.size() - base_); }
    std::string& out_;
    size_t base_ = 0, start_ = 0;
    // Views of the question and of names owned by the caller for the
    // body's lifetime.
    std::unordered_map<std::string_view, size_t> seen_;
};

// Everything one name answers, before it goes into the table.
struct NameRecords {
    std::string name;  // wire
    uint32_t ttl = 0;  // 0: the zone's TTL
    std::vector<IPAddr> addrs;  // A and AAAA
    std::vector<std::pair<uint32_t, uint16_t>> srv;  // (target node, port); weights from `srv_found`
    size_t srv_found = 0;  // CoreDNS divides the weight 100 among what it found
    std::vector<std::string> txt;
    std::string cname;  // wire target
    bool cname_external = false;
    bool apex = false;  // SOA and NS
    bool only_its_types = false;
};

}  // namespace

class ZoneBuilder {
public:
    ZoneBuilder(Zone& z, const ZoneOptions& o) : z_(z), o_(o) {
        z_.options_ = o;
        z_.cluster_wire_ = to_wire(o.domain);
        apex_ = z_.cluster_wire_;
        svc_ = prepend("svc", apex_);
        pod_ = prepend("pod", apex_);
        ns_dns_ = prepend("ns", prepend("dns", apex_));
        hostmaster_ = prepend("hostmaster", apex_);
        soa_tails();
    }

    void build(const DiscoveryState& state) {
        apex_names();
        for (const auto& ns : state.namespaces) {
            empty_node(prepend(ns, svc_));
            // CoreDNS answers <ns>.pod.<zone> only when pod records are on.
            if (o_.pods != DnsPodMode::Disabled) empty_node(prepend(ns, pod_));
        }
        for (const auto& s : state.services) service(s);
        pods(state);
        reverse();
        index();
    }

private:
    // -- the fixed names of the zone
    void apex_names() {
        NameRecords apex;
        apex.name = apex_;
        apex.apex = true;
        emit(apex);
        NameRecords ns;
        ns.name = ns_dns_;
        ns.addrs = o_.ns_addresses;
        emit(ns);
        NameRecords version;
        version.name = prepend("dns-version", apex_);
        version.ttl = kVersionTtl;
        version.txt = {kSchemaVersion};
        version.only_its_types = true;
        emit(version);
        empty_node(svc_);
        empty_node(pod_);
    }

    void empty_node(const std::string& name) {
        NameRecords r;
        r.name = name;
        emit(r);
    }

    // -- services
    void service(const DiscoveredService& s) {
        const std::string name = prepend(s.name, prepend(s.ns, svc_));
        if (s.kind == DiscoveryKind::ExternalName) {
            external_name(s, name);
            return;
        }
        // Backends by DNS hostname (a dual-stack pod has one name, two
        // addresses); their names first, so that the service's SRV records
        // can point at them.
        std::map<std::string, std::vector<const DiscoveryBackend*>> by_host;
        for (const auto& b : s.backends) by_host[b.hostname.empty() ? dashed(b.ip) : b.hostname].push_back(&b);
        std::map<std::string, uint32_t> host_node;
        for (const auto& [host, backends] : by_host) {
            NameRecords r;
            r.name = prepend(host, name);
            if (!storable(r.name)) continue;
            const uint32_t self = next_record();
            for (const auto* b : backends) {
                r.addrs.push_back(b->ip);
                for (const auto& p : b->ports) r.srv.push_back({self, p.port});
                ptrs_.push_back({b->ip, self});
            }
            r.srv_found = r.srv.size();
            host_node[host] = emit(r);
        }
        if (s.kind == DiscoveryKind::ClusterIP) cluster_ip_names(s, name);
        else headless_names(s, name, by_host, host_node);
    }

    void cluster_ip_names(const DiscoveredService& s, const std::string& name) {
        NameRecords r;
        r.name = name;
        if (!storable(r.name)) return;
        r.addrs = s.clusterIPs;
        const uint32_t self = next_record();
        for (const auto& ip : s.clusterIPs) ptrs_.push_back({ip, self});
        for (const auto& p : s.ports) r.srv.push_back({self, p.port});
        // CoreDNS divides 100 among every (port, address) pair it found.
        r.srv_found = s.ports.size() * s.clusterIPs.size();
        emit(r);
        for (const auto& p : s.ports) {
            if (p.name.empty()) continue;
            NameRecords pr;
            pr.name = prepend("_" + p.name, prepend(proto_label(p.protocol), name));
            pr.addrs = s.clusterIPs;
            pr.srv.push_back({self, p.port});
            pr.srv_found = s.clusterIPs.size();
            emit(pr);
        }
    }

    void headless_names(const DiscoveredService& s, const std::string& name,
                        const std::map<std::string, std::vector<const DiscoveryBackend*>>& by_host,
                        const std::map<std::string, uint32_t>& host_node) {
        if (s.backends.empty()) return;  // NXDOMAIN, as CoreDNS answers a headless service without endpoints
        NameRecords r;
        r.name = name;
        for (const auto& [host, backends] : by_host)
            for (const auto* b : backends) {
                r.addrs.push_back(b->ip);
                auto target = host_node.find(host);
                if (target == host_node.end()) continue;  // a name too long to store
                for (const auto& p : b->ports) r.srv.push_back({target->second, p.port});
            }
        r.srv_found = r.srv.size();
        emit(r);
        for (const auto& sp : s.ports) {
            if (sp.name.empty()) continue;
            NameRecords pr;
            pr.name = prepend("_" + sp.name, prepend(proto_label(sp.protocol), name));
            for (const auto& [host, backends] : by_host) {
                auto target = host_node.find(host);
                if (target == host_node.end()) continue;  // a name too long to store
                for (const auto* b : backends)
                    for (const auto& p : b->ports) {
                        if (p.name != sp.name || p.protocol != sp.protocol) continue;
                        pr.addrs.push_back(b->ip);
                        pr.srv.push_back({target->second, p.port});
                    }
            }
            if (pr.srv.empty()) continue;  // no endpoint serves it: NXDOMAIN
            pr.srv_found = pr.srv.size();
            emit(pr);
        }
    }

    void external_name(const DiscoveredService& s, const std::string& name) {
        // An IP as externalName is no CNAME target: CoreDNS answers NXDOMAIN.
        if (IPAddr::parse(s.externalName)) return;
        const std::string target = to_wire(s.externalName);
        if (target.empty()) return;
        NameRecords r;
        r.name = name;
        r.cname = target;
        r.cname_external = !in_cluster_zone(target);
        emit(r);
    }

    bool in_cluster_zone(std::string_view wire) const {
        bool found = false;
        for_each_suffix(wire, [&](std::string_view s, size_t) { return found = (s == apex_); });
        return found;
    }

    // -- pods (verified mode: the manifests' pods; insecure ones are synthesized at query time)
    void pods(const DiscoveryState& state) {
        if (o_.pods != DnsPodMode::Verified) return;
        std::map<std::string, NameRecords> names;
        for (const auto& p : state.pods) {
            const std::string n = prepend(dashed(p.ip), prepend(p.ns, pod_));
            auto& r = names[n];
            r.name = n;
            r.addrs.push_back(p.ip);
        }
        for (auto& [n, r] : names) emit(r);
    }

    // -- PTRs for ClusterIPs and endpoints, pointing at their names
    void reverse() {
        std::sort(ptrs_.begin(), ptrs_.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first < b.first : z_.name_of(a.second) < z_.name_of(b.second);
        });
        ptrs_.erase(std::unique(ptrs_.begin(), ptrs_.end()), ptrs_.end());
        for (size_t i = 0; i < ptrs_.size();) {
            size_t j = i;
            while (j < ptrs_.size() && ptrs_[j].first == ptrs_[i].first) ++j;
            const std::string name = to_wire(reverse_name(ptrs_[i].first));
            Zone::Answer a;
            a.qtype = kTypePTR;
            a.form = Zone::Form::Ptr;
            a.off = static_cast<uint32_t>(z_.ptr_.size());
            a.an = static_cast<uint16_t>(j - i);
            for (size_t k = i; k < j; ++k) z_.ptr_.push_back(ptrs_[k].second);
            pending_.push_back(a);
            put_record(name, Zone::Node{});
            i = j;
        }
        ptrs_ = {};
    }

    // -- turning records into the table

    static bool storable(const std::string& name) { return !name.empty() && name.size() <= kMaxNameWire; }
    // The record the next put_record() makes: what a name can point at
    // before it is built (a service's own SRV and PTR targets).
    uint32_t next_record() const { return static_cast<uint32_t>((z_.arena_.size() + 3) & ~size_t{3}); }

    // Appends a record: its head, `name`, the answers in pending_ (Bytes
    // offsets made absolute) and the bodies in body_, which it empties.
    uint32_t put_record(std::string_view name, Zone::Node node) {
        std::string& arena = z_.arena_;
        const uint32_t at = next_record();
        node.name_len = static_cast<uint8_t>(name.size());
        node.count = static_cast<uint8_t>(pending_.size());
        const size_t answers_at = at + Zone::answers_offset(name.size());
        const size_t bodies_at = answers_at + pending_.size() * sizeof(Zone::Answer);
        if (bodies_at + body_.size() > UINT32_MAX) throw std::length_error("DNS zone larger than 4 GiB");
        arena.resize(answers_at, '\0');
        std::memcpy(arena.data() + at, &node, sizeof node);
        std::memcpy(arena.data() + at + sizeof node, name.data(), name.size());
        for (Zone::Answer a : pending_) {
            if (a.form == Zone::Form::Bytes) a.off += static_cast<uint32_t>(bodies_at);
            arena.append(reinterpret_cast<const char*>(&a), sizeof a);
        }
        arena += body_;
        pending_.clear();
        body_.clear();
        z_.records_.push_back(at);
        return at;
    }

    // Returns the name's record. A name that cannot be stored is left out
    // (what is returned then names no record: callers that keep it, or
    // point at the name beforehand, check storable() first).
    uint32_t emit(NameRecords& r) {
        if (!storable(r.name)) return next_record();
        if (r.ttl == 0) r.ttl = o_.ttl;
        std::sort(r.addrs.begin(), r.addrs.end());
        r.addrs.erase(std::unique(r.addrs.begin(), r.addrs.end()), r.addrs.end());
        Zone::Node node;
        node.only_its_types = r.only_its_types;
        node.external_cname = r.cname_external;
        addresses(r, IPFamily::IPv4);
        addresses(r, IPFamily::IPv6);
        if (!r.srv.empty()) srv(r);
        if (!r.txt.empty()) bytes(r, kTypeTXT, [&](Body& b) {
            for (const auto& t : r.txt) b.record(r.name, {kTypeTXT, r.ttl}, {Rdata::text(t)});
            return r.txt.size();
        });
        if (!r.cname.empty()) bytes(r, kTypeCNAME, [&](Body& b) {
            b.record(r.name, {kTypeCNAME, r.ttl}, {Rdata::name(r.cname)});
            return 1;
        });
        if (r.apex) {
            bytes(r, kTypeSOA, [&](Body& b) {
                const auto rdata = soa_rdata(ns_dns_, hostmaster_);
                b.record(r.name, {kTypeSOA, soa_ttl()}, std::span<const Rdata>(rdata));
                return 1;
            });
            ns(r);
        }
        const uint32_t at = put_record(r.name, node);
        if (r.cname_external) {
            z_.external_targets_.push_back({at, static_cast<uint32_t>(z_.arena_.size())});
            z_.arena_ += r.cname;
        }
        return at;
    }

    // A byte body with one answer section written by `f` (returns the count).
    template <typename F>
    void bytes(const NameRecords& r, uint16_t qtype, F f) {
        Zone::Answer a;
        a.qtype = qtype;
        a.off = static_cast<uint32_t>(body_.size());
        Body body(r.name, body_);
        a.an = static_cast<uint16_t>(f(body));
        a.an_len = static_cast<uint16_t>(body_.size() - a.off);
        pending_.push_back(a);
    }

    // A and AAAA: owner is the question (a pointer), so the body is fixed
    // per name. At most what fits a TCP message.
    void addresses(const NameRecords& r, IPFamily fam) {
        Zone::Answer a;
        a.qtype = fam == IPFamily::IPv4 ? kTypeA : kTypeAAAA;
        a.off = static_cast<uint32_t>(body_.size());
        std::string& out = body_;
        StringSink sink(out);
        const Pointer question(kHeaderSize);
        for (const auto& ip : r.addrs) {
            if (ip.family != fam || out.size() - a.off + 28 > 65000) continue;
            write_rr(sink, question.view(), {a.qtype, r.ttl}, {Rdata::address(ip)});
            ++a.an;
        }
        a.an_len = static_cast<uint16_t>(out.size() - a.off);
        if (a.an) pending_.push_back(a);
    }

    void srv(NameRecords& r) {
        const uint16_t weight = static_cast<uint16_t>(r.srv_found ? std::max<size_t>(1, 100 / r.srv_found) : 100);
        // Duplicates (one port, two addresses of one target) count once.
        std::sort(r.srv.begin(), r.srv.end(), [&](const auto& a, const auto& b) {
            const auto na = a.first == b.first ? std::string_view() : z_.name_of(a.first);
            const auto nb = a.first == b.first ? std::string_view() : z_.name_of(b.first);
            return na != nb ? na < nb : a.second < b.second;
        });
        r.srv.erase(std::unique(r.srv.begin(), r.srv.end()), r.srv.end());
        Zone::Answer a;
        a.qtype = kTypeSRV;
        a.form = Zone::Form::Srv;
        a.off = static_cast<uint32_t>(z_.srv_.size());
        a.an = static_cast<uint16_t>(std::min<size_t>(r.srv.size(), 2000));
        for (size_t i = 0; i < a.an; ++i) z_.srv_.push_back({r.srv[i].first, r.srv[i].second, weight});
        pending_.push_back(a);
    }

    void ns(const NameRecords& r) {
        Zone::Answer a;
        a.qtype = kTypeNS;
        a.off = static_cast<uint32_t>(body_.size());
        std::string& out = body_;
        Body body(r.name, out);
        body.record(r.name, {kTypeNS, o_.ttl}, {Rdata::name(ns_dns_)});
        a.an = 1;
        a.an_len = static_cast<uint16_t>(out.size() - a.off);
        for (const auto& ip : o_.ns_addresses) {
            body.record(ns_dns_, {ip.is_v4() ? uint16_t{kTypeA} : uint16_t{kTypeAAAA}, o_.ttl}, {Rdata::address(ip)});
            ++a.ar;
        }
        a.ar_len = static_cast<uint16_t>(out.size() - a.off - a.an_len);
        pending_.push_back(a);
    }

    // CoreDNS's SOA: ns.dns.<zone>, hostmaster.<zone>, 7200/1800/86400,
    // minimum = the TTL; the record's own TTL at most 300.
    uint32_t soa_ttl() const { return std::min<uint32_t>(o_.ttl, 300); }
    std::array<Rdata, 7> soa_rdata(const std::string& mname, const std::string& rname) const {
        return {Rdata::name(mname), Rdata::name(rname), Rdata::u32(o_.serial), Rdata::u32(7200),
                Rdata::u32(1800), Rdata::u32(86400), Rdata::u32(o_.ttl)};
    }

    // The SOA after its owner (which negative answers point at the apex in
    // the question), per zone; names spelled out.
    void soa_tails() {
        const std::string zones[3] = {apex_, to_wire("in-addr.arpa"), to_wire("ip6.arpa")};
        for (int i = 0; i < 3; ++i) {
            const std::string mname = prepend("ns", prepend("dns", zones[i])), rname = prepend("hostmaster", zones[i]);
            StringSink sink(z_.soa_tail_[i]);
            const auto rdata = soa_rdata(mname, rname);
            write_rr(sink, {}, {kTypeSOA, soa_ttl()}, std::span<const Rdata>(rdata));
        }
    }

    // The hash table. A name produced twice keeps its first record; the
    // second stays in the arena (records are referenced) but is never found.
    void index() {
        // At most 3/4 full: linear probing stays short, and the table costs
        // 4-5 bytes per name instead of 8 at a 1/2 load.
        size_t cap = 16;
        while (cap * 3 < z_.records_.size() * 4) cap <<= 1;
        z_.slots_.assign(cap, 0);
        z_.mask_ = cap - 1;
        for (const uint32_t n : z_.records_) {
            const std::string_view name = z_.name_of(n);
            uint64_t i = name_hash(name) & z_.mask_;
            bool duplicate = false;
            for (; z_.slots_[i] != 0; i = (i + 1) & z_.mask_)
                if (z_.name_of(z_.slots_[i] - 1) == name) {
                    duplicate = true;
                    break;
                }
            if (!duplicate) z_.slots_[i] = n + 1;
        }
        z_.records_.shrink_to_fit();
        z_.srv_.shrink_to_fit();
        z_.ptr_.shrink_to_fit();
        z_.arena_.shrink_to_fit();
    }

    Zone& z_;
    const ZoneOptions& o_;
    // Names the body writers point into: they live as long as the builder.
    std::string apex_, svc_, pod_, ns_dns_, hostmaster_;
    std::vector<std::pair<IPAddr, uint32_t>> ptrs_;  // address -> the record its PTR names
    // The record being built: its answers and their bodies (Bytes offsets
    // relative to body_ until put_record()).
    std::vector<Zone::Answer> pending_;
    std::string body_;
};

std::shared_ptr<const Zone> Zone::build(const DiscoveryState& state, const ZoneOptions& options) {
    auto z = std::make_shared<Zone>();
    ZoneBuilder(*z, options).build(state);
    if (options.autopath) {
        for (const auto& p : state.pods) {
            if (p.ns.empty() || p.ns.size() > 63) continue;
            z->pod_namespaces_.emplace_back(p.ip, static_cast<char>(p.ns.size()) + p.ns);
        }
        std::sort(z->pod_namespaces_.begin(), z->pod_namespaces_.end());
    }
    return z;
}

std::string_view Zone::pod_namespace(const IPAddr& ip) const {
    auto it = std::lower_bound(pod_namespaces_.begin(), pod_namespaces_.end(), ip,
                               [](const auto& entry, const IPAddr& a) { return entry.first < a; });
    if (it == pod_namespaces_.end() || it->first != ip) return {};
    return it->second;
}

ZoneKind Zone::zone_of(const Query& q, size_t* apex_offset) const {
    static const std::string v4 = to_wire("in-addr.arpa"), v6 = to_wire("ip6.arpa");
    ZoneKind kind = ZoneKind::Outside;
    for_each_suffix(q.wire_name(), [&](std::string_view s, size_t at) {
        if (s == cluster_wire_) kind = ZoneKind::Cluster;
        else if (s == v4) kind = ZoneKind::ReverseV4;
        else if (s == v6) kind = ZoneKind::ReverseV6;
        else return false;
        *apex_offset = at;
        return true;
    });
    return kind;
}

const Zone::Node* Zone::find(const Query& q) const {
    if (slots_.empty()) return nullptr;
    const std::string_view name = q.wire_name();
    for (uint64_t i = q.hash & mask_;; i = (i + 1) & mask_) {
        const uint32_t s = slots_[i];
        if (s == 0) return nullptr;
        const Node* n = node_at(s - 1);
        if (n->name_len == name.size() && std::memcmp(name_of(n).data(), name.data(), name.size()) == 0) return n;
    }
}

const Zone::Answer* Zone::answer(const Node* node, uint16_t qtype) const {
    const Answer* answers = answers_of(node);
    for (uint32_t i = 0; i < node->count; ++i)
        if (answers[i].qtype == qtype) return &answers[i];
    return nullptr;
}

bool Zone::has(const Node* node, uint16_t qtype) const { return answer(node, qtype) != nullptr; }

bool Zone::render(const Node* node, uint16_t qtype, uint8_t* msg, size_t at, size_t room, Rendered* out) const {
    *out = {};
    const Answer* a = answer(node, qtype);
    if (!a) return false;
    if (a->form == Form::Srv) return render_srv(*a, msg, at, room, out);
    if (a->form == Form::Ptr) return render_ptr(*a, msg, at, room, out);
    const size_t main = a->an_len + a->ns_len;
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(arena_.data() + a->off);
    if (main + a->ar_len <= room) {
        std::memcpy(msg + at, bytes, main + a->ar_len);
        *out = {a->an, a->ns, a->ar, main + a->ar_len, false};
    } else if (main <= room) {
        std::memcpy(msg + at, bytes, main);
        *out = {a->an, a->ns, 0, main, false};
    } else {
        out->truncated = true;
    }
    return true;
}

// SRV records point at names of the table: the target is written out (no
// compression in SRV data), and the additional section gives each target's
// addresses with owners pointing at those targets.
bool Zone::render_srv(const Answer& a, uint8_t* msg, size_t at, size_t room, Rendered* out) const {
    const SrvRecord* recs = srv_.data() + a.off;
    size_t pos = at;
    for (uint16_t i = 0; i < a.an; ++i) {
        const std::string_view target = name_of(recs[i].target);
        BufferSink sink(msg + pos, room - (pos - at));
        write_rr(sink, Pointer(kHeaderSize).view(), {kTypeSRV, options_.ttl},
                 {Rdata::u16(0), Rdata::u16(recs[i].weight), Rdata::u16(recs[i].port),
                  Rdata::uncompressed_name(target)});
        if (!sink.ok()) {
            *out = {};
            out->truncated = true;
            return true;
        }
        pos += sink.size();
    }
    out->an = a.an;
    // Additional: each distinct target's A and AAAA records, owners as
    // pointers to its first spelling above.
    size_t target_at = at;
    for (uint16_t i = 0; i < a.an; ++i) {
        const uint32_t t = recs[i].target;
        const size_t here = target_at + 18;
        target_at += 18 + node_at(t)->name_len;
        bool seen = false;
        for (uint16_t k = 0; k < i && !seen; ++k) seen = recs[k].target == t;
        if (seen || here >= 0x4000) continue;
        for (uint16_t type : {kTypeA, kTypeAAAA}) {
            const Answer* addrs = answer(node_at(t), type);
            if (!addrs) continue;
            const uint8_t* rr = reinterpret_cast<const uint8_t*>(arena_.data() + addrs->off);
            const size_t rr_len = 2 + kRRHeader + (type == kTypeA ? 4 : 16);
            for (uint16_t k = 0; k < addrs->an; ++k, rr += rr_len) {
                if (pos - at + rr_len > room) {
                    out->len = pos - at;
                    return true;  // the rest of the additional data does not fit: left out
                }
                store16(msg + pos, static_cast<uint16_t>(0xC000 | here));
                std::memcpy(msg + pos + 2, rr + 2, rr_len - 2);
                pos += rr_len;
                ++out->ar;
            }
        }
    }
    out->len = pos - at;
    return true;
}

bool Zone::render_ptr(const Answer& a, uint8_t* msg, size_t at, size_t room, Rendered* out) const {
    size_t pos = at;
    for (uint16_t i = 0; i < a.an; ++i) {
        const std::string_view target = name_of(ptr_[a.off + i]);
        BufferSink sink(msg + pos, room - (pos - at));
        write_rr(sink, Pointer(kHeaderSize).view(), {kTypePTR, options_.ttl}, {Rdata::name(target)});
        if (!sink.ok()) {
            *out = {};
            out->truncated = true;
            return true;
        }
        pos += sink.size();
    }
    *out = {a.an, 0, 0, pos - at, false};
    return true;
}

std::string_view Zone::external_target(const Node* node) const {
    if (!node->external_cname) return {};
    const uint32_t record = record_of(node);
    // Pushed in the order built: sorted by record.
    auto it = std::lower_bound(external_targets_.begin(), external_targets_.end(), std::pair<uint32_t, uint32_t>{record, 0});
    if (it == external_targets_.end() || it->first != record) return {};
    const std::string_view rest(arena_.data() + it->second, arena_.size() - it->second);
    size_t len = 0;
    while (len < rest.size() && rest[len] != 0) len += 1 + static_cast<uint8_t>(rest[len]);
    return rest.substr(0, len + 1);
}

void Zone::negative_authority(ZoneKind zone, size_t apex_at, std::string& out) const {
    const int i = zone == ZoneKind::Cluster ? 0 : zone == ZoneKind::ReverseV4 ? 1 : 2;
    const Pointer apex(kHeaderSize + apex_at);
    out.append(apex.view());
    out += soa_tail_[i];
}

size_t Zone::bytes() const {
    return arena_.capacity() + records_.capacity() * sizeof(uint32_t) + srv_.capacity() * sizeof(SrvRecord) +
           ptr_.capacity() * sizeof(uint32_t) + slots_.capacity() * sizeof(uint32_t);
}

}  // namespace svcnat::dns
