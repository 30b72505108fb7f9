// The cluster DNS answer table: every name svcnat answers for, with what it
// answers to each question type, built from the discovery view of the model
// (control/model/discovery.hpp) by one pure function. Names and records
// follow the Kubernetes DNS-Based Service Discovery specification 1.1.0,
// with CoreDNS's kubernetes plugin where the spec leaves room (SRV weights,
// endpoint names of ClusterIP services, PTRs for endpoints).
//
// Most answers are stored as the reply bytes that follow the question, with
// compression pointers into the question: every query for a name has the
// same question length whatever its case, so the pointers hold for all of
// them, and answering is a lookup and a memcpy. SRV and PTR answers are
// stored as records that point at other names of the table and written per
// query: their targets may not be compressed (RFC 2782, 3597), and spelling
// them out in every body cost 2/3 of the table at 50,000 headless services
// x 10 endpoints (290 MB against 125 MB; bench-dns). An immutable Zone is
// swapped whole on reload.
//
// Each name is one record in one byte arena: its head, its name, its
// answers, then their reply bodies, so that a lookup touches the hash slot
// and then a few adjacent cache lines. With nodes, answers and bodies in
// separate arrays a lookup waited for three more cache misses, one after the
// other: at 10,000 services its profile samples fell to a third when they
// moved together (docs/BENCHMARKS.md, Cluster DNS).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/discovery.hpp"
#include "wire.hpp"

namespace svcnat::dns {

struct ZoneOptions {
    std::string domain = "cluster.local";  // lowercase, no trailing dot
    uint32_t ttl = 30;
    DnsPodMode pods = DnsPodMode::Disabled;
    // Addresses of ns.dns.<domain> (the NS glue): the kube-dns Service's
    // ClusterIPs when it exists, else what the server listens on.
    std::vector<IPAddr> ns_addresses;
    uint32_t serial = 1;  // SOA serial: when the model was loaded (Unix seconds)
    // CoreDNS's `autopath @kubernetes`: pods' addresses and namespaces are
    // kept so that a pod's first search-path query can be answered with
    // what its search path finds.
    bool autopath = false;
};

// The zones a name can belong to.
enum class ZoneKind { Cluster, ReverseV4, ReverseV6, Outside };

// What render() wrote after the question.
struct Rendered {
    uint16_t an = 0, ns = 0, ar = 0;
    size_t len = 0;
    bool truncated = false;  // the answer did not fit: TC=1, nothing written
};

class Zone {
public:
    static std::shared_ptr<const Zone> build(const DiscoveryState& state, const ZoneOptions& options);

    const ZoneOptions& options() const { return options_; }
    // Which of our zones `q`'s name is in, and where that zone's apex starts
    // within the name (an offset into q.name).
    ZoneKind zone_of(const Query& q, size_t* apex_offset) const;

    // The head of a name's record in the arena; its name follows it, then
    // (4-byte aligned) its `count` answers, then their bodies.
    struct Node {
        uint8_t name_len = 0;
        uint8_t count = 0;
        // Other question types get NXDOMAIN rather than NODATA (CoreDNS's
        // dns-version.<zone>, which is not a name of its Service schema).
        bool only_its_types = false;
        bool external_cname = false;  // a CNAME whose target is outside our zones
    };
    const Node* find(const Query& q) const;
    bool has(const Node* node, uint16_t qtype) const;

    // Writes the answer to `qtype` at `node` into `msg` at `at` (just past
    // the question, whose name has `node`'s length), in at most `room` bytes:
    // all of it, or without the additional section (RFC 2181 9), or nothing
    // and `truncated`. False when the name has no such records (NODATA).
    bool render(const Node* node, uint16_t qtype, uint8_t* msg, size_t at, size_t room, Rendered* out) const;

    // An ExternalName's target outside our zones (wire), for an upstream chase.
    std::string_view external_target(const Node* node) const;

    // The SOA record of a zone as authority for a negative answer, with its
    // owner as a pointer to the apex inside the question (`apex_at`: the
    // apex's offset in the question name).
    void negative_authority(ZoneKind zone, size_t apex_at, std::string& out) const;

    // The zone's records as an RFC 1035 master file (SOA first), decoded
    // from what render() writes: what `svcnat dns --print-zone` shows and
    // what the benchmark loads into Knot and NSD, so both serve the same data.
    std::string master_file(ZoneKind kind) const;

    // The namespace of the pod at `ip` ("" when it is not a known pod, or
    // autopath is off), in wire form as one label (length byte first).
    std::string_view pod_namespace(const IPAddr& ip) const;

    // Statistics, for logs and the memory benchmark.
    size_t names() const { return records_.size(); }
    size_t bytes() const;

private:
    enum class Form : uint8_t { Bytes, Srv, Ptr };  // how an answer is stored
    struct Answer {  // 20 bytes: there is one per name and type (1.6 million at 50,000 x 10)
        uint32_t off = 0;                 // Bytes: in arena_; Srv: in srv_; Ptr: in ptr_
        uint16_t qtype = 0;
        uint16_t an = 0, ns = 0, ar = 0;  // Srv, Ptr: an = number of records
        uint16_t an_len = 0, ns_len = 0, ar_len = 0;  // Bytes
        Form form = Form::Bytes;
    };
    static_assert(sizeof(Node) == 4 && alignof(Answer) == 4, "records are laid out 4-aligned");
    struct SrvRecord {
        uint32_t target = 0;  // a record (its name is the target, its A/AAAA the additional data)
        uint16_t port = 0, weight = 0;
    };
    friend class ZoneBuilder;

    // A record is named by its offset in the arena (4-aligned, < 4 GiB).
    static size_t answers_offset(size_t name_len) { return (sizeof(Node) + name_len + 3) & ~size_t{3}; }
    // The arena's bytes are the records' storage: Node and Answer are
    // implicit-lifetime types, created in it by the writes that built it.
    const Node* node_at(uint32_t record) const { return reinterpret_cast<const Node*>(arena_.data() + record); }
    uint32_t record_of(const Node* node) const {
        return static_cast<uint32_t>(reinterpret_cast<const char*>(node) - arena_.data());
    }
    static std::string_view name_of(const Node* node) {
        return {reinterpret_cast<const char*>(node) + sizeof(Node), node->name_len};
    }
    std::string_view name_of(uint32_t record) const { return name_of(node_at(record)); }
    static const Answer* answers_of(const Node* node) {
        return reinterpret_cast<const Answer*>(reinterpret_cast<const char*>(node) + answers_offset(node->name_len));
    }
    const Answer* answer(const Node* node, uint16_t qtype) const;
    bool render_srv(const Answer& a, uint8_t* msg, size_t at, size_t room, Rendered* out) const;
    bool render_ptr(const Answer& a, uint8_t* msg, size_t at, size_t room, Rendered* out) const;

    ZoneOptions options_;
    std::string cluster_wire_;  // the domain in wire form
    std::string arena_;              // the names' records (see Node)
    std::vector<uint32_t> records_;  // every record, in the order built
    std::vector<SrvRecord> srv_;
    std::vector<uint32_t> ptr_;  // target records
    std::vector<std::pair<uint32_t, uint32_t>> external_targets_;  // record -> arena offset of the target
    std::vector<uint32_t> slots_;  // open addressing: record + 1, 0 = empty
    uint64_t mask_ = 0;
    std::string soa_tail_[3];  // per zone kind: the SOA record after its owner
    std::vector<std::pair<IPAddr, std::string>> pod_namespaces_;  // autopath: sorted by address
};

}  // namespace svcnat::dns
