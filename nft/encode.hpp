// Ruleset model -> libnftnl objects, encoded exactly as nft 1.0.6 encodes the
// same statements (payload bases and offsets, register layout, set flags,
// key/data types, typeof userdata), so that `nft list ruleset` prints what
// we programmed and `nft -f` of that listing loads again.
//
// Objects are handed to nft/netlink's Batch as soon as they are built (the batch
// serialises them at once) and freed right after, so memory stays at one
// object, not one ruleset.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <memory>
#include <string>
#include <string_view>

#include "nft/netlink/batch.hpp"
#include "ruleset.hpp"

struct nftnl_table;
struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;
struct nftnl_set_elem;

namespace svcnat::nft {

struct NftnlDeleter {
    void operator()(nftnl_table* p) const;
    void operator()(nftnl_chain* p) const;
    void operator()(nftnl_rule* p) const;
    void operator()(nftnl_set* p) const;
    void operator()(nftnl_set_elem* p) const;
};
template <class T>
using NftnlPtr = std::unique_ptr<T, NftnlDeleter>;

uint16_t nfproto(IPFamily f);

NftnlPtr<nftnl_table> make_table(IPFamily family, const std::string& name);
NftnlPtr<nftnl_chain> make_chain(const Table& t, const Chain& c);
// A named set as nft creates it (flags, types, lengths, userdata); no elements.
NftnlPtr<nftnl_set> make_set(const Table& t, const SetSpec& spec);
// A reference to a named set (table, name, family): for element messages.
NftnlPtr<nftnl_set> make_set_ref(const Table& t, const std::string& name);

// Appends one rule to `batch` (preceded by the anonymous sets it needs and
// their elements) at the end of chain `chain`.
void append_rule(netlink::Batch& batch, const Table& t, const std::string& chain, const Rule& r,
                 std::string_view owner);

// Adds every element of `set` (owned per element) to `batch`.
void append_all_elements(netlink::Batch& batch, const Table& t, const Set& set);

// Adds (or deletes) `count` elements of the set `spec`, element i being
// at(i) = {key, value}. Written straight into the batch's messages in the
// layout libnftnl uses (no libnftnl object per element), each tagged with
// its value's owner.
using ElementAt = std::function<std::pair<const WireBytes*, const ElementValue*>(size_t)>;
void append_elements(netlink::Batch& batch, const Table& t, const SetSpec& spec, bool add, size_t count,
                     const ElementAt& at);

}  // namespace svcnat::nft
