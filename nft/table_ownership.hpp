// svcnat replaces its tables whole on every full sync and deletes them on
// cleanup, so it must never do that to a table someone else made under the
// same name (a mistyped --table filter would wipe a firewall). Its tables
// carry a mark, a table comment that `nft list` shows; a table without it
// is svcnat's only if it has svcnat's fixed chains (a table from before the
// mark existed: adopted, and marked by the next commit). Anything else is
// refused unless --force-table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/model/ip.hpp"
#include "netlink/socket.hpp"
#include "table_mark.hpp"

namespace svcnat::nft {

enum class TableOwner { Svcnat, SvcnatBeforeTheMark, Someone };

// Pure: who made a table, from its comment and (when it has no mark) the
// names of its chains.
TableOwner table_owner_of(std::string_view comment, const std::vector<std::string>& chains);

struct ForeignTable {
    std::string table;    // "table ip filter"
    std::string message;  // why svcnat will not touch it
};

// The tables called `name` in the given families that exist and are not
// svcnat's; an error reading them counts as one entry (better refuse than
// wipe). Empty: nothing in the way.
std::vector<ForeignTable> foreign_tables(netlink::NetlinkSocket& socket, const std::string& name,
                                         const std::vector<IPFamily>& families);

}  // namespace svcnat::nft
