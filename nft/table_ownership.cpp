#include "table_ownership.hpp"

#include <algorithm>

#include <linux/netfilter.h>

#include "encode.hpp"
#include "netlink/tables.hpp"

namespace svcnat::nft {
namespace {

// Chains every svcnat table has had since its first release.
const char* const kSignatureChains[] = {"services", "masquerading", "mark-for-masquerade", "nat-prerouting"};

}  // namespace

TableOwner table_owner_of(std::string_view comment, const std::vector<std::string>& chains) {
    if (comment == kTableMark) return TableOwner::Svcnat;
    if (!comment.empty()) return TableOwner::Someone;  // somebody else's comment: not ours
    for (const char* c : kSignatureChains)
        if (std::find(chains.begin(), chains.end(), c) == chains.end()) return TableOwner::Someone;
    return TableOwner::SvcnatBeforeTheMark;
}

std::vector<ForeignTable> foreign_tables(netlink::NetlinkSocket& socket, const std::string& name,
                                         const std::vector<IPFamily>& families) {
    std::vector<uint16_t> protos;
    for (IPFamily f : families) protos.push_back(nfproto(f));
    std::vector<ForeignTable> out;
    const auto found = netlink::find_tables(socket, name, protos);
    if (!found.ok) {
        out.push_back({"table " + name, "cannot read the tables to check who owns them: " + found.error});
        return out;
    }
    for (const auto& t : found.tables) {
        const std::string label =
            "table " + std::string(t.family == NFPROTO_IPV4 ? "ip" : t.family == NFPROTO_IPV6 ? "ip6" : "?") + " " + name;
        std::vector<std::string> chains;
        if (t.comment != kTableMark) {
            const auto listed = netlink::list_chain_names(socket, t.family, name);
            if (!listed.ok) {
                out.push_back({label, "cannot read its chains to check who owns it: " + listed.error});
                continue;
            }
            chains = listed.chains;
        }
        if (table_owner_of(t.comment, chains) != TableOwner::Someone) continue;
        out.push_back({label, "exists and was not made by svcnat (no svcnat comment" +
                                  (t.comment.empty() ? std::string() : ", its comment is \"" + t.comment + "\"") +
                                  ", not svcnat's chains); svcnat will not replace or delete it: choose another "
                                  "--table, or pass --force-table to take it over"});
    }
    return out;
}

}  // namespace svcnat::nft
