// Small RAII helpers to build libnftnl objects in netlink tests.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nft/netlink/batch.hpp"

namespace netlink_test {

struct TableFree { void operator()(nftnl_table* p) const { nftnl_table_free(p); } };
struct ChainFree { void operator()(nftnl_chain* p) const { nftnl_chain_free(p); } };
struct RuleFree { void operator()(nftnl_rule* p) const { nftnl_rule_free(p); } };
struct SetFree { void operator()(nftnl_set* p) const { nftnl_set_free(p); } };
struct ElemFree { void operator()(nftnl_set_elem* p) const { nftnl_set_elem_free(p); } };
using Table = std::unique_ptr<nftnl_table, TableFree>;
using Chain = std::unique_ptr<nftnl_chain, ChainFree>;
using Rule = std::unique_ptr<nftnl_rule, RuleFree>;
using Set = std::unique_ptr<nftnl_set, SetFree>;
using Elem = std::unique_ptr<nftnl_set_elem, ElemFree>;

// nft's datatype ids (src/datatype.h), so that `nft list` can print sets.
constexpr uint32_t kTypeIPv4Addr = 7;
constexpr uint32_t kTypeInetService = 13;

inline Table make_table(const std::string& name, uint16_t family = NFPROTO_IPV4) {
    Table t(nftnl_table_alloc());
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, family);
    return t;
}

inline Chain make_chain(const std::string& table, const std::string& name, uint16_t family = NFPROTO_IPV4) {
    Chain c(nftnl_chain_alloc());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, family);
    return c;
}

// A base chain: type nat hook prerouting priority -100.
inline Chain make_nat_prerouting(const std::string& table, const std::string& name) {
    Chain c = make_chain(table, name);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "nat");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_PRE_ROUTING);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, -100);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    return c;
}

// A rule "jump <target>".
inline Rule make_jump_rule(const std::string& table, const std::string& chain, const std::string& target) {
    Rule r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_IPV4);
    nftnl_expr* e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_JUMP));
    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, target.c_str());
    nftnl_rule_add_expr(r.get(), e);
    return r;
}

// A set of ipv4_addr, or a map ipv4_addr : inet_service when `map`.
inline Set make_set(const std::string& table, const std::string& name, bool map, uint32_t id = 1) {
    Set s(nftnl_set_alloc());
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_IPV4);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, kTypeIPv4Addr);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, 4);
    nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
    if (map) {
        nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_MAP);
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, kTypeInetService);
        nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, 2);
    }
    return s;
}

// Element with key = IPv4 address (host order) and, for maps, a port.
inline Elem make_elem(uint32_t ipv4_host_order, int port = -1) {
    Elem e(nftnl_set_elem_alloc());
    uint32_t key = htonl(ipv4_host_order);
    nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, &key, sizeof(key));
    if (port >= 0) {
        uint16_t data = htons(static_cast<uint16_t>(port));
        nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_DATA, &data, sizeof(data));
    }
    return e;
}

// An element and the service port or endpoint it belongs to.
struct OwnedElement {
    const nftnl_set_elem* element = nullptr;
    std::string_view owner;
};

// Elements with an owner each, through the batch's raw element writer, as
// kernel mode sends its named sets' elements.
inline uint32_t add_owned_elements(svcnat::nft::netlink::Batch& batch, const nftnl_set* set,
                                   std::span<const OwnedElement> elements) {
    return batch.put_raw_elements(set, true, 0, [&](size_t i, nlmsghdr* nlh, uint32_t& owner) {
        if (i >= elements.size()) return false;
        nftnl_set_elem_nlmsg_build_payload(nlh, const_cast<nftnl_set_elem*>(elements[i].element));
        owner = batch.owner_id(elements[i].owner);
        return true;
    });
}

}  // namespace netlink_test
