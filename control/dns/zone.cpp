#include "zone.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace svcnat::dns {
namespace {

constexpr uint32_t kVersionTtl = 28800;  // CoreDNS's TTL for dns-version
constexpr const char* kSchemaVersion = "1.1.0";
// A reply body must fit a TCP message with the header, a 255-byte question
// and an OPT record; records past this are left out.
constexpr size_t kMaxBody = 65535 - kHeaderSize - kMaxNameWire - 4 - 11;

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

// Writes reply bodies for one question name: names are compressed against
// the question and against what this body wrote before, where RFC 3597
// allows it (not in SRV targets).
class BodyWriter {
public:
    BodyWriter(std::string_view qname, std::string& out) : out_(out), base_(out.size()) {
        // The body starts right after the question (header, name, type, class).
        start_ = kHeaderSize + qname.size() + 4;
        for_each_suffix(qname, [&](std::string_view s, size_t at) {
            seen_.emplace(s, kHeaderSize + at);
            return false;
        });
    }

    size_t offset() const { return start_ + (out_.size() - base_); }

    void name(std::string_view wire, bool compress = true) {
        size_t pos = 0;
        while (pos < wire.size() && wire[pos] != 0) {
            const std::string_view rest = wire.substr(pos);
            if (compress) {
                auto it = seen_.find(rest);
                if (it != seen_.end() && it->second < 0x4000) {
                    put_pointer(out_, it->second);
                    return;
                }
            }
            if (offset() < 0x4000) seen_.emplace(rest, offset());
            const size_t n = 1 + static_cast<uint8_t>(wire[pos]);
            out_.append(wire.substr(pos, n));
            pos += n;
        }
        out_.push_back('\0');
    }

    // Owner, type, class, TTL; returns where RDLENGTH goes (filled by end_rr).
    size_t begin_rr(std::string_view owner, uint16_t type, uint32_t ttl) {
        name(owner);
        put16(out_, type);
        put16(out_, kClassIN);
        put32(out_, ttl);
        const size_t at = out_.size();
        put16(out_, 0);
        return at;
    }
    void end_rr(size_t rdlen_at) {
        const size_t len = out_.size() - rdlen_at - 2;
        out_[rdlen_at] = static_cast<char>(len >> 8);
        out_[rdlen_at + 1] = static_cast<char>(len & 0xFF);
    }
    std::string& raw() { return out_; }

private:
    std::string& out_;
    size_t base_ = 0, start_ = 0;
    // Names must outlive the writer: they are the question or wire strings
    // owned by the caller for the body's lifetime.
    std::unordered_map<std::string_view, size_t> seen_;
};

struct Srv {
    uint16_t priority = 0, weight = 0, port = 0;
    std::string target;  // wire
};

// Everything one name answers, before it becomes bodies.
struct NameRecords {
    std::string name;  // wire
    uint32_t ttl = 0;  // 0: the zone's TTL
    std::vector<IPAddr> addrs;  // A and AAAA
    std::vector<Srv> srv;
    std::vector<std::pair<std::string, IPAddr>> srv_extra;  // additional: target, address
    std::vector<std::string> ptr;                           // wire targets
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
        for (const auto& s : state.services) service(s, state);
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
    void service(const DiscoveredService& s, const DiscoveryState&) {
        const std::string name = prepend(s.name, prepend(s.ns, svc_));
        if (s.kind == DiscoveryKind::ExternalName) {
            external_name(s, name);
            return;
        }
        // Backends by DNS hostname (a dual-stack pod has one name, two addresses).
        std::map<std::string, std::vector<const DiscoveryBackend*>> by_host;
        for (const auto& b : s.backends) by_host[b.hostname.empty() ? dashed(b.ip) : b.hostname].push_back(&b);
        std::map<std::string, std::string> host_names;  // hostname -> wire name
        for (const auto& [host, backends] : by_host) host_names[host] = prepend(host, name);

        if (s.kind == DiscoveryKind::ClusterIP) cluster_ip_names(s, name);
        else headless_names(s, name, by_host, host_names);

        // Endpoint names, for every kind of service (CoreDNS answers
        // <endpoint>.<service> also for ClusterIP services).
        for (const auto& [host, backends] : by_host) {
            const std::string& hname = host_names[host];
            NameRecords r;
            r.name = hname;
            for (const auto* b : backends) {
                r.addrs.push_back(b->ip);
                for (const auto& p : b->ports) {
                    r.srv.push_back({0, 0, p.port, hname});
                    r.srv_extra.push_back({hname, b->ip});
                }
                ptrs_.push_back({b->ip, hname});
            }
            srv_weights(r.srv, r.srv.size());
            emit(r);
        }
    }

    void cluster_ip_names(const DiscoveredService& s, const std::string& name) {
        NameRecords r;
        r.name = name;
        r.addrs = s.clusterIPs;
        for (const auto& ip : s.clusterIPs) ptrs_.push_back({ip, name});
        for (const auto& p : s.ports) {
            r.srv.push_back({0, 0, p.port, name});
            for (const auto& ip : s.clusterIPs) r.srv_extra.push_back({name, ip});
        }
        // CoreDNS divides 100 among every (port, address) pair it found.
        srv_weights(r.srv, s.ports.size() * s.clusterIPs.size());
        emit(r);
        for (const auto& p : s.ports) {
            if (p.name.empty()) continue;
            NameRecords pr;
            pr.name = prepend("_" + p.name, prepend(proto_label(p.protocol), name));
            pr.addrs = s.clusterIPs;
            pr.srv.push_back({0, 0, p.port, name});
            for (const auto& ip : s.clusterIPs) pr.srv_extra.push_back({name, ip});
            srv_weights(pr.srv, s.clusterIPs.size());
            emit(pr);
        }
    }

    void headless_names(const DiscoveredService& s, const std::string& name,
                        const std::map<std::string, std::vector<const DiscoveryBackend*>>& by_host,
                        std::map<std::string, std::string>& host_names) {
        if (s.backends.empty()) return;  // NXDOMAIN, as CoreDNS answers a headless service without endpoints
        NameRecords r;
        r.name = name;
        size_t pairs = 0;
        for (const auto& [host, backends] : by_host)
            for (const auto* b : backends) {
                r.addrs.push_back(b->ip);
                for (const auto& p : b->ports) {
                    r.srv.push_back({0, 0, p.port, host_names[host]});
                    r.srv_extra.push_back({host_names[host], b->ip});
                    ++pairs;
                }
            }
        srv_weights(r.srv, pairs);
        emit(r);
        for (const auto& sp : s.ports) {
            if (sp.name.empty()) continue;
            NameRecords pr;
            pr.name = prepend("_" + sp.name, prepend(proto_label(sp.protocol), name));
            for (const auto& [host, backends] : by_host)
                for (const auto* b : backends)
                    for (const auto& p : b->ports) {
                        if (p.name != sp.name || p.protocol != sp.protocol) continue;
                        pr.addrs.push_back(b->ip);
                        pr.srv.push_back({0, 0, p.port, host_names[host]});
                        pr.srv_extra.push_back({host_names[host], b->ip});
                    }
            if (pr.srv.empty()) continue;  // no endpoint serves it: NXDOMAIN
            srv_weights(pr.srv, pr.srv.size());
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

    // CoreDNS's SRV weight: 100 shared among the records it found, floor, at least 1.
    static void srv_weights(std::vector<Srv>& srv, size_t found) {
        const uint16_t w = static_cast<uint16_t>(found ? std::max<size_t>(1, 100 / found) : 100);
        for (auto& s : srv) s.weight = w;
        // Duplicates (one port, two addresses of one target) count once.
        std::sort(srv.begin(), srv.end(), [](const Srv& a, const Srv& b) {
            return std::tie(a.target, a.port) < std::tie(b.target, b.port);
        });
        srv.erase(std::unique(srv.begin(), srv.end(),
                              [](const Srv& a, const Srv& b) { return a.target == b.target && a.port == b.port; }),
                  srv.end());
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

    // -- PTRs for ClusterIPs and endpoints
    void reverse() {
        std::sort(ptrs_.begin(), ptrs_.end());
        ptrs_.erase(std::unique(ptrs_.begin(), ptrs_.end()), ptrs_.end());
        for (size_t i = 0; i < ptrs_.size();) {
            NameRecords r;
            r.name = to_wire(reverse_name(ptrs_[i].first));
            size_t j = i;
            for (; j < ptrs_.size() && ptrs_[j].first == ptrs_[i].first; ++j) r.ptr.push_back(ptrs_[j].second);
            emit(r);
            i = j;
        }
        ptrs_.clear();
        ptrs_.shrink_to_fit();
    }

    // -- turning records into bodies
    void emit(NameRecords& r) {
        if (r.name.empty() || r.name.size() > kMaxNameWire) return;
        if (r.ttl == 0) r.ttl = o_.ttl;
        std::sort(r.addrs.begin(), r.addrs.end());
        r.addrs.erase(std::unique(r.addrs.begin(), r.addrs.end()), r.addrs.end());
        Zone::Node node;
        node.name_off = static_cast<uint32_t>(z_.arena_.size());
        node.name_len = static_cast<uint8_t>(r.name.size());
        z_.arena_ += r.name;
        node.first = static_cast<uint32_t>(z_.answers_.size());
        auto add = [&](uint16_t qtype, auto&& write) {
            Zone::Answer a;
            a.qtype = qtype;
            a.off = static_cast<uint32_t>(z_.arena_.size());
            write(a);
            if (a.an + a.ns + a.ar > 0) z_.answers_.push_back(a);
            else z_.arena_.resize(a.off);
        };
        add(kTypeA, [&](Zone::Answer& a) { addresses(r, IPFamily::IPv4, a); });
        add(kTypeAAAA, [&](Zone::Answer& a) { addresses(r, IPFamily::IPv6, a); });
        if (!r.srv.empty()) add(kTypeSRV, [&](Zone::Answer& a) { srv(r, a); });
        if (!r.ptr.empty()) add(kTypePTR, [&](Zone::Answer& a) { ptr(r, a); });
        if (!r.txt.empty()) add(kTypeTXT, [&](Zone::Answer& a) { txt(r, a); });
        if (!r.cname.empty()) add(kTypeCNAME, [&](Zone::Answer& a) { cname(r, a); });
        if (r.apex) {
            add(kTypeSOA, [&](Zone::Answer& a) { soa(r, a); });
            add(kTypeNS, [&](Zone::Answer& a) { ns(r, a); });
        }
        node.count = static_cast<uint16_t>(z_.answers_.size() - node.first);
        node.only_its_types = r.only_its_types;
        if (r.cname_external) {
            node.target_off = static_cast<uint32_t>(z_.arena_.size());
            node.target_len = static_cast<uint8_t>(r.cname.size());
            z_.arena_ += r.cname;
        }
        z_.nodes_.push_back(node);
    }

    // Each section writer appends to the arena and fills the counts.
    template <typename F>
    uint32_t section(const std::string& qname, uint16_t& count, F f) {
        std::string& out = z_.arena_;
        const size_t before = out.size();
        BodyWriter w(qname, out);
        count = static_cast<uint16_t>(f(w));
        return static_cast<uint32_t>(out.size() - before);
    }

    void addresses(const NameRecords& r, IPFamily fam, Zone::Answer& a) {
        a.an_len = section(r.name, a.an, [&](BodyWriter& w) {
            size_t n = 0;
            for (const auto& ip : r.addrs) {
                if (ip.family != fam || w.raw().size() - a.off > kMaxBody) continue;
                const size_t at = w.begin_rr(r.name, ip.is_v4() ? kTypeA : kTypeAAAA, r.ttl);
                w.raw().append(reinterpret_cast<const char*>(ip.bytes.data()), ip.size());
                w.end_rr(at);
                ++n;
            }
            return n;
        });
    }

    void srv(const NameRecords& r, Zone::Answer& a) {
        // One writer for both sections: additional owners point at the SRV
        // targets written in the answer.
        std::string& out = z_.arena_;
        BodyWriter w(r.name, out);
        size_t n = 0;
        for (const auto& s : r.srv) {
            if (out.size() - a.off > kMaxBody) break;
            const size_t at = w.begin_rr(r.name, kTypeSRV, r.ttl);
            put16(out, s.priority);
            put16(out, s.weight);
            put16(out, s.port);
            w.name(s.target, /*compress=*/false);
            w.end_rr(at);
            ++n;
        }
        a.an = static_cast<uint16_t>(n);
        a.an_len = static_cast<uint32_t>(out.size() - a.off);
        auto extra = r.srv_extra;
        std::sort(extra.begin(), extra.end());
        extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
        size_t m = 0;
        for (const auto& [target, ip] : extra) {
            if (out.size() - a.off > kMaxBody) break;
            const size_t at = w.begin_rr(target, ip.is_v4() ? kTypeA : kTypeAAAA, r.ttl);
            out.append(reinterpret_cast<const char*>(ip.bytes.data()), ip.size());
            w.end_rr(at);
            ++m;
        }
        a.ar = static_cast<uint16_t>(m);
        a.ar_len = static_cast<uint32_t>(out.size() - a.off - a.an_len);
    }

    void ptr(const NameRecords& r, Zone::Answer& a) {
        a.an_len = section(r.name, a.an, [&](BodyWriter& w) {
            size_t n = 0;
            for (const auto& t : r.ptr) {
                const size_t at = w.begin_rr(r.name, kTypePTR, o_.ttl);
                w.name(t);
                w.end_rr(at);
                ++n;
            }
            return n;
        });
    }

    void txt(const NameRecords& r, Zone::Answer& a) {
        a.an_len = section(r.name, a.an, [&](BodyWriter& w) {
            for (const auto& t : r.txt) {
                const size_t at = w.begin_rr(r.name, kTypeTXT, r.ttl);
                w.raw().push_back(static_cast<char>(t.size()));
                w.raw() += t;
                w.end_rr(at);
            }
            return r.txt.size();
        });
    }

    void cname(const NameRecords& r, Zone::Answer& a) {
        a.an_len = section(r.name, a.an, [&](BodyWriter& w) {
            const size_t at = w.begin_rr(r.name, kTypeCNAME, o_.ttl);
            w.name(r.cname);
            w.end_rr(at);
            return 1;
        });
    }

    void soa(const NameRecords& r, Zone::Answer& a) {
        a.an_len = section(r.name, a.an, [&](BodyWriter& w) {
            write_soa(w, r.name);
            return 1;
        });
    }

    void ns(const NameRecords& r, Zone::Answer& a) {
        std::string& out = z_.arena_;
        BodyWriter w(r.name, out);
        const size_t at = w.begin_rr(r.name, kTypeNS, o_.ttl);
        w.name(ns_dns_);
        w.end_rr(at);
        a.an = 1;
        a.an_len = static_cast<uint32_t>(out.size() - a.off);
        for (const auto& ip : o_.ns_addresses) {
            const size_t g = w.begin_rr(ns_dns_, ip.is_v4() ? kTypeA : kTypeAAAA, o_.ttl);
            out.append(reinterpret_cast<const char*>(ip.bytes.data()), ip.size());
            w.end_rr(g);
            ++a.ar;
        }
        a.ar_len = static_cast<uint32_t>(out.size() - a.off - a.an_len);
    }

    // CoreDNS's SOA: ns.dns.<zone>, hostmaster.<zone>, 7200/1800/86400,
    // minimum = the TTL; the record's own TTL at most 300.
    void write_soa(BodyWriter& w, const std::string& owner) {
        const size_t at = w.begin_rr(owner, kTypeSOA, std::min<uint32_t>(o_.ttl, 300));
        w.name(ns_dns_);
        w.name(hostmaster_);
        soa_numbers(w.raw());
        w.end_rr(at);
    }
    void soa_numbers(std::string& out) const {
        put32(out, o_.serial);
        put32(out, 7200);
        put32(out, 1800);
        put32(out, 86400);
        put32(out, o_.ttl);
    }

    // The SOA after its owner, per zone, for negative answers: uncompressed
    // names (the owner pointer differs per question).
    void soa_tails() {
        const std::string zones[3] = {apex_, to_wire("in-addr.arpa"), to_wire("ip6.arpa")};
        for (int i = 0; i < 3; ++i) {
            std::string& t = z_.soa_tail_[i];
            put16(t, kTypeSOA);
            put16(t, kClassIN);
            put32(t, std::min<uint32_t>(o_.ttl, 300));
            std::string rdata = prepend("ns", prepend("dns", zones[i])) + prepend("hostmaster", zones[i]);
            soa_numbers(rdata);
            put16(t, static_cast<uint16_t>(rdata.size()));
            t += rdata;
        }
    }

    void index() {
        size_t cap = 16;
        while (cap < z_.nodes_.size() * 2) cap <<= 1;
        z_.slots_.assign(cap, 0);
        z_.mask_ = cap - 1;
        std::vector<Zone::Node> kept;
        kept.reserve(z_.nodes_.size());
        for (const auto& n : z_.nodes_) {
            const std::string_view name(z_.arena_.data() + n.name_off, n.name_len);
            uint64_t i = name_hash(name) & z_.mask_;
            bool duplicate = false;
            while (z_.slots_[i] != 0) {
                const auto& other = kept[z_.slots_[i] - 1];
                if (std::string_view(z_.arena_.data() + other.name_off, other.name_len) == name) {
                    duplicate = true;  // a name two generators produced: the first wins
                    break;
                }
                i = (i + 1) & z_.mask_;
            }
            if (duplicate) continue;
            kept.push_back(n);
            z_.slots_[i] = static_cast<uint32_t>(kept.size());
        }
        z_.nodes_ = std::move(kept);
        z_.nodes_.shrink_to_fit();
        z_.answers_.shrink_to_fit();
        z_.arena_.shrink_to_fit();
    }

    Zone& z_;
    const ZoneOptions& o_;
    // Names the body writers point into: they live as long as the builder.
    std::string apex_, svc_, pod_, ns_dns_, hostmaster_;
    std::vector<std::pair<IPAddr, std::string>> ptrs_;
};

std::shared_ptr<const Zone> Zone::build(const DiscoveryState& state, const ZoneOptions& options) {
    auto z = std::make_shared<Zone>();
    ZoneBuilder(*z, options).build(state);
    return z;
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
        const Node& n = nodes_[s - 1];
        if (n.name_len == name.size() && std::memcmp(arena_.data() + n.name_off, name.data(), name.size()) == 0)
            return &n;
    }
}

bool Zone::body(const Node* node, uint16_t qtype, Body* out) const {
    for (uint32_t i = node->first; i < node->first + node->count; ++i) {
        const Answer& a = answers_[i];
        if (a.qtype != qtype) continue;
        *out = {a.an, a.ns, a.ar, a.an_len, a.ns_len, a.ar_len, reinterpret_cast<const uint8_t*>(arena_.data() + a.off)};
        return true;
    }
    return false;
}

std::string_view Zone::external_target(const Node* node) const {
    return node->target_len ? std::string_view(arena_.data() + node->target_off, node->target_len) : std::string_view();
}

void Zone::negative_authority(ZoneKind zone, size_t apex_at, std::string& out) const {
    const int i = zone == ZoneKind::Cluster ? 0 : zone == ZoneKind::ReverseV4 ? 1 : 2;
    put_pointer(out, kHeaderSize + apex_at);
    out += soa_tail_[i];
}

size_t Zone::bytes() const {
    return arena_.capacity() + nodes_.capacity() * sizeof(Node) + answers_.capacity() * sizeof(Answer) +
           slots_.capacity() * sizeof(uint32_t);
}

}  // namespace svcnat::dns
