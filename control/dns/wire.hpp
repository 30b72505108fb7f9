// The DNS wire format, as much of it as an authoritative server for one
// question needs: parse a query (header, one question, an OPT record) and
// write names and records. Hand-written rather than a general DNS library
// because the server's hot path is exactly this: one parse of ~40 bytes and
// a memcpy of a precomputed answer per query (see server.hpp for the
// measurement); it is tested against dnspython and kdig (tests/dns) and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/model/ip.hpp"

namespace svcnat::dns {

enum RRType : uint16_t {
    kTypeA = 1,
    kTypeNS = 2,
    kTypeCNAME = 5,
    kTypeSOA = 6,
    kTypePTR = 12,
    kTypeMX = 15,
    kTypeTXT = 16,
    kTypeAAAA = 28,
    kTypeSRV = 33,
    kTypeOPT = 41,
    kTypeIXFR = 251,
    kTypeAXFR = 252,
    kTypeANY = 255,
};

enum Rcode : uint8_t {
    kNoError = 0,
    kFormErr = 1,
    kServFail = 2,
    kNXDomain = 3,
    kNotImp = 4,
    kRefused = 5,
    kBadVers = 16,  // extended (EDNS): the OPT record carries the upper bits
};

constexpr uint16_t kClassIN = 1;
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, including the root label
constexpr size_t kClassicUdpSize = 512;
// What we accept and advertise over UDP: the DNS Flag Day 2020 value (no
// IP fragmentation on common paths), as Knot, NSD and BIND use by default.
constexpr uint16_t kMaxUdpSize = 1232;

// Header flag bits (second 16-bit word).
constexpr uint16_t kFlagQR = 0x8000, kFlagAA = 0x0400, kFlagTC = 0x0200, kFlagRD = 0x0100, kFlagRA = 0x0080,
                   kFlagCD = 0x0010;

// A query, parsed: the question's name in lowercase wire form (for lookups;
// the reply copies the question's own bytes, so its case is kept).
struct Query {
    uint16_t id = 0;
    uint16_t flags = 0;
    uint8_t name[kMaxNameWire];
    uint8_t name_len = 0;  // wire length including the root label
    uint8_t labels = 0;    // not counting the root
    uint16_t qtype = 0, qclass = 0;
    uint16_t question_end = 0;  // offset just past the question
    bool edns = false;
    uint16_t udp_size = kClassicUdpSize;  // what the client accepts (>= 512)
    uint8_t edns_version = 0;
    bool dnssec_ok = false;
    uint64_t hash = 0;  // of `name`, for the answer table

    std::string_view wire_name() const { return {reinterpret_cast<const char*>(name), name_len}; }
};

enum class QueryCheck {
    Ok,
    Drop,     // not worth an answer: too short for a header, or a response
    FormErr,  // malformed; the header (id, opcode) was readable
    NotImp,   // an opcode other than QUERY
};

// Parses `msg`; on FormErr/NotImp, `q.id` and `q.flags` are set, and
// `q.question_end` is non-zero when the question itself was readable.
QueryCheck parse_query(const uint8_t* msg, size_t len, Query& q);

// FNV-1a over a wire name: the answer table's hash (names are short; this
// is a few ns, and tables store it).
uint64_t name_hash(std::string_view wire);

// "kubia.default.svc.cluster.local" (no trailing dot needed; lowercased)
// to wire form; "" is the root. Empty result for an invalid name (empty or
// over-long label, over 255 bytes).
std::string to_wire(std::string_view dotted);
// Wire form back to dotted text with a trailing dot (for logs and tests).
std::string to_text(std::string_view wire);
// Reverse-lookup name of an address: 11.1.244.10.in-addr.arpa, or the
// nibble form under ip6.arpa.
std::string reverse_name(const IPAddr& ip);
// CoreDNS's name for an address without a hostname: 10-244-1-11, and for
// IPv6 the address as written with ':' replaced by '-' (fd00-10-244-1--11).
std::string dashed(const IPAddr& ip);

// Big-endian 16- and 32-bit fields: the only byte writers and readers of
// the DNS code (records go through rr.hpp's write_rr).
inline void store16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v & 0xFF);
}
inline void store32(uint8_t* p, uint32_t v) {
    store16(p, static_cast<uint16_t>(v >> 16));
    store16(p + 2, static_cast<uint16_t>(v & 0xFFFF));
}
inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

// Reads a (possibly compressed) name at `*pos` of `msg` into wire form,
// advancing `*pos` past it; false on malformed input (loops, bad labels,
// over 255 bytes). Used for upstream answers, which we re-encode.
bool read_name(const uint8_t* msg, size_t len, size_t* pos, std::string& wire);

}  // namespace svcnat::dns
