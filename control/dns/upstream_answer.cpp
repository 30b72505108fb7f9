#include "upstream_answer.hpp"

#include <algorithm>
#include <cstring>

#include "rr.hpp"

namespace svcnat::dns {
namespace {

constexpr size_t kOptSize = 11;
constexpr uint16_t kFlagAD = 0x0020;

// Length of the uncompressed wire name at the start of `p` (as copy_records
// writes owners).
size_t name_length(const uint8_t* p, size_t len) {
    size_t pos = 0;
    while (pos < len && p[pos] != 0) pos += 1 + p[pos];
    return pos + 1;
}

// Calls f(offset of the TTL field, type) for each of `count` records of a
// body as decode_upstream writes it (owners a pointer or a plain name).
template <typename F>
void each_record(const std::string& body, uint16_t count, F&& f) {
    const auto* p = reinterpret_cast<const uint8_t*>(body.data());
    const size_t len = body.size();
    size_t pos = 0;
    for (uint16_t i = 0; i < count && pos < len; ++i) {
        pos += (p[pos] & 0xC0) == 0xC0 ? 2 : name_length(p + pos, len - pos);
        if (pos + 10 > len) return;
        f(pos + 4, get16(p + pos));
        pos += 10 + get16(p + pos + 8);
    }
}

// Copies `count` records of section at `*pos`, owners equal to `qname` as
// a pointer to the question; OPT skipped. Returns the records kept, or -1.
int copy_section(const uint8_t* msg, size_t len, size_t* pos, uint16_t count, std::string_view qname,
                 std::string& body) {
    int kept = 0;
    std::string rr;
    for (uint16_t i = 0; i < count; ++i) {
        rr.clear();
        if (!copy_records(msg, len, pos, 1, rr)) return -1;
        const auto* r = reinterpret_cast<const uint8_t*>(rr.data());
        const size_t owner = name_length(r, rr.size());
        if (owner + 10 > rr.size()) return -1;
        if (get16(r + owner) == kTypeOPT) continue;
        if (std::string_view(rr.data(), owner) == qname) {
            body += Pointer(kHeaderSize).view();
            body.append(rr, owner, std::string::npos);
        } else {
            body += rr;
        }
        ++kept;
    }
    return kept;
}

}  // namespace

std::optional<UpstreamAnswer> decode_upstream(std::string_view name, uint16_t qtype, const uint8_t* msg, size_t len) {
    if (len < kHeaderSize || !(get16(msg + 2) & kFlagQR) || get16(msg + 4) != 1) return std::nullopt;
    size_t pos = kHeaderSize;
    std::string qname;
    if (!read_name(msg, len, &pos, qname) || pos + 4 > len) return std::nullopt;
    if (qname != name || get16(msg + pos) != qtype) return std::nullopt;
    pos += 4;
    UpstreamAnswer a;
    const uint16_t flags = get16(msg + 2);
    a.rcode = static_cast<uint8_t>(flags & 0x0F);
    a.authentic = flags & kFlagAD;
    a.truncated = flags & kFlagTC;
    const int an = copy_section(msg, len, &pos, get16(msg + 6), name, a.body);
    const int ns = an < 0 ? -1 : copy_section(msg, len, &pos, get16(msg + 8), name, a.body);
    const int ar = ns < 0 ? -1 : copy_section(msg, len, &pos, get16(msg + 10), name, a.body);
    if (ar < 0) {
        // A truncated answer may end mid-record: keep what it says (TC),
        // nothing of it is cached or relayed but the flag.
        if (!a.truncated) return std::nullopt;
        a.body.clear();
        return a;
    }
    a.an = static_cast<uint16_t>(an);
    a.ns = static_cast<uint16_t>(ns);
    a.ar = static_cast<uint16_t>(ar);
    return a;
}

uint32_t cache_ttl(const UpstreamAnswer& a, const CacheTtls& ttls) {
    if (a.truncated || (a.rcode != kNoError && a.rcode != kNXDomain)) return 0;
    const auto* p = reinterpret_cast<const uint8_t*>(a.body.data());
    if (a.negative()) {
        // The SOA in the authority section: its TTL and MINIMUM (the last
        // 4 bytes of its rdata), whichever is smaller (RFC 2308 3, 5).
        uint32_t ttl = 0;
        bool soa = false;
        uint16_t index = 0;
        each_record(a.body, static_cast<uint16_t>(a.an + a.ns), [&](size_t ttl_at, uint16_t type) {
            if (index++ < a.an || type != kTypeSOA || soa) return;
            const size_t rdlen = get16(p + ttl_at + 4);
            if (rdlen < 20) return;
            soa = true;
            ttl = std::min(get32(p + ttl_at), get32(p + ttl_at + 6 + rdlen - 4));
        });
        if (!soa) return 0;
        return std::clamp(ttl, ttls.denial_min_ttl, std::max(ttls.denial_min_ttl, ttls.denial_max_ttl));
    }
    uint32_t ttl = UINT32_MAX;
    each_record(a.body, static_cast<uint16_t>(a.an + a.ns + a.ar),
                [&](size_t ttl_at, uint16_t) { ttl = std::min(ttl, get32(p + ttl_at)); });
    return std::clamp(ttl, ttls.min_ttl, std::max(ttls.min_ttl, ttls.max_ttl));
}

size_t render_upstream(const UpstreamAnswer& a, const Query& q, const uint8_t* msg, size_t max_size,
                       const RenderTtl& ttl, uint8_t* out) {
    const size_t opt = q.edns ? kOptSize : 0;
    const bool fits = q.question_end + a.body.size() + opt <= max_size && !a.truncated;
    std::memcpy(out, msg, q.question_end);
    uint16_t flags = static_cast<uint16_t>(kFlagQR | kFlagRA | (q.flags & (kFlagRD | kFlagCD)) | a.rcode);
    if (a.authentic && (q.dnssec_ok || (q.flags & kFlagAD))) flags |= kFlagAD;  // RFC 6840 5.8
    if (!fits) flags |= kFlagTC;
    store16(out + 2, flags);
    store16(out + 4, 1);
    size_t len = q.question_end;
    uint16_t counts[3] = {0, 0, 0};
    if (fits) {
        std::memcpy(out + len, a.body.data(), a.body.size());
        uint8_t* body = out + len;
        const auto* stored = reinterpret_cast<const uint8_t*>(a.body.data());
        each_record(a.body, static_cast<uint16_t>(a.an + a.ns + a.ar), [&](size_t ttl_at, uint16_t) {
            uint32_t t = ttl.fixed_ttl;
            if (t == 0) {
                const uint32_t own = std::min(get32(stored + ttl_at), ttl.ttl_cap);
                t = own > ttl.age ? own - ttl.age : 0;
            }
            store32(body + ttl_at, t);
        });
        len += a.body.size();
        counts[0] = a.an, counts[1] = a.ns, counts[2] = a.ar;
    }
    if (q.edns) {
        BufferSink sink(out + len, kOptSize);  // max_size keeps room for it: it is in `fits`, or TC left space
        write_rr(sink, std::string_view("", 1), {kTypeOPT, q.dnssec_ok ? 0x8000u : 0u, kMaxUdpSize}, {});
        len += sink.size();
        ++counts[2];
    }
    store16(out + 6, counts[0]);
    store16(out + 8, counts[1]);
    store16(out + 10, counts[2]);
    return len;
}

}  // namespace svcnat::dns
