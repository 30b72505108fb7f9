// Daemon and CLI settings, named like kube-proxy's flags. Filled by
// parse_settings() (config.hpp) from an INI file and the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/model/ip.hpp"

namespace svcnat {

struct PortRange {
    uint16_t first = 30000;
    uint16_t last = 32767;
    bool contains(uint32_t p) const { return p >= first && p <= last; }
    std::string str() const { return std::to_string(first) + "-" + std::to_string(last); }
};

// --nodeport-addresses: empty = the node's primary IPs; "all" (kube-proxy's
// special value) = every local address (`fib daddr type local`); otherwise CIDRs.
struct NodePortAddresses {
    bool all_local = false;
    std::vector<CIDR> cidrs;
};

struct Settings {
    std::string config_file;             // --config
    std::string node_name;               // --node-name (default: host name)
    std::vector<IPAddr> node_ips;        // --node-ip (repeatable)
    std::vector<CIDR> cluster_cidrs;     // --cluster-cidr (comma list; empty = unknown)
    std::vector<CIDR> service_cidrs{*CIDR::parse("10.96.0.0/12")};  // --service-cidr
    PortRange node_port_range;           // --node-port-range
    NodePortAddresses nodeport_addresses;  // --nodeport-addresses
    bool masquerade_all = false;         // --masquerade-all
    uint8_t masquerade_bit = 14;         // --masquerade-bit (0..31)
    double sync_period_s = 30;           // --sync-period (full reconcile)
    double min_sync_period_s = 1;        // --min-sync-period (debounce)
    std::string healthz_bind_address = "0.0.0.0:10256";  // --healthz-bind-address ("" disables)
    std::string metrics_bind_address = "127.0.0.1:10249";  // --metrics-bind-address ("" disables)
    std::string table = "svcnat";        // --table
    std::vector<std::string> manifests;  // positional / `manifests =`
    bool cleanup_on_exit = false;        // --cleanup-on-exit
    int verbosity = 0;                   // -v / --v
    std::string lock_dir = "/run/svcnat";  // --lock-dir
};

}  // namespace svcnat
