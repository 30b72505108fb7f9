// Reading back and removing svcnat's tables, the adopt-or-replace idiom, and
// the ruleset generation id.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "batch.hpp"
#include "socket.hpp"
#include "transaction.hpp"

namespace svcnat::nft::netlink {

struct TableInfo {
    uint16_t family = 0;   // NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET, ...
    std::string name;
    uint32_t flags = 0;    // NFT_TABLE_F_*
    uint32_t use = 0;      // objects (chains, sets...) in the table
    uint64_t handle = 0;
    std::string comment;   // the table's comment (user data), as `nft list` shows it
};

struct TableId {
    uint16_t family = 0;
    std::string name;
};

struct ListTablesResult {
    bool ok = false;
    std::vector<TableInfo> tables;
    std::string error;
};

// Every table of the network namespace (GETTABLE dump, all families).
ListTablesResult list_tables(NetlinkSocket& socket);

// The tables called `name` in the given families (NFPROTO_*) that exist.
ListTablesResult find_tables(NetlinkSocket& socket, std::string_view name,
                             std::span<const uint16_t> families);

// The names of the chains of one table (a GETCHAIN dump of the family).
struct ListChainsResult {
    bool ok = false;
    std::vector<std::string> chains;
    std::string error;
};
ListChainsResult list_chain_names(NetlinkSocket& socket, uint16_t family, std::string_view table);

// The comment a table carries in its user data, as nft(8) writes and reads it.
void set_table_comment(nftnl_table* table, std::string_view comment);

// Appends "add table (create if absent); delete table" for each table: after
// the commit the tables are gone whether or not they existed, so a missing
// table is not an error, and nothing else is touched.
void append_delete_tables(Batch& batch, std::span<const TableId> tables, std::string_view owner);

// Deletes the tables in one transaction (see append_delete_tables).
BatchResult delete_tables(NetlinkSocket& socket, std::span<const TableId> tables,
                          std::string_view owner = "cleanup");

// The start of an adopt-or-replace transaction: "add table; delete table;
// add table" for `table`, so that whatever an earlier run left is replaced,
// atomically, by the content the caller appends next (chains, sets, rules
// of the table). `table` gives name, family and flags of the new table.
void append_replace_table(Batch& batch, const nftnl_table* table, std::string_view owner);


}  // namespace svcnat::nft::netlink
