#include "encode.hpp"

#include "netlink/tables.hpp"
#include "table_mark.hpp"

// glibc first: it tells the kernel headers which definitions it already made.
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace svcnat::nft {

void NftnlDeleter::operator()(nftnl_table* p) const { nftnl_table_free(p); }
void NftnlDeleter::operator()(nftnl_chain* p) const { nftnl_chain_free(p); }
void NftnlDeleter::operator()(nftnl_rule* p) const { nftnl_rule_free(p); }
void NftnlDeleter::operator()(nftnl_set* p) const { nftnl_set_free(p); }
void NftnlDeleter::operator()(nftnl_set_elem* p) const { nftnl_set_elem_free(p); }

namespace {

// nft's own identifiers, written into set userdata (nft src/datatype.h,
// expression.h, proto.h, udata layout of nftnl_udata_set_types). nft reads
// them back to print `typeof` and element byte order.
enum NftDatatype : uint32_t {
    kTypeVerdict = 1,
    kTypeInteger = 4,
    kTypeIPv4Addr = 7,
    kTypeIPv6Addr = 8,
    kTypeInetProto = 12,
    kTypeInetService = 13,
};
enum NftByteorder : uint32_t { kByteorderInvalid = 0, kByteorderHost = 1, kByteorderBig = 2 };
enum NftExprType : uint32_t { kExprPayload = 7, kExprMeta = 9, kExprConcat = 13, kExprNumgen = 23 };
enum NftProtoDesc : uint32_t { kDescTh = 11, kDescIp = 12, kDescIp6 = 13 };
enum UdataSet : uint8_t {
    kUdKeyByteorder = 0,
    kUdDataByteorder = 1,
    kUdKeyTypeof = 3,
    kUdDataTypeof = 4,
    kUdDataInterval = 6,
};
enum UdataTypeof : uint8_t { kUdTypeofExpr = 0, kUdTypeofData = 1 };
constexpr uint32_t kIpSaddrField = 11, kIpDaddrField = 12, kIp6SaddrField = 8, kIp6DaddrField = 9;
constexpr uint32_t kThDportField = 2;

uint32_t nft_type(FieldType t) {
    switch (t) {
        case FieldType::IPv4Addr: return kTypeIPv4Addr;
        case FieldType::IPv6Addr: return kTypeIPv6Addr;
        case FieldType::InetProto: return kTypeInetProto;
        case FieldType::InetService: return kTypeInetService;
        case FieldType::Index: return kTypeInteger;
    }
    return kTypeInteger;
}

// nft's concatenation type id: the sub-type ids packed 6 bits each.
uint32_t concat_type(const std::vector<FieldType>& fields) {
    uint32_t id = 0;
    for (auto f : fields) id = (id << 6) | nft_type(f);
    return id;
}

uint32_t key_byteorder(const std::vector<FieldType>& fields) {
    if (fields.size() != 1) return kByteorderInvalid;
    return fields[0] == FieldType::Index ? kByteorderHost : kByteorderBig;
}

class Udata {
public:
    Udata() : buf_(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN)) {}
    ~Udata() { nftnl_udata_buf_free(buf_); }
    Udata(const Udata&) = delete;
    Udata& operator=(const Udata&) = delete;
    void u32(uint8_t type, uint32_t v) { nftnl_udata_put_u32(buf_, type, v); }
    nftnl_udata* begin(uint8_t type) { return nftnl_udata_nest_start(buf_, type); }
    void end(nftnl_udata* n) { nftnl_udata_nest_end(buf_, n); }
    std::string bytes() const {
        return std::string(static_cast<const char*>(nftnl_udata_buf_data(buf_)), nftnl_udata_buf_len(buf_));
    }

private:
    nftnl_udata_buf* buf_;
};

void typeof_expr(Udata& u, IPFamily f, KeyExpr k, uint32_t modulus) {
    const bool v4 = f == IPFamily::IPv4;
    auto payload = [&](uint32_t desc, uint32_t field) {
        u.u32(kUdTypeofExpr, kExprPayload);
        auto d = u.begin(kUdTypeofData);
        u.u32(0, desc);
        u.u32(1, field);
        u.end(d);
    };
    switch (k) {
        case KeyExpr::Saddr: payload(v4 ? kDescIp : kDescIp6, v4 ? kIpSaddrField : kIp6SaddrField); break;
        case KeyExpr::Daddr: payload(v4 ? kDescIp : kDescIp6, v4 ? kIpDaddrField : kIp6DaddrField); break;
        case KeyExpr::ThDport: payload(kDescTh, kThDportField); break;
        case KeyExpr::L4Proto: {
            u.u32(kUdTypeofExpr, kExprMeta);
            auto d = u.begin(kUdTypeofData);
            u.u32(0, NFT_META_L4PROTO);
            u.end(d);
            break;
        }
        case KeyExpr::Numgen: {
            u.u32(kUdTypeofExpr, kExprNumgen);
            auto d = u.begin(kUdTypeofData);
            u.u32(0, NFT_NG_RANDOM);
            u.u32(1, modulus);
            u.u32(2, 0);  // offset
            u.end(d);
            break;
        }
    }
}

// A concatenation's typeof: one nest per component (empty when the set was
// declared with `type`, which is what nft writes then too).
void typeof_concat(Udata& u, uint8_t type, IPFamily f, const std::vector<KeyExpr>& exprs, uint32_t modulus) {
    auto outer = u.begin(type);
    u.u32(kUdTypeofExpr, kExprConcat);
    auto data = u.begin(kUdTypeofData);
    for (size_t i = 0; i < exprs.size(); ++i) {
        auto n = u.begin(static_cast<uint8_t>(i));
        typeof_expr(u, f, exprs[i], modulus);
        u.end(n);
    }
    u.end(data);
    u.end(outer);
}

// ---- expressions ---------------------------------------------------------

class RuleBuilder {
public:
    explicit RuleBuilder(nftnl_rule* r) : r_(r) {}

    nftnl_expr* add(const char* name) {
        auto* e = nftnl_expr_alloc(name);
        if (!e) throw std::bad_alloc();
        nftnl_rule_add_expr(r_, e);
        return e;
    }
    void payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
        auto* e = add("payload");
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    }
    void meta_load(uint32_t key, uint32_t dreg) {
        auto* e = add("meta");
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
    }
    void meta_set(uint32_t key, uint32_t sreg) {
        auto* e = add("meta");
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
    }
    void cmp(uint32_t op, const void* data, uint32_t len) {
        auto* e = add("cmp");
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    }
    void cmp_u32(uint32_t op, uint32_t host_value) { cmp(op, &host_value, sizeof host_value); }
    void bitwise(const void* mask, const void* x, uint32_t len) {
        auto* e = add("bitwise");
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, x, len);
    }
    void bitwise_u32(uint32_t mask, uint32_t x) { bitwise(&mask, &x, 4); }
    void ct_load(uint32_t key) {
        auto* e = add("ct");
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    }
    void numgen(uint32_t modulus, uint32_t dreg) {
        auto* e = add("numgen");
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, modulus);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
    }
    void lookup(const std::string& set, uint32_t set_id, std::optional<uint32_t> dreg) {
        auto* e = add("lookup");
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        if (dreg) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, *dreg);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
        if (set_id) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    }
    void immediate_verdict(int code, const std::string& chain) {
        auto* e = add("immediate");
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(code));
        if (!chain.empty()) nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain.c_str());
    }
    void immediate_data(uint32_t dreg, const void* data, uint32_t len) {
        auto* e = add("immediate");
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
        nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
    }
    void dnat(IPFamily f, uint32_t addr_reg, uint32_t proto_reg, uint32_t flags) {
        auto* e = add("nat");
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto(f));
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
        if (flags) nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, flags);
    }
    // `fib saddr|daddr type local` into NFT_REG_1.
    void fib_address_type(bool saddr) {
        auto* e = add("fib");
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, saddr ? NFTA_FIB_F_SADDR : NFTA_FIB_F_DADDR);
    }
    // `update @set { key in NFT_REG_1 }`.
    void dynset_update(const std::string& set) {
        auto* e = add("dynset");
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
        nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set.c_str());
    }
    void masquerade(uint32_t flags) {
        auto* e = add("masq");
        nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, flags);
    }
    void reject(uint32_t type, uint8_t code) {
        auto* e = add("reject");
        nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
        nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
    }

private:
    nftnl_rule* r_;
};

// The kernel requires an id on every new set (rules and elements of the
// same batch refer to anonymous ones by id); unique per process suffices.
uint32_t new_set_id() {
    static std::atomic<uint32_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

size_t addr_len(IPFamily f) { return f == IPFamily::IPv4 ? 4 : 16; }

uint32_t addr_offset(IPFamily f, KeyExpr k) {
    if (f == IPFamily::IPv4) return k == KeyExpr::Saddr ? 12 : 16;
    return k == KeyExpr::Saddr ? 8 : 24;
}

// Loads a concatenation into consecutive 32-bit registers, as nft does:
// the first field in NFT_REG_1, the next ones in NFT_REG32_xx by offset.
void load_key(RuleBuilder& b, IPFamily f, const std::vector<KeyExpr>& key, uint32_t modulus) {
    uint32_t words = 0;
    for (auto k : key) {
        const uint32_t reg = words == 0 ? static_cast<uint32_t>(NFT_REG_1) : static_cast<uint32_t>(NFT_REG32_00) + words;
        switch (k) {
            case KeyExpr::Saddr:
            case KeyExpr::Daddr:
                b.payload(NFT_PAYLOAD_NETWORK_HEADER, addr_offset(f, k), addr_len(f), reg);
                words += static_cast<uint32_t>(addr_len(f) / 4);
                break;
            case KeyExpr::L4Proto:
                b.meta_load(NFT_META_L4PROTO, reg);
                words += 1;
                break;
            case KeyExpr::ThDport:
                b.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg);
                words += 1;
                break;
            case KeyExpr::Numgen:
                b.numgen(modulus, reg);
                words += 1;
                break;
        }
    }
}

// As nft encodes `ip daddr A/N`: a byte-aligned prefix compares only its
// bytes (`ip saddr 10.0.0.0/8` loads one byte); any other loads the whole
// address and masks it (nft lists both back as a prefix only in exactly
// these forms).
void prefix_match(RuleBuilder& b, IPFamily f, KeyExpr which, const CIDR& c, bool negate) {
    const uint32_t full = static_cast<uint32_t>(addr_len(f));
    const bool aligned = c.prefix % 8 == 0;
    const uint32_t bytes = aligned ? c.prefix / 8u : full;
    b.payload(NFT_PAYLOAD_NETWORK_HEADER, addr_offset(f, which), bytes, NFT_REG_1);
    if (!aligned) {
        std::vector<uint8_t> mask(bytes, 0), zero(bytes, 0);
        for (uint32_t i = 0; i < c.prefix / 8u; ++i) mask[i] = 0xff;
        mask[c.prefix / 8u] = static_cast<uint8_t>(0xff << (8 - c.prefix % 8));
        b.bitwise(mask.data(), zero.data(), bytes);
    }
    b.cmp(negate ? NFT_CMP_NEQ : NFT_CMP_EQ, c.addr.bytes.data(), bytes);
}

int verdict_code(VerdictKind k) {
    switch (k) {
        case VerdictKind::Accept: return NF_ACCEPT;
        case VerdictKind::Drop: return NF_DROP;
        case VerdictKind::Return: return NFT_RETURN;
        case VerdictKind::Jump: return NFT_JUMP;
        case VerdictKind::Goto: return NFT_GOTO;
        case VerdictKind::None: break;
    }
    throw std::logic_error("verdict without kind");
}

WireBytes target_bytes(const Target& t) {
    WireBytes d;
    append_addr(d, t.addr);
    append_port(d, t.port);
    return d;
}

// An anonymous map (`{ 0 : ..., 1 : ... }`) keyed by numgen's index,
// appended with its elements before the rule that uses it.
uint32_t append_anonymous_map(netlink::Batch& batch, const Table& t, std::string_view owner, bool verdicts, size_t count, const std::function<void(nftnl_set_elem*, uint32_t)>& fill) {
    const uint32_t id = new_set_id();
    NftnlPtr<nftnl_set> s(nftnl_set_alloc());
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, t.name.c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, "__map%d");
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, nfproto(t.family));
    nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, kTypeInteger);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, 4);
    const auto a = t.family == IPFamily::IPv4 ? FieldType::IPv4Addr : FieldType::IPv6Addr;
    if (verdicts) {
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, 0);
    } else {
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, concat_type({a, FieldType::InetService}));
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, static_cast<uint32_t>(fields_wire_size({a, FieldType::InetService})));
    }
    nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, static_cast<uint32_t>(count));
    // The index is host order: without saying so nft would print it swapped.
    Udata u;
    u.u32(kUdKeyByteorder, kByteorderHost);
    u.u32(kUdDataByteorder, kByteorderInvalid);
    const auto ud = u.bytes();
    nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, ud.data(), static_cast<uint32_t>(ud.size()));
    batch.add_set(s.get(), netlink::kCreate, owner);
    for (uint32_t i = 0; i < count; ++i) {
        auto* e = nftnl_set_elem_alloc();
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &i, sizeof i);
        fill(e, i);
        nftnl_set_elem_add(s.get(), e);
    }
    batch.add_elements(s.get(), netlink::kCreate, owner);
    return id;
}

}  // namespace

uint16_t nfproto(IPFamily f) { return f == IPFamily::IPv4 ? NFPROTO_IPV4 : NFPROTO_IPV6; }

NftnlPtr<nftnl_table> make_table(IPFamily family, const std::string& name) {
    NftnlPtr<nftnl_table> t(nftnl_table_alloc());
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, nfproto(family));
    netlink::set_table_comment(t.get(), kTableMark);  // svcnat's mark: see table_ownership.hpp
    return t;
}

NftnlPtr<nftnl_chain> make_chain(const Table& t, const Chain& c) {
    NftnlPtr<nftnl_chain> ch(nftnl_chain_alloc());
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, t.name.c_str());
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, nfproto(t.family));
    if (c.base) {
        static const std::pair<const char*, uint32_t> hooks[] = {
            {"prerouting", NF_INET_PRE_ROUTING}, {"input", NF_INET_LOCAL_IN},     {"forward", NF_INET_FORWARD},
            {"output", NF_INET_LOCAL_OUT},       {"postrouting", NF_INET_POST_ROUTING}};
        uint32_t hooknum = 0;
        bool found = false;
        for (const auto& [name, num] : hooks)
            if (c.base->hook == name) hooknum = num, found = true;
        if (!found) throw std::logic_error("unknown hook " + c.base->hook);
        nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, hooknum);
        nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, c.base->priority);
        nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, c.base->type.c_str());
        nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    }
    return ch;
}

namespace {

// The set userdata nft writes (byte orders, typeof): what makes `nft list`
// print our sets as nft's own.
std::string set_userdata(IPFamily family, const SetSpec& spec) {
    Udata u;
    const bool is_map = spec.is_vmap || !spec.data.empty();
    u.u32(kUdKeyByteorder, key_byteorder(spec.key));
    if (is_map) u.u32(kUdDataByteorder, spec.is_vmap ? kByteorderInvalid : key_byteorder(spec.data));
    if (!spec.typeof_key.empty()) {
        typeof_concat(u, kUdKeyTypeof, family, spec.typeof_key, spec.typeof_modulus);
        if (!spec.data.empty()) typeof_concat(u, kUdDataTypeof, family, {KeyExpr::Daddr, KeyExpr::ThDport}, 0);
    } else if (spec.key.size() > 1) {
        typeof_concat(u, kUdKeyTypeof, family, {}, 0);
    }
    if (is_map) u.u32(kUdDataInterval, 0);
    return u.bytes();
}

}  // namespace

NftnlPtr<nftnl_set> make_set_ref(const Table& t, const std::string& name) {
    NftnlPtr<nftnl_set> s(nftnl_set_alloc());
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, t.name.c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, nfproto(t.family));
    return s;
}

NftnlPtr<nftnl_set> make_set(const Table& t, const SetSpec& spec) {
    auto s = make_set_ref(t, spec.name);
    nftnl_set_set_u32(s.get(), NFTNL_SET_ID, new_set_id());
    uint32_t flags = 0;
    if (spec.is_vmap || !spec.data.empty()) flags |= NFT_SET_MAP;
    if (spec.dynamic_timeout) flags |= NFT_SET_TIMEOUT | NFT_SET_EVAL;
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, concat_type(spec.key));
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, static_cast<uint32_t>(fields_wire_size(spec.key)));
    if (spec.is_vmap) {
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, 0);
    } else if (!spec.data.empty()) {
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, concat_type(spec.data));
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, static_cast<uint32_t>(fields_wire_size(spec.data)));
    }
    if (spec.size) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, spec.size);
    if (spec.dynamic_timeout) nftnl_set_set_u64(s.get(), NFTNL_SET_TIMEOUT, uint64_t{spec.timeout_s} * 1000);
    const auto ud = set_userdata(t.family, spec);
    nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, ud.data(), static_cast<uint32_t>(ud.size()));
    return s;
}

void append_elements(netlink::Batch& batch, const Table& t, const SetSpec& spec, bool add, size_t count,
                     const ElementAt& at) {
    if (count == 0) return;
    auto ref = make_set_ref(t, spec.name);
    // Elements of one service port share one Owner and sit next to each
    // other (sets keep insertion order): intern each once, by address. An
    // Owner held by this element alone (a hairpin pair's endpoint) needs
    // no lookup.
    std::unordered_map<const std::string*, uint32_t> owner_ids;
    const std::string* last_owner = nullptr;
    uint32_t last_id = 0;
    auto owner_id = [&](const Owner& o) -> uint32_t {
        if (!o) return 0;
        if (o.get() == last_owner) return last_id;
        if (o.use_count() == 1) return batch.new_owner_id(*o);
        auto [it, inserted] = owner_ids.try_emplace(o.get(), 0);
        if (inserted) it->second = batch.owner_id(*o);
        last_owner = o.get();
        return last_id = it->second;
    };
    batch.put_raw_elements(ref.get(), add, netlink::kCreate, [&](size_t i, nlmsghdr* nlh, uint32_t& owner) {
        if (i >= count) return false;
        const auto [key, value] = at(i);
        // As nftnl_set_elem_nlmsg_build_payload() lays them out.
        nlattr* k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
        mnl_attr_put(nlh, NFTA_DATA_VALUE, key->size(), key->data());
        mnl_attr_nest_end(nlh, k);
        if (spec.is_vmap) {
            nlattr* d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
            nlattr* v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
            mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(static_cast<uint32_t>(verdict_code(value->verdict.kind))));
            if (!value->verdict.chain.empty()) mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, value->verdict.chain.c_str());
            mnl_attr_nest_end(nlh, v);
            mnl_attr_nest_end(nlh, d);
        } else if (!spec.data.empty()) {
            nlattr* d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
            mnl_attr_put(nlh, NFTA_DATA_VALUE, value->data.size(), value->data.data());
            mnl_attr_nest_end(nlh, d);
        }
        owner = owner_id(value->owner);
        return true;
    });
}

void append_all_elements(netlink::Batch& batch, const Table& t, const Set& set) {
    const auto& elements = set.elements;
    append_elements(batch, t, set.spec, true, elements.size(), [&elements](size_t i) {
        const auto& e = elements[i];
        return std::pair<const WireBytes*, const ElementValue*>{&e.first, &e.second};
    });
}

namespace {

// What a statement's encoder writes into: the rule's expressions, and for
// anonymous maps the batch, the table and the rule's owner.
struct StmtContext {
    netlink::Batch& batch;
    const Table& table;
    std::string_view owner;
    RuleBuilder& b;
    IPFamily family() const { return table.family; }
    uint32_t addr_words() const { return static_cast<uint32_t>(addr_len(table.family) / 4); }
};

// One encoder per statement kind, writing the expressions nft writes for it.

void encode_match_prefix(StmtContext& c, const Stmt& s) {
    if (s.cidr.prefix == 0) return;  // matches everything
    prefix_match(c.b, c.family(), s.key.at(0), s.cidr, s.negate);
}

void encode_match_l4proto(StmtContext& c, const Stmt& s) {
    const uint8_t p = protocol_number(s.proto);
    c.b.meta_load(NFT_META_L4PROTO, NFT_REG_1);
    c.b.cmp(NFT_CMP_EQ, &p, 1);
}

void encode_match_fib_local(StmtContext& c, const Stmt& s) {
    c.b.fib_address_type(s.key.at(0) == KeyExpr::Saddr);
    c.b.cmp_u32(NFT_CMP_EQ, RTN_LOCAL);
}

// `ct state new`, `ct status dnat`, `meta mark & bit == 0`: a register
// loaded, masked and compared.
void encode_ct_state_new(StmtContext& c, const Stmt&) {
    c.b.ct_load(NFT_CT_STATE);
    c.b.bitwise_u32(NF_CT_STATE_BIT(IP_CT_NEW), 0);
    c.b.cmp_u32(NFT_CMP_NEQ, 0);
}

void encode_ct_dnat(StmtContext& c, const Stmt&) {
    c.b.ct_load(NFT_CT_STATUS);
    c.b.bitwise_u32(IPS_DST_NAT, 0);
    c.b.cmp_u32(NFT_CMP_NEQ, 0);
}

void encode_mark_clear(StmtContext& c, const Stmt& s) {
    c.b.meta_load(NFT_META_MARK, NFT_REG_1);
    c.b.bitwise_u32(s.mark_bit, 0);
    c.b.cmp_u32(NFT_CMP_EQ, 0);
}

void encode_lookup(StmtContext& c, const Stmt& s) {
    load_key(c.b, c.family(), s.key, s.modulus);
    c.b.lookup(s.set, 0, std::nullopt);
}

void encode_vmap(StmtContext& c, const Stmt& s) {
    load_key(c.b, c.family(), s.key, s.modulus);
    c.b.lookup(s.set, 0, NFT_REG_VERDICT);
}

void encode_mark_bit(StmtContext& c, const Stmt& s) {
    c.b.meta_load(NFT_META_MARK, NFT_REG_1);
    c.b.bitwise_u32(~s.mark_bit, s.kind == StmtKind::SetMarkBit ? s.mark_bit : 0);
    c.b.meta_set(NFT_META_MARK, NFT_REG_1);
}

// `dnat to <key> map @set`: address and port from the map's data.
void encode_dnat_map(StmtContext& c, const Stmt& s) {
    load_key(c.b, c.family(), s.key, s.modulus);
    c.b.lookup(s.set, 0, NFT_REG_1);
    c.b.dnat(c.family(), NFT_REG_1, NFT_REG32_00 + c.addr_words(), 0);
}

// `dnat to numgen random mod N map { 0 : a . p, ... }`.
void encode_dnat_anon(StmtContext& c, const Stmt& s) {
    const auto id = append_anonymous_map(c.batch, c.table, c.owner, false, s.targets.size(),
                                         [&](nftnl_set_elem* e, uint32_t i) {
                                             auto d = target_bytes(s.targets[i]);
                                             nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, d.data(),
                                                                static_cast<uint32_t>(d.size()));
                                         });
    c.b.numgen(s.modulus, NFT_REG_1);
    c.b.lookup("__map%d", id, NFT_REG_1);
    c.b.dnat(c.family(), NFT_REG_1, NFT_REG32_00 + c.addr_words(), 0);
}

void encode_dnat_to(StmtContext& c, const Stmt& s) {
    const auto& tg = s.targets.at(0);
    c.b.immediate_data(NFT_REG_1, tg.addr.bytes.data(), static_cast<uint32_t>(addr_len(c.family())));
    const uint16_t port = htons(tg.port);
    c.b.immediate_data(NFT_REG_2, &port, sizeof port);
    c.b.dnat(c.family(), NFT_REG_1, NFT_REG_2, NF_NAT_RANGE_PROTO_SPECIFIED);
}

// `numgen random mod N vmap { 0 : goto chain, ... }`.
void encode_numgen_vmap_anon(StmtContext& c, const Stmt& s) {
    const auto id = append_anonymous_map(c.batch, c.table, c.owner, true, s.chains.size(),
                                         [&](nftnl_set_elem* e, uint32_t i) {
                                             nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT,
                                                                    static_cast<uint32_t>(NFT_GOTO));
                                             nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, s.chains[i].c_str());
                                         });
    c.b.numgen(s.modulus, NFT_REG_1);
    c.b.lookup("__map%d", id, NFT_REG_VERDICT);
}

void encode_update_saddr(StmtContext& c, const Stmt& s) {
    load_key(c.b, c.family(), {KeyExpr::Saddr}, 0);
    c.b.dynset_update(s.set);
}

void encode_masquerade(StmtContext& c, const Stmt&) { c.b.masquerade(NF_NAT_RANGE_PROTO_RANDOM_FULLY); }

void encode_reject_tcp_reset(StmtContext& c, const Stmt&) { c.b.reject(NFT_REJECT_TCP_RST, 0); }

// ICMP_PORT_UNREACH (3) / ICMPV6_PORT_UNREACH (4).
void encode_reject_icmp(StmtContext& c, const Stmt&) {
    c.b.reject(NFT_REJECT_ICMP_UNREACH, c.family() == IPFamily::IPv4 ? 3 : 4);
}

void encode_verdict(StmtContext& c, const Stmt& s) { c.b.immediate_verdict(verdict_code(s.verdict.kind), s.verdict.chain); }

void encode_stmt(StmtContext& c, const Stmt& s) {
    switch (s.kind) {
        case StmtKind::MatchPrefix: return encode_match_prefix(c, s);
        case StmtKind::MatchL4Proto: return encode_match_l4proto(c, s);
        case StmtKind::MatchFibLocal: return encode_match_fib_local(c, s);
        case StmtKind::MatchCtStateNew: return encode_ct_state_new(c, s);
        case StmtKind::MatchCtDnat: return encode_ct_dnat(c, s);
        case StmtKind::MatchMarkClear: return encode_mark_clear(c, s);
        case StmtKind::Lookup: return encode_lookup(c, s);
        case StmtKind::Vmap: return encode_vmap(c, s);
        case StmtKind::SetMarkBit:
        case StmtKind::ClearMarkBit: return encode_mark_bit(c, s);
        case StmtKind::DnatMap: return encode_dnat_map(c, s);
        case StmtKind::DnatAnon: return encode_dnat_anon(c, s);
        case StmtKind::DnatTo: return encode_dnat_to(c, s);
        case StmtKind::NumgenVmapAnon: return encode_numgen_vmap_anon(c, s);
        case StmtKind::UpdateSaddr: return encode_update_saddr(c, s);
        case StmtKind::Masquerade: return encode_masquerade(c, s);
        case StmtKind::RejectTcpReset: return encode_reject_tcp_reset(c, s);
        case StmtKind::RejectIcmp: return encode_reject_icmp(c, s);
        case StmtKind::Verdict: return encode_verdict(c, s);
    }
}

}  // namespace

void append_rule(netlink::Batch& batch, const Table& t, const std::string& chain, const Rule& rule,
                 std::string_view owner) {
    NftnlPtr<nftnl_rule> r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, t.name.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, nfproto(t.family));
    RuleBuilder b(r.get());
    StmtContext ctx{batch, t, owner, b};
    for (const auto& s : rule.stmts) encode_stmt(ctx, s);
    batch.add_rule(r.get(), netlink::kCreate | netlink::kAppend, owner);
}

}  // namespace svcnat::nft
