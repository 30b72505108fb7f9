// The cluster DNS answer table: every name svcnat answers for, with the
// reply to each question type precomputed, built from the discovery view of
// the model (control/model/discovery.hpp) by one pure function. Names and
// records follow the Kubernetes DNS-Based Service Discovery specification
// 1.1.0, with CoreDNS's kubernetes plugin where the spec leaves room (SRV
// weights, endpoint names of ClusterIP services, PTRs for endpoints).
//
// A reply body (answer, authority and additional sections) is stored as the
// bytes that follow the question, with compression pointers into the
// question: every query for a name has the same question length whatever
// its case, so the pointers are valid for all of them, and answering is a
// lookup and a memcpy. An immutable Zone is swapped whole on reload.
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
};

// A precomputed reply body for one question type at one name.
struct Body {
    uint16_t an = 0, ns = 0, ar = 0;  // record counts of the three sections
    uint32_t an_len = 0, ns_len = 0, ar_len = 0;
    const uint8_t* bytes = nullptr;  // an_len + ns_len + ar_len bytes
};

// The zones a name can belong to.
enum class ZoneKind { Cluster, ReverseV4, ReverseV6, Outside };

class Zone {
public:
    static std::shared_ptr<const Zone> build(const DiscoveryState& state, const ZoneOptions& options);

    const ZoneOptions& options() const { return options_; }
    // Which of our zones `q`'s name is in, and where that zone's apex starts
    // within the name (an offset into q.name).
    ZoneKind zone_of(const Query& q, size_t* apex_offset) const;

    struct Node;
    const Node* find(const Query& q) const;
    // The body for `qtype` at `node`, or false (no such records: NODATA).
    bool body(const Node* node, uint16_t qtype, Body* out) const;
    // An ExternalName's target outside our zones (for an upstream chase):
    // the CNAME body is then what body() returns for kTypeCNAME. "" if not.
    std::string_view external_target(const Node* node) const;

    // The SOA record of a zone as authority for a negative answer, with its
    // owner as a pointer to the apex inside the question (`apex_at`: the
    // apex's offset in the question name).
    void negative_authority(ZoneKind zone, size_t apex_at, std::string& out) const;

    // The zone's records as an RFC 1035 master file (SOA first), decoded
    // from the reply bodies: what `svcnat dns --print-zone` shows and what
    // the benchmark loads into Knot and NSD, so both serve the same data.
    std::string master_file(ZoneKind kind) const;

    // Statistics, for logs and the memory benchmark.
    size_t names() const { return nodes_.size(); }
    size_t bytes() const;

    struct Node {
        uint32_t name_off = 0;     // in arena_
        uint8_t name_len = 0;
        uint32_t first = 0;        // first of `count` entries in answers_
        uint16_t count = 0;
        uint32_t target_off = 0;   // external CNAME target (wire) in arena_, when target_len > 0
        uint8_t target_len = 0;
        // Other question types get NXDOMAIN rather than NODATA (CoreDNS's
        // dns-version.<zone>, which is not a name of its Service schema).
        bool only_its_types = false;
    };

private:
    struct Answer {
        uint16_t qtype = 0;
        uint16_t an = 0, ns = 0, ar = 0;
        uint32_t off = 0;  // in arena_
        uint32_t an_len = 0, ns_len = 0, ar_len = 0;
    };
    friend class ZoneBuilder;

    ZoneOptions options_;
    std::string cluster_wire_;  // the domain in wire form
    std::string arena_;         // names and reply bodies
    std::vector<Node> nodes_;
    std::vector<Answer> answers_;
    std::vector<uint32_t> slots_;  // open addressing: node index + 1, 0 = empty
    uint64_t mask_ = 0;
    std::string soa_tail_[3];  // per zone kind: the SOA record after its owner
};

}  // namespace svcnat::dns
