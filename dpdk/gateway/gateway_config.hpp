// Settings of svcnat-gateway: what comes after EAL's `--` on the command line
// and in the INI file named by --config (Boost.Program_options, like every
// other svcnat setting). Plain data without DPDK types so that it can be
// parsed and checked without EAL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/ip.hpp"
#include "dpdk/core/flow_state.hpp"

namespace svcnat::dpdk {

using MacAddr = std::array<uint8_t, 6>;

std::optional<MacAddr> parse_mac(std::string_view text);
std::string mac_str(const MacAddr& mac);

// Which side of the full-NAT a port faces. A one-arm layout has a single port
// with role `both`: clients and backends sit behind the same wire.
enum class PortRole : uint8_t { Client, Backend, Both };
std::string_view to_string(PortRole r);

// A port's addressing in one family.
struct PortAddress {
    CIDR subnet;                     // the connected prefix (subnet.addr is the network)
    IPAddr ip;                       // the port's own address in it
    std::optional<IPAddr> next_hop;  // destinations of this family outside `subnet` go through it
};

struct PortConfig {
    std::string name;        // for logs and telemetry
    std::string device;      // DPDK device name: a PCI address or a vdev name ("net_af_packet0")
    PortRole role = PortRole::Both;
    // IPv4 and IPv6 addressing; at least one. A dual-stack port has both.
    std::optional<PortAddress> v4, v6;
    std::optional<MacAddr> mac;      // empty: the device's MAC
    uint16_t mtu = 1500;

    bool faces_clients() const { return role != PortRole::Backend; }
    bool faces_backends() const { return role != PortRole::Client; }
    // The addressing of ip's family, or nullptr.
    const PortAddress* family_of(const IPAddr& ip) const { return ip.is_v4() ? opt(v4) : opt(v6); }
    // Is ip in this port's connected prefix of its family?
    bool on_link(const IPAddr& ip) const {
        const PortAddress* a = family_of(ip);
        return a != nullptr && a->subnet.contains(ip);
    }

private:
    static const PortAddress* opt(const std::optional<PortAddress>& a) { return a ? &*a : nullptr; }
};

// A neighbour whose MAC is configured rather than learned through ARP.
struct StaticNeighbor {
    IPAddr ip;
    MacAddr mac;
};

struct GatewayConfig {
    std::string config_file;
    Settings settings;  // manifests, node name and IPs for load_state()
    std::vector<PortConfig> ports;
    std::vector<IPAddr> snat_addresses;  // local addresses used as the source towards backends
    std::vector<StaticNeighbor> neighbors;
    FlowTimeouts timeouts;  // per TCP state and UDP (dpdk/core/flow_state.hpp)
    uint32_t maglev_table_size = 65537;  // prime, as Maglev requires
    uint32_t flows_per_lcore = 1u << 20;
    // Every flow is visited once per this period: idle ones removed (so
    // within timeout + period), traffic folded into the per-service and
    // per-backend counters (which lag by at most this much).
    uint32_t flow_sweep_ms = 1000;
    uint32_t mbufs = 16383;             // per socket pool
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    uint32_t neighbor_hold_ms = 1000;   // how long a packet may wait for ARP
    uint32_t arp_refresh_s = 30;        // re-resolve learned neighbours this often
    std::string telemetry_prefix = "/svcnat";
    bool watch_manifests = true;        // inotify on the manifest paths
    int verbosity = 0;

    // Ports towards clients / backends (a `both` port is in both lists).
    std::vector<size_t> client_ports() const;
    std::vector<size_t> backend_ports() const;
    // The port whose subnet holds `ip`, else the first port of the wanted
    // side that has a next hop of ip's family; nullopt when unreachable.
    std::optional<size_t> port_towards(const IPAddr& ip, bool backend_side) const;
};

struct GatewayConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ParsedGatewayArgs {
    GatewayConfig config;
    bool help = false;
    std::string help_text;
};

// argv[0] is the program name; argv holds what follows EAL's `--`.
// Throws GatewayConfigError naming the option (and file) at fault.
ParsedGatewayArgs parse_gateway_args(int argc, const char* const* argv);

// Parses one `port = key=value,...` item (a config file line, or the
// benchmark's ports).
PortConfig parse_port_spec(std::string_view spec);

// Cross-field checks: at least one client and one backend side, SNAT
// addresses, unique names. Throws GatewayConfigError.
void validate(const GatewayConfig& cfg);

}  // namespace svcnat::dpdk
