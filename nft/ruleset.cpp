#include "ruleset.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "control/os/prefault.hpp"

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

uint64_t ElementMap::hash(const WireBytes& key) {
    // Keys are 4-byte multiples of at most 36 bytes: mix 8 bytes at a time.
    const uint8_t* p = key.data();
    size_t n = key.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    auto mix = [&h](uint64_t w) {
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    };
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        mix(w);
    }
    if (n) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        mix(w);
    }
    h *= 0x94D049BB133111EBull;
    return h ^ (h >> 29);
}

size_t ElementMap::probe(const WireBytes& key, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    const auto h32 = static_cast<uint32_t>(h);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.index1 == 0 || (s.hash == h32 && entries_[s.index1 - 1].first == key)) return i;
    }
}

void ElementMap::rehash(size_t slots) {
    slots_.assign(std::max<size_t>(slots, 16), Slot{});
    const size_t mask = slots_.size() - 1;
    for (size_t e = 0; e < entries_.size(); ++e) {
        const uint64_t h = hash(entries_[e].first);
        size_t i = h & mask;
        while (slots_[i].index1) i = (i + 1) & mask;
        slots_[i] = {static_cast<uint32_t>(e + 1), static_cast<uint32_t>(h)};
    }
}

void ElementMap::reserve(size_t n) {
    entries_.reserve(n);
    // Filled from the start by the builder; faulted in from the end by an
    // idle core meanwhile (13.6 MB for 100,000 elements).
    prefault_soon(entries_.data(), entries_.capacity() * sizeof(value_type));
    if (n * 2 > slots_.size()) rehash(std::bit_ceil(n * 2));
}

void ElementMap::clear() {
    entries_.clear();
    slots_.assign(16, Slot{});
}

ElementMap::iterator ElementMap::find(const WireBytes& key) {
    const Slot& s = slots_[probe(key, hash(key))];
    return s.index1 ? entries_.begin() + (s.index1 - 1) : entries_.end();
}

ElementMap::const_iterator ElementMap::find(const WireBytes& key) const {
    const Slot& s = slots_[probe(key, hash(key))];
    return s.index1 ? entries_.begin() + (s.index1 - 1) : entries_.end();
}

std::pair<ElementMap::iterator, bool> ElementMap::insert_or_assign(const WireBytes& key, const ElementValue& v) {
    auto [it, inserted] = try_emplace(key, v);
    if (!inserted) it->second = v;
    return {it, inserted};
}

size_t ElementMap::erase(const WireBytes& key) {
    const size_t mask = slots_.size() - 1;
    size_t hole = probe(key, hash(key));
    if (slots_[hole].index1 == 0) return 0;
    const uint32_t index = slots_[hole].index1 - 1;
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole unless that would move them before their home slot.
    for (size_t j = (hole + 1) & mask; slots_[j].index1; j = (j + 1) & mask) {
        const size_t home = slots_[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            slots_[hole] = slots_[j];
            hole = j;
        }
    }
    slots_[hole] = Slot{};
    // Move the last entry into the freed index and repoint its slot.
    const auto last = static_cast<uint32_t>(entries_.size() - 1);
    if (index != last) {
        entries_[index] = std::move(entries_[last]);
        const uint64_t h = hash(entries_[index].first);
        size_t i = h & mask;
        while (slots_[i].index1 != last + 1) i = (i + 1) & mask;
        slots_[i].index1 = index + 1;
    }
    entries_.pop_back();
    return 1;
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
    constexpr size_t kMaxBuckets = size_t{1} << 31;
    // 1.5 x elements x 4/3 = 2 x elements buckets at least.
    const size_t buckets = std::bit_ceil(std::max<size_t>(1, std::min(elements, kMaxBuckets / 2) * 2));
    return static_cast<uint32_t>(std::max<size_t>(kMinSetSize, buckets / 4 * 3));
}

std::string_view family_keyword(IPFamily f) { return f == IPFamily::IPv4 ? "ip" : "ip6"; }

}  // namespace svcnat::nft
