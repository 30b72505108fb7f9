// Parsers for the values of settings options, one per kind of value, each
// returning an error message (empty on success) rather than throwing, so the
// caller can prefix where the value came from (flag or `file:line`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "settings.hpp"

namespace svcnat::config_values {

// Go/kube-proxy durations: "30s", "500ms", "1m30s", "1.5h", "0".
// Units: ns, us, µs, ms, s, m, h. Returns seconds.
std::optional<double> parse_duration(std::string_view text);

// "30000-32767" (first <= last, both 1..65535).
std::optional<PortRange> parse_port_range(std::string_view text);

// true/false, 1/0, yes/no, on/off (case-insensitive), like pflag's bools.
std::optional<bool> parse_bool(std::string_view text);

// Splits "a,b, c" into trimmed, non-empty items.
std::vector<std::string> split_list(std::string_view text);

// "IP:PORT" or "[IPv6]:PORT"; port 0..65535.
bool is_host_port(std::string_view text);

// An nftables table name as `nft` accepts it unquoted: a letter or '_'
// first, then letters, digits, '_', '-', '.' and '/'; at most 255 bytes
// (NFT_NAME_MAXLEN includes the terminating NUL).
bool is_nft_identifier(std::string_view text);

}  // namespace svcnat::config_values
