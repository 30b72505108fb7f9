// Resource records: the rdata layout of every type svcnat writes, re-encodes
// or prints, in one table (as NSD's rrtype descriptors), and the one writer
// of records. A type is added by adding its layout: writing it, copying it
// out of an upstream answer (names decompressed) and printing it as a
// master-file line all follow the table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "control/model/ip.hpp"
#include "wire.hpp"

namespace svcnat::dns {

enum class RdataField : uint8_t {
    Name,              // a domain name the writer may compress (the RFC 1035 types, RFC 3597 §4)
    UncompressedName,  // never compressed (SRV's target, RFC 2782)
    U16,
    U32,
    Address,           // 4 bytes (A) or 16 (AAAA)
    CharStrings,       // one or more <character-string>s (TXT), to the end of the rdata
};

struct RRLayout {
    uint16_t type = 0;
    std::string_view mnemonic;
    std::array<RdataField, 7> fields{};
    uint8_t count = 0;
    std::span<const RdataField> rdata() const { return {fields.data(), count}; }
    bool has_names() const;
};

// The layout of `type`; nullptr for a type we do not know (its rdata is
// copied and printed as opaque bytes, RFC 3597).
const RRLayout* rr_layout(uint16_t type);
// "SRV", or "TYPE65" for an unknown type (RFC 3597 §5).
std::string type_mnemonic(uint16_t type);

// One rdata field's value.
struct Rdata {
    RdataField kind = RdataField::U16;
    uint32_t number = 0;      // U16, U32
    std::string_view bytes;   // a name in wire form, an address's bytes, a character-string's text

    static Rdata name(std::string_view wire) { return {RdataField::Name, 0, wire}; }
    static Rdata uncompressed_name(std::string_view wire) { return {RdataField::UncompressedName, 0, wire}; }
    static Rdata u16(uint16_t v) { return {RdataField::U16, v, {}}; }
    static Rdata u32(uint32_t v) { return {RdataField::U32, v, {}}; }
    static Rdata address(const IPAddr& ip) {
        return {RdataField::Address, 0, {reinterpret_cast<const char*>(ip.bytes.data()), ip.size()}};
    }
    static Rdata text(std::string_view s) { return {RdataField::CharStrings, 0, s}; }
};

// Where records are written: appended to a string (building the answer
// table), or into a message buffer with a limit (answers written per
// query); `ok()` is false once something did not fit, and nothing more is
// written.
class StringSink {
public:
    explicit StringSink(std::string& s) : s_(s) {}
    void put(const void* p, size_t n) { s_.append(static_cast<const char*>(p), n); }
    size_t size() const { return s_.size(); }
    void patch16(size_t at, uint16_t v) { store16(reinterpret_cast<uint8_t*>(s_.data()) + at, v); }
    bool ok() const { return true; }

private:
    std::string& s_;
};

class BufferSink {
public:
    BufferSink(uint8_t* buf, size_t capacity) : buf_(buf), cap_(capacity) {}
    void put(const void* p, size_t n) {
        if (!ok_ || len_ + n > cap_) {
            ok_ = false;
            return;
        }
        std::memcpy(buf_ + len_, p, n);
        len_ += n;
    }
    size_t size() const { return len_; }
    void patch16(size_t at, uint16_t v) {
        if (ok_) store16(buf_ + at, v);
    }
    bool ok() const { return ok_; }

private:
    uint8_t* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool ok_ = true;
};

template <typename Sink>
void put_u16(Sink& out, uint16_t v) {
    uint8_t b[2];
    store16(b, v);
    out.put(b, 2);
}
template <typename Sink>
void put_u32(Sink& out, uint32_t v) {
    uint8_t b[4];
    store32(b, v);
    out.put(b, 4);
}

// Names in rdata written as they are (no compression).
struct PlainNames {
    template <typename Sink>
    void operator()(Sink& out, std::string_view wire, bool /*compressible*/) const {
        out.put(wire.data(), wire.size());
    }
};

// The record header with an explicit class and TTL word (OPT uses them for
// the UDP size and the extended rcode and flags, RFC 6891).
struct RRHeader {
    uint16_t type = 0;
    uint32_t ttl = 0;
    uint16_t klass = kClassIN;
};

// The one writer of resource records: `owner` as given (a wire name, a
// compression pointer, or empty when the caller has written it), TYPE,
// CLASS, TTL, RDLENGTH, then `rdata` in the order of the type's layout
// (checked in debug builds). Names in the rdata go through `names`, which
// decides about compression (the caller knows the message).
template <typename Sink, typename Names = PlainNames>
void write_rr(Sink& out, std::string_view owner, RRHeader h, std::span<const Rdata> rdata, Names&& names = {}) {
    out.put(owner.data(), owner.size());
    put_u16(out, h.type);
    put_u16(out, h.klass);
    put_u32(out, h.ttl);
    const size_t rdlen_at = out.size();
    put_u16(out, 0);
    for (const Rdata& f : rdata) {
        switch (f.kind) {
            case RdataField::Name:
            case RdataField::UncompressedName: names(out, f.bytes, f.kind == RdataField::Name); break;
            case RdataField::U16: put_u16(out, static_cast<uint16_t>(f.number)); break;
            case RdataField::U32: put_u32(out, f.number); break;
            case RdataField::Address: out.put(f.bytes.data(), f.bytes.size()); break;
            case RdataField::CharStrings: {
                const uint8_t len = static_cast<uint8_t>(f.bytes.size());
                out.put(&len, 1);
                out.put(f.bytes.data(), len);
                break;
            }
        }
    }
    if (out.ok()) out.patch16(rdlen_at, static_cast<uint16_t>(out.size() - rdlen_at - 2));
}
template <typename Sink, typename Names = PlainNames>
void write_rr(Sink& out, std::string_view owner, RRHeader h, std::initializer_list<Rdata> rdata, Names&& names = {}) {
    write_rr(out, owner, h, std::span<const Rdata>(rdata.begin(), rdata.size()), std::forward<Names>(names));
}

// A compression pointer to `offset` in the message, as owner bytes.
struct Pointer {
    uint8_t bytes[2];
    explicit Pointer(size_t offset) { store16(bytes, static_cast<uint16_t>(0xC000 | offset)); }
    std::string_view view() const { return {reinterpret_cast<const char*>(bytes), 2}; }
};

// Copies `count` records starting at `*pos` of `msg` into `out`, names
// decompressed (the owner, and the name fields of the types' layouts). False
// on malformed input.
bool copy_records(const uint8_t* msg, size_t len, size_t* pos, uint16_t count, std::string& out);

// Records (names decompressed, as copy_records writes them) as master-file
// lines: "name. TTL IN TYPE rdata".
void records_text(const std::string& records, uint16_t count, std::string& out);

}  // namespace svcnat::dns
