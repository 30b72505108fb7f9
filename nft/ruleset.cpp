#include "ruleset.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace svcnat::nft {

size_t field_wire_size(FieldType t) {
    switch (t) {
        case FieldType::IPv6Addr: return 16;
        case FieldType::IPv4Addr:
        case FieldType::InetProto:
        case FieldType::InetService:
        case FieldType::Index: return 4;
    }
    return 4;
}

size_t fields_wire_size(const std::vector<FieldType>& fields) {
    size_t n = 0;
    for (auto f : fields) n += field_wire_size(f);
    return n;
}

void WireBytes::append(const void* p, size_t n) {
    if (size_ + n > kCapacity) throw std::length_error("element wider than WireBytes::kCapacity");
    std::memcpy(bytes_.data() + size_, p, n);
    size_ = static_cast<uint8_t>(size_ + n);
}

const std::string& owner_name(const Owner& o) {
    static const std::string none;
    return o ? *o : none;
}

void append_addr(WireBytes& out, const IPAddr& a) { out.append(a.bytes.data(), a.size()); }

uint8_t protocol_number(Protocol p) {
    switch (p) {
        case Protocol::TCP: return 6;
        case Protocol::UDP: return 17;
        case Protocol::SCTP: return 132;
    }
    return 0;
}

void append_proto(WireBytes& out, Protocol p) {
    const uint8_t b[4] = {protocol_number(p), 0, 0, 0};
    out.append(b, 4);
}

void append_port(WireBytes& out, uint16_t port) {
    const uint8_t b[4] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff), 0, 0};
    out.append(b, 4);
}

void append_index(WireBytes& out, uint32_t index) {
    // Host order: numgen writes a native u32 into the register.
    out.append(&index, sizeof index);
}

uint32_t set_size_for(size_t elements) {
    constexpr size_t kMax = size_t{1} << 31;
    const size_t want = std::max<size_t>(kMinSetSize, elements * 2);
    if (want >= kMax) return static_cast<uint32_t>(kMax);
    return static_cast<uint32_t>(std::bit_ceil(want));
}

std::string_view family_keyword(IPFamily f) { return f == IPFamily::IPv4 ? "ip" : "ip6"; }

}  // namespace svcnat::nft
