// Daemon and CLI settings, named like kube-proxy's flags. Filled by
// parse_settings() (config.hpp) from an INI file and the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/model/ip.hpp"
#include "control/model/route_state.hpp"
#include "gateway_settings.hpp"

namespace svcnat {

struct PortRange {
    uint16_t first = 30000;
    uint16_t last = 32767;
    bool contains(uint32_t p) const { return p >= first && p <= last; }
    std::string str() const { return std::to_string(first) + "-" + std::to_string(last); }
    bool operator==(const PortRange&) const = default;
};

// --nodeport-addresses: empty = the node's primary IPs; "all" (kube-proxy's
// special value) = every local address (`fib daddr type local`); otherwise CIDRs.
struct NodePortAddresses {
    bool all_local = false;
    std::vector<CIDR> cidrs;
    bool operator==(const NodePortAddresses&) const = default;
};

// Pod records a-b-c-d.NS.pod.ZONE, as CoreDNS's `pods` option.
enum class DnsPodMode { Disabled, Insecure, Verified };

// How the forwarder picks an upstream (CoreDNS `forward`'s `policy`).
enum class ForwardPolicy { Random, RoundRobin, Sequential };

// Cluster DNS (`svcnat dns`, `svcnat run --dns-bind-address`), named like
// the kubelet's and CoreDNS's settings.
struct DnsSettings {
    std::string cluster_domain = "cluster.local";  // --cluster-domain (lowercase, no trailing dot)
    std::vector<SocketAddress> bind_addresses;     // --dns-bind-address; empty: no DNS (svcnat run)
    uint32_t ttl = 30;                             // --dns-ttl (kubeadm's Corefile: 30)
    int workers = 0;                               // --dns-workers (0: the CPUs, at most 4)
    DnsPodMode pods = DnsPodMode::Disabled;        // --dns-pods
    // --dns-upstream: where names outside the cluster domain and the
    // reverse zones go (a resolv.conf's nameservers, or addresses); empty:
    // they are REFUSED.
    std::vector<SocketAddress> upstream;
    // The cache of upstream answers (CoreDNS `cache`): entries (0: none),
    // TTL bounds of positive and negative answers, prefetch, serve-stale.
    size_t cache_size = 10000;            // --dns-cache-size
    uint32_t cache_min_ttl = 5;           // --dns-cache-min-ttl
    uint32_t cache_max_ttl = 3600;        // --dns-cache-max-ttl
    uint32_t cache_denial_max_ttl = 1800; // --dns-cache-denial-max-ttl
    uint32_t cache_prefetch = 0;          // --dns-cache-prefetch (hits per minute; 0: off)
    uint32_t cache_serve_stale = 0;       // --dns-cache-serve-stale (seconds; 0: off)
    ForwardPolicy forward_policy = ForwardPolicy::Random;  // --dns-forward-policy
    uint32_t forward_max_fails = 2;       // --dns-forward-max-fails
    uint32_t health_check_ms = 500;       // --dns-forward-health-check
    bool autopath = false;                // --dns-autopath
    bool operator==(const DnsSettings&) const = default;
};

// The L7 proxy (`svcnat ingress`, `svcnat run --ingress-*-address`).
struct IngressSettings {
    IngressOptions routes;                          // what the route model needs (route_state.hpp)
    std::string haproxy = "/usr/sbin/haproxy";      // --haproxy
    std::string state_dir = "/run/svcnat/ingress";  // --ingress-state-dir
    std::vector<IPAddr> status_addresses;           // --ingress-status-address
    unsigned threads = 0;                           // --ingress-threads (0: HAProxy's default)
    bool operator==(const IngressSettings&) const = default;
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
    bool force_table = false;            // --force-table: take over a table svcnat did not make
    std::vector<std::string> manifests;  // positional / `manifests =`
    uint64_t max_manifest_bytes = uint64_t{256} << 20;  // --max-manifest-size
    bool cleanup_on_exit = false;        // --cleanup-on-exit
    int verbosity = 0;                   // -v / --v
    DnsSettings dns;
    IngressSettings ingress;
    GatewaySettings gateway;  // svcnat-gateway only

    bool dns_enabled() const { return !dns.bind_addresses.empty(); }
    bool ingress_enabled() const { return ingress.routes.enabled(); }
    bool operator==(const Settings&) const = default;
};

}  // namespace svcnat
