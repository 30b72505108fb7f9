// An upstream resolver's answer, decoded once into the form the cache keeps
// and every waiting client is answered from: its sections as records with
// names spelled out, except owners equal to the question, which become a
// pointer to the question (offset 12), so the bytes follow any client's
// question of that name, whatever its case. OPT is dropped (each client gets
// its own, or none). Rendering a reply is a memcpy and a TTL patch per
// record; which answers may be cached, and for how long, is RFC 2308's and
// CoreDNS's `cache` plugin's rule. Pure: no sockets, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire.hpp"

namespace svcnat::dns {

struct UpstreamAnswer {
    std::string body;  // the records after the question
    uint16_t an = 0, ns = 0, ar = 0;
    uint8_t rcode = kNoError;
    bool authentic = false;  // AD
    bool truncated = false;  // TC: the upstream had more than UDP allowed
    // RFC 2308: NXDOMAIN, or NOERROR without answers; the TTL then comes
    // from the authority's SOA.
    bool negative() const { return rcode == kNXDomain || (rcode == kNoError && an == 0); }
    size_t bytes() const { return sizeof(*this) + body.capacity(); }
};

// Decodes `msg` as the answer to the question `name` (lowercase wire) and
// `qtype`; nullopt when it is malformed or answers another question.
std::optional<UpstreamAnswer> decode_upstream(std::string_view name, uint16_t qtype, const uint8_t* msg, size_t len);

// How long an answer may be cached, in seconds, or 0 when it may not be:
// SERVFAIL, REFUSED, anything truncated, a negative answer without a SOA
// (RFC 2308 5). Positive answers: the smallest record TTL, within
// [min_ttl, max_ttl]; negative: min(SOA TTL, SOA MINIMUM) within
// [denial_min_ttl, denial_max_ttl] (CoreDNS: `success` and `denial`).
struct CacheTtls {
    uint32_t min_ttl = 5, max_ttl = 3600;
    uint32_t denial_min_ttl = 5, denial_max_ttl = 1800;
};
uint32_t cache_ttl(const UpstreamAnswer& a, const CacheTtls& ttls);

// A reply to the client's query `msg` (parsed as `q`) from `a`: the client's
// ID, question (its case) and RD/CD, RA set, every record's TTL
// min(its own, `ttl_cap`) less `age` seconds (at least 0), or exactly
// `fixed_ttl` when non-zero (serve-stale's 30 s), OPT when the client sent
// one. When it does not fit in `max_size`: TC=1 and no records. Returns the
// length written into `out` (which holds `max_size` bytes).
struct RenderTtl {
    uint32_t ttl_cap = UINT32_MAX;
    uint32_t age = 0;
    uint32_t fixed_ttl = 0;
};
size_t render_upstream(const UpstreamAnswer& a, const Query& q, const uint8_t* msg, size_t max_size,
                       const RenderTtl& ttl, uint8_t* out);

}  // namespace svcnat::dns
