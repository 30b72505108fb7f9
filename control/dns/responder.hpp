// One query in, one reply out: the pure heart of the DNS server. Decides
// between an answer from the zone, a negative answer (NXDOMAIN or NODATA
// with the zone's SOA, as CoreDNS), an error (FORMERR, NOTIMP, REFUSED,
// SERVFAIL, BADVERS), or handing the query to the upstream (names outside
// our zones, an ExternalName's target). No sockets here: the server calls
// it for every datagram and TCP message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire.hpp"
#include "zone.hpp"

namespace svcnat::dns {

enum class Action {
    Reply,    // send out[0..len)
    Drop,     // send nothing
    Forward,  // send the query to the upstream as it is, relay its answer
    // Ask the upstream for `chase_name`/`chase_type` and answer with the
    // CNAME in out[0..len) followed by the upstream's records (or the CNAME
    // alone when the upstream fails): an ExternalName outside our zones.
    Chase,
};

struct Outcome {
    Action action = Action::Drop;
    size_t len = 0;
    std::string chase_name;  // wire form
    uint16_t chase_type = 0;
    // Chase for autopath: out[len..len+alt_len) is the reply to send instead
    // when the chased name does not resolve (the original NXDOMAIN, so the
    // client goes on down its own search path).
    size_t alt_len = 0;
    bool autopath = false;  // answered by autopath (counted as CoreDNS does)
};

struct Transport {
    bool tcp = false;
    bool upstream = false;          // an upstream is configured (sets RA; forwards instead of REFUSED)
    const IPAddr* client = nullptr;  // the client's address, for autopath (null: not known)
};

// Autopath (CoreDNS `autopath @kubernetes`): a query from a known pod for
// X.<its namespace>.svc.<domain> that does not exist is answered with what
// the pod's search path (kubelet's: <ns>.svc.<domain>, svc.<domain>,
// <domain>, then the name itself) finds first: a CNAME from the asked name
// to the found one, and its records (from the zone, or a Chase upstream).
//
// `zone` may be null: nothing loaded yet, so SERVFAIL (as CoreDNS before its
// informers have synced). `out` must hold kMaxUdpReply bytes for UDP,
// 65535 for TCP: no reply is longer than the transport allows.
constexpr size_t kMaxUdpReply = kMaxUdpSize;
Outcome respond(const Zone* zone, const uint8_t* msg, size_t len, const Transport& transport, uint8_t* out);
// The same for a query the caller has parsed already (parse_query's
// result `check`), as the server does to count it and look in the cache.
Outcome respond(const Zone* zone, const uint8_t* msg, const Query& q, QueryCheck check, const Transport& transport,
                uint8_t* out);

// The query the server sends upstream (for a client's question, or to chase
// an ExternalName): `name` (wire) and `type`, recursion desired, EDNS with
// our UDP size, and the client's DO and CD bits.
std::string upstream_query(uint16_t id, std::string_view name, uint16_t type, bool dnssec_ok = false,
                           bool checking_disabled = false);

// The upstream's answer to a chase, appended to the CNAME reply in `reply`
// (from respond()): its answer records are decoded and written after the
// CNAME, names uncompressed, within the size limit of `max_size`. Returns
// the new length, or `reply_len` unchanged when the upstream's message is
// unusable (malformed, not NOERROR).
size_t append_chased(uint8_t* reply, size_t reply_len, size_t max_size, const uint8_t* upstream, size_t upstream_len);

// The largest reply the client takes for `q` over `transport`.
size_t max_reply_size(const Query& q, const Transport& transport);

}  // namespace svcnat::dns
