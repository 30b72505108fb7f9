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

// A whole number of decimal digits only (no sign, no spaces), within
// uint64_t.
std::optional<uint64_t> parse_uint(std::string_view text);

// "30000-32767" (first <= last, both 1..65535).
std::optional<PortRange> parse_port_range(std::string_view text);

// A size as Kubernetes quantities write it: "1048576", "512Ki", "256Mi",
// "1Gi" (binary suffixes), "100M" (decimal).
std::optional<uint64_t> parse_size(std::string_view text);

// true/false, 1/0, yes/no, on/off (case-insensitive), like pflag's bools.
std::optional<bool> parse_bool(std::string_view text);

// Splits "a,b, c" into trimmed, non-empty items.
std::vector<std::string> split_list(std::string_view text);

// "IP:PORT" or "[IPv6]:PORT"; port 0..65535.
bool is_host_port(std::string_view text);

// "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address; `default_port`
// where none is given.
std::optional<SocketAddress> parse_socket_address(std::string_view text, uint16_t default_port);

// A DNS domain name as a cluster domain: labels of letters, digits and '-'
// (not at either end), 1..63 bytes each, at most 253 in all; a trailing dot
// is allowed. Returns the lowercase name without the dot, or nullopt.
std::optional<std::string> parse_domain_name(std::string_view text);

// The nameservers of a resolv.conf (port 53); an error message on failure.
std::vector<SocketAddress> read_resolv_conf_nameservers(const std::string& path, std::string* error);

// An nftables table name as `nft` accepts it unquoted: a letter or '_'
// first, then letters, digits, '_', '-', '.' and '/'; at most 255 bytes
// (NFT_NAME_MAXLEN includes the terminating NUL).
bool is_nft_identifier(std::string_view text);

}  // namespace svcnat::config_values
