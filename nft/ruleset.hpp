// The nftables ruleset as plain data: tables, chains, sets/maps with their
// elements, and rules made of a small closed vocabulary of statements.
//
// Why plain data: one pure builder (builder.hpp) produces it from the
// ServiceState, and three consumers read it without knowing Kubernetes: the
// nft-text renderer (render.hpp), the differ (diff.hpp) and the libnftnl
// encoder (encode.hpp). Element keys and data are stored in their netlink
// wire form (each field padded to 4 bytes, network or host order exactly as
// the kernel compares them), so that comparing, hashing and encoding an
// element costs one memcmp and no conversion.
#pragma once

#include <cstdint>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <unordered_map>
#include <vector>

#include "control/model/ip.hpp"
#include "control/model/objects.hpp"

namespace svcnat::nft {

// The types of fields in set keys and map data. `Index` is the value of
// `numgen random mod N` (32-bit host order); nft can only name it through
// `typeof`, so sets holding it carry typeof userdata.
enum class FieldType : uint8_t { IPv4Addr, IPv6Addr, InetProto, InetService, Index };

// Expressions that produce a field value inside a rule (lookup keys).
enum class KeyExpr : uint8_t { Saddr, Daddr, L4Proto, ThDport, Numgen };

enum class VerdictKind : uint8_t { None, Accept, Drop, Return, Jump, Goto };

struct Verdict {
    VerdictKind kind = VerdictKind::None;
    std::string chain;  // Jump/Goto target
    bool operator==(const Verdict&) const = default;
};

struct SetSpec {
    std::string name;
    std::vector<FieldType> key;
    std::vector<FieldType> data;  // empty: a set (or a verdict map when is_vmap)
    bool is_vmap = false;
    bool dynamic_timeout = false;  // `flags dynamic,timeout` (affinity)
    uint32_t timeout_s = 0;
    // Expressions for `typeof` (needed when a field is Index); empty: `type`.
    std::vector<KeyExpr> typeof_key;
    uint32_t typeof_modulus = 0;  // the N printed in `numgen random mod N`
    // Capacity (NFTA_SET_DESC_SIZE, nft's `size N`); 0: unsized. The kernel
    // preallocates a fixed-size hash for a sized set (no rehashing while
    // 100,000s of elements go in) and refuses elements beyond it (ENFILE),
    // so the syncer plans a full replace before a set outgrows it
    // (`overflowing_set()`, diff.hpp). Not part of the type: equality
    // ignores it, an incremental sync keeps the committed size.
    uint32_t size = 0;
    bool operator==(const SetSpec& o) const {
        return name == o.name && key == o.key && data == o.data && is_vmap == o.is_vmap &&
               dynamic_timeout == o.dynamic_timeout && timeout_s == o.timeout_s && typeof_key == o.typeof_key &&
               typeof_modulus == o.typeof_modulus;
    }
};

// The size given to a shared set of `elements` elements at a full build:
// room for at least 1.5 x elements (1.5–3 x; at least kMinSetSize) before a
// full replace is needed, chosen as the largest size that fits the
// kernel's bucket array for it. The kernel's fixed-size hash allocates
// bit_ceil(size x 4/3) buckets, zeroes them on creation and scans all of
// them on every walk, even empty, and a map is walked once per chain that
// binds it (32 class chains bind the endpoint map). So the size is 3/4 of a
// power of two: 100,000 elements get 196,608 (262,144 buckets, 2 MiB), where
// the next power of two >= 2 x (262,144) took 524,288 buckets.
inline constexpr uint32_t kMinSetSize = 1536;  // 2,048 buckets
uint32_t set_size_for(size_t elements);

// Wire bytes of an element key or map data, stored inline: the longest is
// 32 bytes (ipv6 . ipv6), and with 100,000s of elements a heap block each
// would dominate build time and memory.
class WireBytes {
public:
    static constexpr size_t kCapacity = 36;
    void append(const void* p, size_t n);
    const uint8_t* data() const { return bytes_.data(); }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), size_}; }
    bool operator==(const WireBytes& o) const { return view() == o.view(); }
    bool operator<(const WireBytes& o) const { return view() < o.view(); }

private:
    std::array<uint8_t, kCapacity> bytes_{};
    uint8_t size_ = 0;
};

struct WireBytesHash {
    size_t operator()(const WireBytes& b) const noexcept { return std::hash<std::string_view>{}(b.view()); }
};

// Who is responsible for an object, for error messages: shared, because
// every element of a service port names the same one.
using Owner = std::shared_ptr<const std::string>;

struct ElementValue {
    WireBytes data;   // wire bytes of the data fields (maps)
    Verdict verdict;  // verdict maps
    Owner owner;      // service port id (or endpoint) responsible, for errors
    bool operator==(const ElementValue& o) const { return data == o.data && verdict == o.verdict; }
};

// key wire bytes -> value: a flat hash map. The entries live in one vector
// in insertion order (erase moves the last entry into the hole), indexed by
// an open-addressing table of entry indices with linear probing. With
// 100,000s of elements per set, one heap node per element (std::
// unordered_map) dominated building, walking (cache misses in hash order)
// and freeing a ruleset. Entry pointers and iterators are invalidated by
// any insert or erase, unlike unordered_map's.
class ElementMap {
public:
    using value_type = std::pair<WireBytes, ElementValue>;
    using iterator = std::vector<value_type>::iterator;
    using const_iterator = std::vector<value_type>::const_iterator;

    iterator begin() { return entries_.begin(); }
    iterator end() { return entries_.end(); }
    const_iterator begin() const { return entries_.begin(); }
    const_iterator end() const { return entries_.end(); }
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    const value_type& operator[](size_t i) const { return entries_[i]; }
    void reserve(size_t n);
    void clear();

    iterator find(const WireBytes& key);
    const_iterator find(const WireBytes& key) const;
    size_t count(const WireBytes& key) const { return find(key) != end() ? 1 : 0; }
    // Inserts {key, ElementValue(args...)} unless key is present.
    template <class... Args>
    std::pair<iterator, bool> try_emplace(const WireBytes& key, Args&&... args) {
        const uint64_t h = hash(key);
        const size_t slot = probe(key, h);
        if (slots_[slot].index1) return {entries_.begin() + (slots_[slot].index1 - 1), false};
        if ((entries_.size() + 1) * 2 > slots_.size()) {
            entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                                  std::forward_as_tuple(std::forward<Args>(args)...));
            rehash(slots_.size() * 2);
        } else {
            entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                                  std::forward_as_tuple(std::forward<Args>(args)...));
            slots_[slot] = {static_cast<uint32_t>(entries_.size()), static_cast<uint32_t>(h)};
        }
        return {entries_.end() - 1, true};
    }
    std::pair<iterator, bool> insert_or_assign(const WireBytes& key, const ElementValue& v);
    size_t erase(const WireBytes& key);

private:
    struct Slot {
        uint32_t index1 = 0;  // entry index + 1; 0: empty
        uint32_t hash = 0;    // low 32 bits of the key's hash
    };
    static uint64_t hash(const WireBytes& key);
    // The slot holding key, or the empty slot where it would go.
    size_t probe(const WireBytes& key, uint64_t h) const;
    void rehash(size_t slots);

    std::vector<value_type> entries_;
    std::vector<Slot> slots_ = std::vector<Slot>(16);
};

struct Set {
    SetSpec spec;
    std::string owner;  // "" for svcnat's shared sets
    // Unordered (insertion order): diffs and updates touch single elements;
    // the renderer sorts when it needs a stable order.
    ElementMap elements;
};

enum class StmtKind : uint8_t {
    MatchPrefix,      // ip saddr|daddr [!=] cidr
    MatchL4Proto,     // meta l4proto tcp
    MatchFibLocal,    // fib saddr|daddr type local   (key[0] says which)
    MatchCtStateNew,  // ct state new
    MatchCtDnat,      // ct status dnat
    MatchMarkClear,   // meta mark & bit == 0
    Lookup,           // key @set
    Vmap,             // key vmap @set
    SetMarkBit,       // meta mark set meta mark | bit
    ClearMarkBit,     // meta mark set meta mark & ~bit
    DnatMap,          // dnat ip to key map @set
    DnatAnon,         // dnat ip to numgen random mod N map { i : addr . port }
    DnatTo,           // dnat ip to addr:port
    NumgenVmapAnon,   // numgen random mod N vmap { i : goto chain }
    UpdateSaddr,      // update @set { ip saddr }
    Masquerade,       // masquerade fully-random
    RejectTcpReset,   // reject with tcp reset (after meta l4proto tcp)
    RejectIcmp,       // reject (port unreachable)
    Verdict,          // accept/drop/return/jump/goto
};

struct Target {
    IPAddr addr;
    uint16_t port = 0;
    bool operator==(const Target&) const = default;
};

struct Stmt {
    StmtKind kind = StmtKind::Verdict;
    bool negate = false;
    std::vector<KeyExpr> key;  // Lookup/Vmap/DnatMap keys; MatchPrefix/MatchFibLocal: {Saddr|Daddr}
    std::string set;           // set name (Lookup, Vmap, DnatMap, UpdateSaddr)
    uint32_t modulus = 0;      // numgen modulus (DnatMap with Numgen key, DnatAnon, NumgenVmapAnon)
    uint32_t mark_bit = 0;     // MatchMarkClear, SetMarkBit, ClearMarkBit
    CIDR cidr;                 // MatchPrefix
    Protocol proto = Protocol::TCP;  // MatchL4Proto
    std::vector<Target> targets;     // DnatAnon (index order), DnatTo (one)
    std::vector<std::string> chains;  // NumgenVmapAnon (goto targets, index order)
    struct Verdict verdict;           // Verdict
    bool operator==(const Stmt&) const = default;
};

struct Rule {
    std::vector<Stmt> stmts;
    bool operator==(const Rule&) const = default;
};

struct BaseHook {
    std::string type;  // "nat" or "filter"
    std::string hook;  // "prerouting", "input", "forward", "output", "postrouting"
    int priority = 0;  // numeric; the renderer prints dstnat/srcnat names where they apply
    bool operator==(const BaseHook&) const = default;
};

struct Chain {
    std::string name;
    std::optional<BaseHook> base;
    std::vector<Rule> rules;
    std::string owner;  // service port id for per-service chains
    bool operator==(const Chain& o) const { return name == o.name && base == o.base && rules == o.rules; }
};

struct Table {
    IPFamily family = IPFamily::IPv4;
    std::string name;
    std::map<std::string, Set> sets;
    std::map<std::string, Chain> chains;
};

struct Ruleset {
    std::vector<Table> tables;  // one per family that svcnat programs (ip, ip6)
};

// Priorities of the netfilter hooks, as nft names them.
inline constexpr int kPriorityDstnat = -100;
inline constexpr int kPrioritySrcnat = 100;

// Field sizes on the wire (a register is 4 bytes; shorter fields are padded).
size_t field_wire_size(FieldType t);
size_t fields_wire_size(const std::vector<FieldType>& fields);

// Wire encoders for element keys/data. Addresses and ports are in network
// order, protocols one byte, an index 32-bit host order; each field padded
// with zeros to a multiple of 4 bytes, as nft and the kernel do.
void append_addr(WireBytes& out, const IPAddr& a);
void append_proto(WireBytes& out, Protocol p);
void append_port(WireBytes& out, uint16_t port);
void append_index(WireBytes& out, uint32_t index);

// IANA protocol number (tcp 6, udp 17, sctp 132).
uint8_t protocol_number(Protocol p);

// "ip" / "ip6": the nft family keyword.
std::string_view family_keyword(IPFamily f);

}  // namespace svcnat::nft
