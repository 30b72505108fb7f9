// Settings of the DPDK edge gateway (`svcnat-gateway`): its ports, SNAT
// addresses, static neighbours, table sizes and flow timeouts. Plain data
// without DPDK types, parsed by the same option parser as every other
// setting (config.hpp, the "gateway" block), so that it is checked without
// EAL and the daemon's flag rules apply.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/model/ip.hpp"

namespace svcnat {

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
    bool operator==(const PortAddress&) const = default;
};

struct PortConfig {
    std::string spec;        // as written (`port = ...`), for messages
    std::string name;        // for logs, metrics and telemetry
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
    bool operator==(const PortConfig&) const = default;

private:
    static const PortAddress* opt(const std::optional<PortAddress>& a) { return a ? &*a : nullptr; }
};

// Parses one `port = key=value,...` item. Returns the port, or fills
// `error` with what is wrong with it (the caller says where it came from).
std::optional<PortConfig> parse_port_spec(std::string_view spec, std::string* error);

// A neighbour whose MAC is configured rather than learned through ARP/ND.
struct StaticNeighbor {
    IPAddr ip;
    MacAddr mac;
    bool operator==(const StaticNeighbor&) const = default;
};

// Idle time of a flow per TCP state and for UDP, in seconds. The values are
// IPVS's, except SYN (shorter: half-open flows are what a SYN flood makes);
// docs/GATEWAY.md says why each.
struct FlowTimeoutSettings {
    uint32_t tcp_syn_s = 30;           // SYN_SENT, SYN_RECV
    uint32_t tcp_established_s = 900;  // ESTABLISHED: idle keep-alive connections survive minutes of silence
    uint32_t tcp_fin_s = 120;          // FIN_WAIT, TIME_WAIT (2·MSL)
    uint32_t tcp_close_s = 10;         // after a RST
    uint32_t udp_s = 300;
    bool operator==(const FlowTimeoutSettings&) const = default;
};

struct GatewaySettings {
    std::vector<PortConfig> ports;
    std::vector<IPAddr> snat_addresses;  // local addresses used as the source towards backends
    std::vector<StaticNeighbor> neighbors;
    FlowTimeoutSettings timeouts;
    uint32_t maglev_table_size = 65537;  // prime, as Maglev requires
    uint32_t flows_per_lcore = 1u << 20;
    // Every flow is visited once per this period: idle ones removed (so
    // within timeout + period), traffic folded into the per-service and
    // per-backend counters (which lag by at most this much).
    uint32_t flow_sweep_ms = 1000;
    uint32_t mbufs = 16383;             // per socket pool
    uint16_t rx_descriptors = 1024;
    uint16_t tx_descriptors = 1024;
    uint32_t neighbor_hold_ms = 1000;   // how long a packet may wait for ARP/ND
    uint32_t arp_refresh_s = 30;        // re-resolve learned neighbours this often
    // A worker that has not finished a loop iteration for this long is
    // stalled: /healthz fails, so the external load balancer stops sending.
    uint32_t worker_stall_ms = 1000;
    std::string telemetry_prefix = "/svcnat";

    // Ports towards clients / backends (a `both` port is in both lists).
    std::vector<size_t> client_ports() const;
    std::vector<size_t> backend_ports() const;
    // The port whose subnet holds `ip`, else the first port of the wanted
    // side that has a next hop of ip's family; nullopt when unreachable.
    std::optional<size_t> port_towards(const IPAddr& ip, bool backend_side) const;
    bool operator==(const GatewaySettings&) const = default;
};

// Cross-field problems of a complete gateway configuration (at least one
// client and one backend side, SNAT addresses on a backend-facing subnet,
// unique names and devices). Each names the option and, where one value is
// at fault, that value; empty when the configuration is usable.
struct GatewayProblem {
    std::string option;  // "port", "snat-address", ...
    std::string value;   // the offending value as the user wrote it, or ""
    std::string message;
};
std::vector<GatewayProblem> gateway_problems(const GatewaySettings& g);

}  // namespace svcnat
