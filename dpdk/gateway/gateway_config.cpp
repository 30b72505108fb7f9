#include "gateway_config.hpp"

#include "control/lb/maglev.hpp"

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

namespace svcnat::dpdk {

namespace po = boost::program_options;

std::optional<MacAddr> parse_mac(std::string_view text) {
    MacAddr mac{};
    if (text.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
        unsigned v = 0;
        for (size_t j = 0; j < 2; ++j) {
            char c = text[i * 3 + j];
            unsigned d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return std::nullopt;
            v = v * 16 + d;
        }
        mac[i] = static_cast<uint8_t>(v);
    }
    return mac;
}

std::string mac_str(const MacAddr& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

std::string_view to_string(PortRole r) {
    switch (r) {
        case PortRole::Client: return "client";
        case PortRole::Backend: return "backend";
        case PortRole::Both: return "both";
    }
    return "?";
}

namespace {

[[noreturn]] void fail(const std::string& msg) { throw GatewayConfigError(msg); }

IPAddr parse_ip(std::string_view text, const std::string& what) {
    auto ip = IPAddr::parse(text);
    if (!ip) fail(what + ": invalid IP address: " + std::string(text));
    return *ip;
}

template <typename Int>
Int parse_uint(std::string_view text, const std::string& what, uint64_t max) {
    if (text.empty()) fail(what + ": empty number");
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') fail(what + ": not a number: " + std::string(text));
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > max) fail(what + ": out of range (max " + std::to_string(max) + "): " + std::string(text));
    }
    return static_cast<Int>(v);
}

}  // namespace

PortConfig parse_port_spec(std::string_view spec) {
    PortConfig p;
    const std::string where = "port '" + std::string(spec) + "'";
    std::set<std::string> seen;
    std::vector<IPAddr> next_hops;
    size_t pos = 0;
    while (pos <= spec.size()) {
        size_t comma = spec.find(',', pos);
        if (comma == std::string_view::npos) comma = spec.size();
        std::string_view item = spec.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty()) continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) fail(where + ": expected key=value, got '" + std::string(item) + "'");
        std::string key(item.substr(0, eq));
        std::string_view val = item.substr(eq + 1);
        // ip and next-hop once per family (a dual-stack port has both).
        std::string seen_key = key;
        if (key == "ip" || key == "next-hop") {
            const auto probe = IPAddr::parse(val.substr(0, val.find('/')));
            if (probe) seen_key += probe->is_v4() ? "4" : "6";
        }
        if (!seen.insert(seen_key).second) fail(where + ": " + key + " given twice");
        if (key == "name") {
            p.name = val;
        } else if (key == "device") {
            p.device = val;
        } else if (key == "role") {
            if (val == "client") p.role = PortRole::Client;
            else if (val == "backend") p.role = PortRole::Backend;
            else if (val == "both") p.role = PortRole::Both;
            else fail(where + ": role: expected client, backend or both, got '" + std::string(val) + "'");
        } else if (key == "ip") {
            auto c = CIDR::parse(val, false, true);
            if (!c)
                fail(where + ": ip: expected address/prefix (e.g. 192.0.2.1/24 or 2001:db8::1/64), got '" +
                     std::string(val) + "'");
            size_t slash = val.find('/');
            const IPAddr ip = parse_ip(val.substr(0, slash), where + ": ip");
            (ip.is_v4() ? p.v4 : p.v6) = PortAddress{*c, ip, std::nullopt};
        } else if (key == "mac") {
            auto m = parse_mac(val);
            if (!m) fail(where + ": mac: invalid MAC address '" + std::string(val) + "'");
            p.mac = *m;
        } else if (key == "next-hop") {
            next_hops.push_back(parse_ip(val, where + ": next-hop"));
        } else if (key == "mtu") {
            p.mtu = parse_uint<uint16_t>(val, where + ": mtu", 9600);
            if (p.mtu < 576) fail(where + ": mtu: at least 576");
        } else {
            fail(where + ": unknown key '" + key + "' (known: name, device, role, ip, mac, next-hop, mtu)");
        }
    }
    if (p.device.empty()) fail(where + ": device is required");
    if (!p.v4 && !p.v6) fail(where + ": ip is required");
    if (p.name.empty()) p.name = p.device;
    for (const IPAddr& hop : next_hops) {
        auto& fam = hop.is_v4() ? p.v4 : p.v6;
        if (!fam) fail(where + ": next-hop " + hop.str() + " has no ip of its family on this port");
        if (!fam->subnet.contains(hop))
            fail(where + ": next-hop " + hop.str() + " is outside " + fam->subnet.str());
        fam->next_hop = hop;
    }
    return p;
}

std::vector<size_t> GatewayConfig::client_ports() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < ports.size(); ++i)
        if (ports[i].faces_clients()) out.push_back(i);
    return out;
}

std::vector<size_t> GatewayConfig::backend_ports() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < ports.size(); ++i)
        if (ports[i].faces_backends()) out.push_back(i);
    return out;
}

std::optional<size_t> GatewayConfig::port_towards(const IPAddr& ip, bool backend_side) const {
    for (size_t i = 0; i < ports.size(); ++i) {
        bool side_ok = backend_side ? ports[i].faces_backends() : ports[i].faces_clients();
        if (side_ok && ports[i].on_link(ip)) return i;
    }
    for (size_t i = 0; i < ports.size(); ++i) {
        bool side_ok = backend_side ? ports[i].faces_backends() : ports[i].faces_clients();
        const PortAddress* a = ports[i].family_of(ip);
        if (side_ok && a != nullptr && a->next_hop) return i;
    }
    return std::nullopt;
}

void validate(const GatewayConfig& cfg) {
    if (cfg.ports.empty()) fail("port: at least one port is required");
    if (cfg.client_ports().empty()) fail("port: no port faces clients (role client or both)");
    if (cfg.backend_ports().empty()) fail("port: no port faces backends (role backend or both)");
    std::set<std::string> names, devices;
    for (const auto& p : cfg.ports) {
        if (!names.insert(p.name).second) fail("port: name '" + p.name + "' used twice");
        if (!devices.insert(p.device).second) fail("port: device '" + p.device + "' used twice");
    }
    if (cfg.snat_addresses.empty()) fail("snat-address: at least one local address is required for full-NAT");
    std::set<IPAddr> snat;
    for (const auto& a : cfg.snat_addresses) {
        if (!snat.insert(a).second) fail("snat-address: " + a.str() + " given twice");
        bool on_backend_port = false;
        for (size_t i : cfg.backend_ports()) on_backend_port |= cfg.ports[i].on_link(a);
        if (!on_backend_port)
            fail("snat-address: " + a.str() + " is in no backend-facing port's subnet (backends could not reply to it)");
    }
    if (!lb::is_prime(cfg.maglev_table_size))
        fail("maglev-table-size: " + std::to_string(cfg.maglev_table_size) + " is not prime (Maglev needs a prime size)");
    if (cfg.settings.manifests.empty()) fail("manifests: at least one manifest file or directory is required");
}

namespace {

// Option values as given, before they are checked and converted.
struct RawGatewayOptions {
    std::vector<std::string> ports, snat, neighbors, manifests, node_ips;
    uint32_t syn_s = 0, est_s = 0, fin_s = 0, close_s = 0, udp_s = 0;
};

// The options of the config file and the command line. Plain values go
// straight into `c`; the rest into `raw`.
po::options_description gateway_options(GatewayConfig& c, RawGatewayOptions& raw) {
    po::options_description opts("svcnat-gateway options (command line or --config file)");
    opts.add_options()
        ("manifests", po::value<std::vector<std::string>>(&raw.manifests)->composing(),
         "Kubernetes manifest file or directory (repeatable)")
        ("node-name", po::value<std::string>(&c.settings.node_name), "this node's name (default: host name)")
        ("node-ip", po::value<std::vector<std::string>>(&raw.node_ips)->composing(), "this node's IP (repeatable)")
        ("port", po::value<std::vector<std::string>>(&raw.ports)->composing(),
         "a port: device=DEV,role=client|backend|both,ip=A.B.C.D/N and/or ip=X::Y/N[,next-hop=IP per family][,name=N][,mac=M][,mtu=N] (repeatable)")
        ("snat-address", po::value<std::vector<std::string>>(&raw.snat)->composing(),
         "local address used as source towards backends, IPv4 or IPv6 (repeatable; one per family served at least)")
        ("neighbor", po::value<std::vector<std::string>>(&raw.neighbors)->composing(),
         "static neighbour IP,MAC (repeatable)")
        ("maglev-table-size", po::value<uint32_t>(&c.maglev_table_size)->default_value(c.maglev_table_size),
         "Maglev lookup table size (prime)")
        ("flows-per-lcore", po::value<uint32_t>(&c.flows_per_lcore)->default_value(c.flows_per_lcore),
         "flow table entries per lcore (both directions count)")
        ("mbufs", po::value<uint32_t>(&c.mbufs)->default_value(c.mbufs), "mbufs in the packet pool")
        ("rx-descriptors", po::value<uint16_t>(&c.rx_descriptors)->default_value(c.rx_descriptors), "rx ring size")
        ("tx-descriptors", po::value<uint16_t>(&c.tx_descriptors)->default_value(c.tx_descriptors), "tx ring size")
        ("tcp-syn-timeout", po::value<uint32_t>(&raw.syn_s)->default_value(c.timeouts.of(FlowState::SynSent) / 1000),
         "seconds a half-open TCP flow lives")
        ("tcp-established-timeout",
         po::value<uint32_t>(&raw.est_s)->default_value(c.timeouts.of(FlowState::Established) / 1000),
         "seconds an idle established TCP flow lives")
        ("tcp-fin-timeout", po::value<uint32_t>(&raw.fin_s)->default_value(c.timeouts.of(FlowState::FinWait) / 1000),
         "seconds a TCP flow lives after a FIN")
        ("tcp-close-timeout", po::value<uint32_t>(&raw.close_s)->default_value(c.timeouts.of(FlowState::Close) / 1000),
         "seconds a TCP flow lives after a RST")
        ("udp-timeout", po::value<uint32_t>(&raw.udp_s)->default_value(c.timeouts.of(FlowState::Udp) / 1000),
         "seconds an idle UDP flow lives")
        ("neighbor-hold-ms", po::value<uint32_t>(&c.neighbor_hold_ms)->default_value(c.neighbor_hold_ms),
         "how long a packet waits for ARP resolution before it is dropped")
        ("arp-refresh", po::value<uint32_t>(&c.arp_refresh_s)->default_value(c.arp_refresh_s),
         "seconds between ARP refreshes of learned neighbours")
        ("telemetry-prefix", po::value<std::string>(&c.telemetry_prefix)->default_value(c.telemetry_prefix),
         "prefix of the DPDK telemetry commands")
        ("watch", po::value<bool>(&c.watch_manifests)->default_value(c.watch_manifests),
         "reload when a manifest changes (inotify); SIGHUP always reloads")
        ("v", po::value<int>(&c.verbosity)->default_value(0), "log verbosity");
    return opts;
}

// The command line, then the --config file (the command line wins).
// False when --help was given.
bool read_options(int argc, const char* const* argv, const po::options_description& generic,
                  const po::options_description& opts) {
    po::options_description all;
    all.add(generic).add(opts);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
        if (vm.count("help")) return false;
        if (vm.count("config")) {
            const std::string file = vm["config"].as<std::string>();
            std::ifstream in(file);
            if (!in) fail(file + ": cannot open");
            try {
                po::store(po::parse_config_file(in, opts), vm);
            } catch (const po::error& e) {
                fail(file + ": " + e.what());
            }
        }
        po::notify(vm);
    } catch (const po::error& e) {
        fail(e.what());
    }
    return true;
}

void convert_timeouts(const RawGatewayOptions& raw, FlowTimeouts& t) {
    for (uint32_t v : {raw.syn_s, raw.est_s, raw.fin_s, raw.close_s, raw.udp_s})
        if (v == 0 || v > 86400 * 7) fail("flow timeouts: between 1 s and 7 days");
    t.of(FlowState::SynSent) = t.of(FlowState::SynRecv) = raw.syn_s * 1000;
    t.of(FlowState::Established) = raw.est_s * 1000;
    t.of(FlowState::FinWait) = t.of(FlowState::TimeWait) = raw.fin_s * 1000;
    t.of(FlowState::Close) = raw.close_s * 1000;
    t.of(FlowState::Udp) = raw.udp_s * 1000;
}

void convert_addresses(const RawGatewayOptions& raw, GatewayConfig& c) {
    for (const auto& s : raw.ports) c.ports.push_back(parse_port_spec(s));
    for (const auto& s : raw.snat) c.snat_addresses.push_back(parse_ip(s, "snat-address"));
    for (const auto& s : raw.neighbors) {
        const size_t comma = s.find(',');
        if (comma == std::string::npos) fail("neighbor: expected IP,MAC, got '" + s + "'");
        auto mac = parse_mac(std::string_view(s).substr(comma + 1));
        if (!mac) fail("neighbor: invalid MAC in '" + s + "'");
        c.neighbors.push_back({parse_ip(std::string_view(s).substr(0, comma), "neighbor"), *mac});
    }
    for (const auto& s : raw.node_ips) c.settings.node_ips.push_back(parse_ip(s, "node-ip"));
}

}  // namespace

ParsedGatewayArgs parse_gateway_args(int argc, const char* const* argv) {
    ParsedGatewayArgs out;
    GatewayConfig& c = out.config;
    RawGatewayOptions raw;
    po::options_description generic("svcnat-gateway options (command line)");
    generic.add_options()
        ("help,h", "print this help")
        ("config", po::value<std::string>(&c.config_file), "INI file with the options below");
    const po::options_description opts = gateway_options(c, raw);
    std::ostringstream help;
    help << "usage: svcnat-gateway [EAL options] -- --config FILE [options]\n" << generic << opts;
    out.help_text = help.str();
    if (!read_options(argc, argv, generic, opts)) {
        out.help = true;
        return out;
    }
    convert_timeouts(raw, c.timeouts);
    convert_addresses(raw, c);
    c.settings.manifests = raw.manifests;
    c.settings.config_file = c.config_file;
    c.settings.verbosity = c.verbosity;
    if (c.settings.node_name.empty()) {
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) == 0) c.settings.node_name = host;
    }
    if (c.rx_descriptors < 64 || c.tx_descriptors < 64) fail("rx/tx-descriptors: at least 64");
    if (c.flows_per_lcore < 1024) fail("flows-per-lcore: at least 1024");
    // Two rte_hash keys per flow, and the sweep's pacing arithmetic (flow_table.hpp).
    if (c.flows_per_lcore > (1u << 28)) fail("flows-per-lcore: at most 268435456");
    validate(c);
    return out;
}

}  // namespace svcnat::dpdk
