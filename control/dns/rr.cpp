#include "rr.hpp"

#include <algorithm>

namespace svcnat::dns {

namespace {

using F = RdataField;

template <typename... Fields>
constexpr RRLayout layout(uint16_t type, std::string_view mnemonic, Fields... fields) {
    RRLayout l;
    l.type = type;
    l.mnemonic = mnemonic;
    for (RdataField f : {fields...}) l.fields[l.count++] = f;
    return l;
}

// Every type svcnat answers, re-encodes from upstream answers, or prints.
constexpr std::array kLayouts = {
    layout(kTypeA, "A", F::Address),
    layout(kTypeNS, "NS", F::Name),
    layout(kTypeCNAME, "CNAME", F::Name),
    layout(kTypeSOA, "SOA", F::Name, F::Name, F::U32, F::U32, F::U32, F::U32, F::U32),
    layout(kTypePTR, "PTR", F::Name),
    layout(kTypeMX, "MX", F::U16, F::Name),
    layout(kTypeTXT, "TXT", F::CharStrings),
    layout(kTypeAAAA, "AAAA", F::Address),
    layout(kTypeSRV, "SRV", F::U16, F::U16, F::U16, F::UncompressedName),
};

// Reads one field at `*p` (below `end`) of a record in `msg`; appends its
// bytes (names decompressed) to `out` when given, its text to `text` when
// given. False when it does not fit the rdata.
bool field(RdataField f, const uint8_t* msg, size_t len, size_t* p, size_t end, std::string* out,
           std::string* text) {
    auto fixed = [&](size_t n) {
        if (*p + n > end) return false;
        if (out) out->append(reinterpret_cast<const char*>(msg + *p), n);
        if (text) *text += std::to_string(n == 2 ? get16(msg + *p) : get32(msg + *p));
        *p += n;
        return true;
    };
    switch (f) {
        case RdataField::Name:
        case RdataField::UncompressedName: {
            std::string name;
            if (!read_name(msg, len, p, name) || *p > end) return false;
            if (out) *out += name;
            if (text) *text += to_text(name);
            return true;
        }
        case RdataField::U16: return fixed(2);
        case RdataField::U32: return fixed(4);
        case RdataField::Address: {
            const size_t n = end - *p;
            if (n != 4 && n != 16) return false;
            if (out) out->append(reinterpret_cast<const char*>(msg + *p), n);
            if (text) {
                IPAddr ip;
                ip.family = n == 4 ? IPFamily::IPv4 : IPFamily::IPv6;
                std::memcpy(ip.bytes.data(), msg + *p, n);
                *text += ip.str();
            }
            *p = end;
            return true;
        }
        case RdataField::CharStrings:
            for (bool first = true; *p < end; first = false) {
                const size_t n = msg[*p];
                if (*p + 1 + n > end) return false;
                if (out) out->append(reinterpret_cast<const char*>(msg + *p), 1 + n);
                if (text) *text += (first ? "\"" : " \"") + std::string(reinterpret_cast<const char*>(msg + *p + 1), n) + "\"";
                *p += 1 + n;
            }
            return true;
    }
    return false;
}

}  // namespace

bool RRLayout::has_names() const {
    return std::any_of(fields.begin(), fields.begin() + count,
                       [](RdataField f) { return f == RdataField::Name || f == RdataField::UncompressedName; });
}

const RRLayout* rr_layout(uint16_t type) {
    for (const RRLayout& l : kLayouts)
        if (l.type == type) return &l;
    return nullptr;
}

std::string type_mnemonic(uint16_t type) {
    const RRLayout* l = rr_layout(type);
    return l ? std::string(l->mnemonic) : "TYPE" + std::to_string(type);
}

bool copy_records(const uint8_t* msg, size_t len, size_t* pos, uint16_t count, std::string& out) {
    std::string name;
    for (uint16_t i = 0; i < count; ++i) {
        if (!read_name(msg, len, pos, name)) return false;
        if (*pos + 10 > len) return false;
        const uint16_t type = get16(msg + *pos);
        const size_t rdlen = get16(msg + *pos + 8);
        const size_t rdata = *pos + 10;
        if (rdata + rdlen > len) return false;
        out += name;
        out.append(reinterpret_cast<const char*>(msg + *pos), 8);  // type, class, TTL
        const size_t rdlen_at = out.size();
        out.append(2, '\0');
        const RRLayout* l = rr_layout(type);
        size_t p = rdata;
        if (l == nullptr || !l->has_names()) {
            // Nothing to decompress: the bytes as they are.
            out.append(reinterpret_cast<const char*>(msg + rdata), rdlen);
            p = rdata + rdlen;
        } else {
            for (RdataField f : l->rdata())
                if (!field(f, msg, len, &p, rdata + rdlen, &out, nullptr)) return false;
        }
        if (p != rdata + rdlen) return false;
        const size_t written = out.size() - rdlen_at - 2;
        if (written > 0xFFFF) return false;
        store16(reinterpret_cast<uint8_t*>(out.data()) + rdlen_at, static_cast<uint16_t>(written));
        *pos = rdata + rdlen;
    }
    return true;
}

void records_text(const std::string& records, uint16_t count, std::string& out) {
    const auto* m = reinterpret_cast<const uint8_t*>(records.data());
    const size_t len = records.size();
    size_t pos = 0;
    std::string name;
    for (uint16_t i = 0; i < count; ++i) {
        if (!read_name(m, len, &pos, name) || pos + 10 > len) return;
        const uint16_t type = get16(m + pos);
        const uint32_t ttl = get32(m + pos + 4);
        const size_t rdlen = get16(m + pos + 8);
        size_t p = pos + 10;
        const size_t end = p + rdlen;
        if (end > len) return;
        std::string line = to_text(name) + " " + std::to_string(ttl) + " IN " + type_mnemonic(type) + " ";
        const RRLayout* l = rr_layout(type);
        bool ok = l != nullptr;
        if (l)
            for (size_t f = 0; f < l->count && ok; ++f) {
                if (f > 0) line += " ";
                ok = field(l->fields[f], m, len, &p, end, nullptr, &line);
            }
        if (!ok) {
            // RFC 3597's generic form for what we cannot print.
            line = to_text(name) + " " + std::to_string(ttl) + " IN " + type_mnemonic(type) + " \\# " +
                   std::to_string(rdlen);
        }
        out += line + "\n";
        pos = end;
    }
}

}  // namespace svcnat::dns
