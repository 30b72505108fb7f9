// The gateway block of the settings (`svcnat-gateway`): its options and
// their conversion into GatewaySettings, with the same rules as every other
// block (values as text, errors at their flag or `file:line`, the command
// line wins over the file).
#include <algorithm>
#include <cctype>

#include "gateway_settings.hpp"
#include "origins.hpp"

namespace svcnat::config_detail {

namespace cv = config_values;

po::options_description gateway_option_block() {
    po::options_description d("Gateway options (svcnat-gateway)", 100, 50);
    auto str = [] { return po::value<std::string>(); };
    auto list = [] { return po::value<std::vector<std::string>>(); };
    const GatewaySettings def;
    auto dflt = [](auto v) { return " (default: " + std::to_string(v) + ")"; };
    d.add_options()
        ("port", list()->value_name("SPEC"),
         "a port (repeatable): device=DEV,role=client|backend|both,ip=A.B.C.D/N and/or ip=X::Y/N"
         "[,next-hop=IP, once per family][,name=N][,mac=M][,mtu=N]")
        ("snat-address", list()->value_name("IP"),
         "local address used as the source towards backends, IPv4 or IPv6 (repeatable; at least one per "
         "family served; ~64k concurrent flows each)")
        ("neighbor", list()->value_name("IP,MAC"), "static ARP/ND entry (repeatable)")
        ("maglev-table-size", str()->value_name("PRIME"), ("Maglev lookup table size" + dflt(def.maglev_table_size)).c_str())
        ("flows-per-lcore", str()->value_name("N"),
         ("flow table entries per worker and family" + dflt(def.flows_per_lcore)).c_str())
        ("mbufs", str()->value_name("N"), ("mbufs in the packet pool (at least what the queues need)" + dflt(def.mbufs)).c_str())
        ("rx-descriptors", str()->value_name("N"), ("rx ring size per queue" + dflt(def.rx_descriptors)).c_str())
        ("tx-descriptors", str()->value_name("N"), ("tx ring size per queue" + dflt(def.tx_descriptors)).c_str())
        ("tcp-syn-timeout", str()->value_name("DURATION"),
         ("idle time of a half-open TCP flow, e.g. 30s; a bare number is seconds" + dflt(def.timeouts.tcp_syn_s) + "s").c_str())
        ("tcp-established-timeout", str()->value_name("DURATION"),
         ("idle time of an established TCP flow" + dflt(def.timeouts.tcp_established_s) + "s").c_str())
        ("tcp-fin-timeout", str()->value_name("DURATION"),
         ("time a TCP flow lives after a FIN" + dflt(def.timeouts.tcp_fin_s) + "s").c_str())
        ("tcp-close-timeout", str()->value_name("DURATION"),
         ("time a TCP flow lives after a RST" + dflt(def.timeouts.tcp_close_s) + "s").c_str())
        ("udp-timeout", str()->value_name("DURATION"), ("idle time of a UDP flow" + dflt(def.timeouts.udp_s) + "s").c_str())
        ("neighbor-hold-ms", str()->value_name("MS"),
         ("how long a packet waits for ARP/ND resolution before it is dropped" + dflt(def.neighbor_hold_ms)).c_str())
        ("arp-refresh", str()->value_name("DURATION"),
         ("re-resolve learned neighbours this often; a bare number is seconds" + dflt(def.arp_refresh_s) + "s").c_str())
        ("worker-stall-timeout", str()->value_name("DURATION"),
         "a worker that has not polled for this long makes /healthz fail (default: 1s)")
        ("telemetry-prefix", str()->value_name("PREFIX"),
         "prefix of the DPDK telemetry commands (default: /svcnat)");
    return d;
}

namespace {

struct GatewayConverter {
    const po::variables_map& vm;
    const Origins& o;
    GatewaySettings& g;

    bool has(const char* k) const { return vm.count(k) > 0; }
    std::string get(const char* k) const { return vm[k].as<std::string>(); }

    uint64_t number(const char* key, uint64_t min, uint64_t max) const {
        const std::string v = get(key);
        const auto n = cv::parse_uint(v);
        if (!n || *n < min || *n > max)
            o.fail(key, v, "expected a whole number in " + std::to_string(min) + ".." + std::to_string(max));
        return *n;
    }
    // Go durations ("30s", "15m") as every duration setting takes them; a
    // bare number is seconds (what earlier gateway configs wrote).
    double duration_s(const char* key, double min_s, double max_s) const {
        const std::string v = get(key);
        const auto seconds = cv::parse_uint(v);
        const std::optional<double> d = seconds ? std::optional<double>(static_cast<double>(*seconds)) : cv::parse_duration(v);
        if (!d) o.fail(key, v, "expected a duration such as 30s, 15m or 500ms (a bare number is seconds)");
        if (*d < min_s || *d > max_s)
            o.fail(key, v, "expected between " + std::to_string(static_cast<long>(min_s * 1000)) + "ms and " +
                               std::to_string(static_cast<long>(max_s)) + "s");
        return *d;
    }
    uint32_t timeout_s(const char* key, uint32_t current) const {
        if (!has(key)) return current;
        return static_cast<uint32_t>(duration_s(key, 1, 7 * 86400));
    }

    void ports() {
        for (const auto& spec : raw_items(vm, "port")) {
            std::string error;
            auto p = parse_port_spec(spec, &error);
            if (!p) o.fail("port", spec, error);
            g.ports.push_back(std::move(*p));
        }
        for (const auto& item : list_items(vm, "snat-address")) {
            auto ip = IPAddr::parse(item);
            if (!ip) o.fail("snat-address", item, "expected an IP address");
            g.snat_addresses.push_back(*ip);
        }
        for (const auto& item : raw_items(vm, "neighbor")) {
            const size_t comma = item.find(',');
            auto ip = IPAddr::parse(item.substr(0, comma));
            auto mac = comma == std::string::npos ? std::nullopt : parse_mac(item.substr(comma + 1));
            if (!ip || !mac) o.fail("neighbor", item, "expected IP,MAC (e.g. 10.0.0.9,02:00:00:00:00:09)");
            g.neighbors.push_back({*ip, *mac});
        }
    }

    void sizes() {
        if (has("maglev-table-size"))
            g.maglev_table_size = static_cast<uint32_t>(number("maglev-table-size", 2, 1u << 26));
        // Flows index 32-bit slots, and the sweep's pacing multiplies them (flow_table.hpp).
        if (has("flows-per-lcore")) g.flows_per_lcore = static_cast<uint32_t>(number("flows-per-lcore", 1024, 1u << 28));
        if (has("mbufs")) g.mbufs = static_cast<uint32_t>(number("mbufs", 1024, 1u << 26));
        if (has("rx-descriptors")) g.rx_descriptors = static_cast<uint16_t>(number("rx-descriptors", 64, 32768));
        if (has("tx-descriptors")) g.tx_descriptors = static_cast<uint16_t>(number("tx-descriptors", 64, 32768));
    }

    void timing() {
        FlowTimeoutSettings& t = g.timeouts;
        t.tcp_syn_s = timeout_s("tcp-syn-timeout", t.tcp_syn_s);
        t.tcp_established_s = timeout_s("tcp-established-timeout", t.tcp_established_s);
        t.tcp_fin_s = timeout_s("tcp-fin-timeout", t.tcp_fin_s);
        t.tcp_close_s = timeout_s("tcp-close-timeout", t.tcp_close_s);
        t.udp_s = timeout_s("udp-timeout", t.udp_s);
        if (has("neighbor-hold-ms")) g.neighbor_hold_ms = static_cast<uint32_t>(number("neighbor-hold-ms", 1, 60000));
        if (has("arp-refresh")) g.arp_refresh_s = static_cast<uint32_t>(duration_s("arp-refresh", 1, 86400));
        if (has("worker-stall-timeout"))
            g.worker_stall_ms = static_cast<uint32_t>(duration_s("worker-stall-timeout", 0.01, 3600) * 1000);
        if (has("telemetry-prefix")) {
            const std::string v = get("telemetry-prefix");
            // DPDK telemetry commands: '/' then letters, digits, '_' and '/'.
            const bool ok = v.size() >= 2 && v.size() <= 32 && v.front() == '/' &&
                            std::all_of(v.begin(), v.end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/';
                            });
            if (!ok) o.fail("telemetry-prefix", v, "expected '/' then letters, digits, '_' or '/', at most 32 characters");
            g.telemetry_prefix = v;
        }
    }

    // The configuration as a whole: every problem, each at its origin.
    void check() const {
        std::string all;
        for (const GatewayProblem& p : gateway_problems(g)) {
            if (!all.empty()) all += "\n";
            all += o.label(p.option, p.value) + ": " + (p.value.empty() ? "" : "\"" + p.value + "\" ") + p.message;
        }
        if (!all.empty()) throw ConfigError(all);
    }
};

}  // namespace

void convert_gateway(const po::variables_map& vm, const Origins& origins, GatewaySettings& g) {
    GatewayConverter c{vm, origins, g};
    c.ports();
    c.sizes();
    c.timing();
    c.check();
}

}  // namespace svcnat::config_detail
