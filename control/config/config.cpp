// Settings from the command line and an INI file. Boost.Program_options does
// the option grammar (long/short options, positionals, help text); the INI
// file is tokenised here because its errors must carry line numbers, which
// po::parse_config_file does not report. Every value is taken as text and
// converted by config_values so that a bad value names its origin:
//   --node-port-range: invalid value "30000": expected FIRST-LAST
//   conf/svcnat.conf:7: node-port-range: invalid value "30000": expected FIRST-LAST
#include "config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "origins.hpp"
#include "values.hpp"

namespace svcnat {

namespace {

namespace cv = config_values;
using config_detail::list_items;
using config_detail::Origins;

// Options that may be given more than once (and whose values accumulate).
const std::set<std::string> kListOptions = {"node-ip", "cluster-cidr", "service-cidr", "nodeport-addresses",
                                            "dns-bind-address", "dns-upstream", "manifests", "filename", "args",
                                            "port", "snat-address", "neighbor", "ingress-status-address"};
// Options that only make sense on the command line.
const std::set<std::string> kCommandLineOnly = {"help", "config", "filename", "args"};

auto str() { return po::value<std::string>(); }
auto list() { return po::value<std::vector<std::string>>(); }

// What every command takes: where the manifests are, which node this is,
// the service ranges (allocation), sync periods, health and metrics.
po::options_description common_options() {
    po::options_description d("Common options (kube-proxy's names; INI keys are the long names)", 100, 50);
    d.add_options()
        ("help,h", "print this help and exit")
        ("config", str()->value_name("FILE"),
         "INI file of settings (KEY = VALUE, keys as the long option names); the command line wins")
        ("filename,f", list()->value_name("PATH"),
         "manifest file or directory (repeatable)")
        ("node-name", str()->value_name("NAME"),
         "this node's name, for endpoint locality (default: host name)")
        ("node-ip", list()->value_name("IP[,IP]"),
         "this node's primary IPs (repeatable; default: the Node object's InternalIPs)")
        ("cluster-cidr", list()->value_name("CIDR[,CIDR]"),
         "pod CIDRs (several per family allowed); traffic from outside them to a ClusterIP is masqueraded")
        ("service-cidr", list()->value_name("CIDR[,CIDR]"),
         "ClusterIP ranges, several per family allowed, first with a free address allocates; ServiceCIDR "
         "objects in the manifests add theirs (default: 10.96.0.0/12)")
        ("node-port-range", str()->value_name("FIRST-LAST"),
         "NodePort range to allocate from (default: 30000-32767)")
        ("sync-period", str()->value_name("DURATION"),
         "full resync interval, e.g. 30s, 1m (default: 30s)")
        ("min-sync-period", str()->value_name("DURATION"),
         "minimum interval between syncs, e.g. 1s, 500ms (default: 1s)")
        ("healthz-bind-address", str()->value_name("IP:PORT"),
         "health check server address, \"\" disables (default: 0.0.0.0:10256)")
        ("metrics-bind-address", str()->value_name("IP:PORT"),
         "metrics server address, \"\" disables (default: 127.0.0.1:10249)")
        ("v,v", str()->value_name("LEVEL"), "log verbosity (default: 0)")
        ("max-manifest-size", str()->value_name("SIZE"),
         "largest manifest file read, e.g. 256Mi, 1Gi or bytes (default: 256Mi)")
        ("manifests", list()->value_name("PATH"),
         "manifest files or directories (positional arguments; INI: `manifests = DIR`, repeatable)");
    return d;
}

// Kernel mode's options (nftables).
po::options_description kernel_options() {
    po::options_description d("Kernel mode options", 100, 50);
    d.add_options()
        ("nodeport-addresses", list()->value_name("CIDRS|primary|all"),
         "addresses NodePorts answer on: CIDRs, `primary` (the node IPs; default) or `all` local addresses")
        ("masquerade-all", str()->implicit_value("true")->value_name("BOOL"),
         "SNAT all service traffic (default: false)")
        ("masquerade-bit", str()->value_name("0..31"),
         "fwmark bit marking packets to masquerade (default: 14)")
        ("table", str()->value_name("NAME"), "nftables table name (default: svcnat)")
        ("force-table", str()->implicit_value("true")->value_name("BOOL"),
         "replace (and on cleanup delete) a table of that name that svcnat did not make (default: false)")
        ("cleanup-on-exit", str()->implicit_value("true")->value_name("BOOL"),
         "remove the nftables table when the daemon exits (default: false)")
        ("lock-dir", str()->value_name("DIR"),
         "ignored: one svcnat per table and network namespace is now guarded without files (accepted so that "
         "older config files load)");
    return d;
}

// Cluster DNS's options.
po::options_description dns_options() {
    po::options_description d("Cluster DNS options", 100, 50);
    d.add_options()
        ("cluster-domain", str()->value_name("DOMAIN"), "cluster DNS domain (default: cluster.local)")
        ("dns-bind-address", list()->value_name("IP[:PORT]"),
         "serve cluster DNS here, UDP and TCP (repeatable; port 53 unless given; `svcnat dns` default: "
         "0.0.0.0:53 and [::]:53; `svcnat run`: no DNS unless given)")
        ("dns-ttl", str()->value_name("SECONDS"), "TTL of cluster DNS answers (default: 30)")
        ("dns-workers", str()->value_name("N"),
         "UDP worker threads per DNS address (default: the number of CPUs, at most 4)")
        ("dns-pods", str()->value_name("MODE"),
         "pod records a-b-c-d.NS.pod.DOMAIN: disabled, insecure (any address) or verified (pods in the "
         "manifests) (default: disabled)")
        ("dns-upstream", list()->value_name("RESOLV.CONF|IP[:PORT]"),
         "where other names go: a resolv.conf's nameservers or addresses; none: REFUSED (default: none)")
        ("dns-cache-size", str()->value_name("ENTRIES"),
         "answers from upstream kept in the cache, positive and negative (about 210 bytes each); 0: no cache "
         "(default: 10000)")
        ("dns-cache-min-ttl", str()->value_name("SECONDS"),
         "shortest time an upstream answer is cached, CoreDNS `cache`'s MINTTL (default: 5)")
        ("dns-cache-max-ttl", str()->value_name("SECONDS"),
         "longest time a positive upstream answer is cached (default: 3600)")
        ("dns-cache-denial-max-ttl", str()->value_name("SECONDS"),
         "longest time an NXDOMAIN or NODATA answer is cached; it lives for its SOA's minimum (RFC 2308) "
         "(default: 1800)")
        ("dns-cache-prefetch", str()->value_name("HITS"),
         "fetch an entry again before it expires when it was asked this often within a minute and 10% of "
         "its TTL is left; 0: never (default: 0)")
        ("dns-cache-serve-stale", str()->value_name("DURATION"),
         "answer from an expired entry (TTL 30 s, RFC 8767) for this long after it expired when no upstream "
         "answers; 0: never (default: 0)")
        ("dns-forward-policy", str()->value_name("POLICY"),
         "how an upstream is picked: random, round_robin or sequential (default: random)")
        ("dns-forward-max-fails", str()->value_name("N"),
         "timeouts in a row after which an upstream is skipped until its health check answers; 0: never "
         "(default: 2)")
        ("dns-forward-health-check", str()->value_name("DURATION"),
         "how often a skipped upstream is asked `. IN NS` (default: 0.5s)")
        ("dns-autopath", str()->implicit_value("true")->value_name("BOOL"),
         "answer a pod's first search-path query with what its search path finds, as a CNAME and its records "
         "(CoreDNS `autopath @kubernetes`; pods are known by their address in the manifests) (default: false)");
    return d;
}

std::string lowercase(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return {};
    // kube-proxy lowercases the host name: Node names are DNS subdomains.
    return lowercase(buf);
}

struct IniEntry {
    std::string key;
    std::string value;
    uint32_t line = 0;
};

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::vector<IniEntry> read_ini(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError("--config: cannot read \"" + path + "\": " + std::strerror(errno));
    std::vector<IniEntry> out;
    std::string raw;
    uint32_t line = 0;
    while (std::getline(in, raw)) {
        ++line;
        // '#' starts a comment anywhere, as in Boost's config file format;
        // ';' only at the start of a line (classic INI).
        auto hash = raw.find('#');
        std::string text = trim(std::string_view(raw).substr(0, hash));
        if (text.empty() || text.front() == ';') continue;
        const std::string where = path + ":" + std::to_string(line) + ": ";
        if (text.front() == '[')
            throw ConfigError(where + "sections are not supported: write KEY = VALUE at the top level");
        auto eq = text.find('=');
        if (eq == std::string::npos) throw ConfigError(where + "expected KEY = VALUE, got \"" + text + "\"");
        IniEntry e;
        e.key = trim(std::string_view(text).substr(0, eq));
        e.value = trim(std::string_view(text).substr(eq + 1));
        // `key = ""` is how an empty value (e.g. a disabled bind address) is written.
        if (e.value.size() >= 2 && e.value.front() == '"' && e.value.back() == '"')
            e.value = e.value.substr(1, e.value.size() - 2);
        e.line = line;
        if (e.key.empty()) throw ConfigError(where + "expected KEY = VALUE, got \"" + text + "\"");
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<CIDR> parse_cidrs(const po::variables_map& vm, const std::string& key, const Origins& origins,
                              bool service_range) {
    std::vector<CIDR> out;
    for (const auto& item : list_items(vm, key)) {
        auto c = CIDR::parse(item);
        if (!c) origins.fail(key, item, "expected a CIDR such as 10.96.0.0/12 or fd00:10:96::/108");
        // Several per family are fine: a cluster with ServiceCIDR objects
        // has several service ranges, a pod network several blocks.
        for (const auto& prev : out)
            if (prev == *c) origins.fail(key, item, "given twice");
        if (service_range) {
            // The API server's limits on --service-cluster-ip-range: room for
            // at least two services in IPv4, at most 2^20 addresses in IPv6.
            if (c->addr.is_v4() && c->prefix > 30)
                origins.fail(key, item, "an IPv4 service range needs a prefix of /30 or shorter");
            if (!c->addr.is_v4() && c->prefix < 108)
                origins.fail(key, item, "an IPv6 service range must be /108 or longer");
        }
        out.push_back(*c);
    }
    return out;
}

// The converters below fill Settings from the parsed options, one group
// each; every bad value throws ConfigError naming the option and its origin.
struct Converter {
    const po::variables_map& vm;
    const Origins& o;
    Settings& s;

    bool has(const char* k) const { return vm.count(k) > 0; }
    std::string get(const char* k) const { return vm[k].as<std::string>(); }

    bool boolean(const char* key) const {
        auto b = cv::parse_bool(get(key));
        if (!b) o.fail(key, get(key), "expected true or false");
        return *b;
    }
    int small_number(const char* key, int max, const char* expected) const {
        const auto n = cv::parse_uint(trim(get(key)));
        if (!n || *n > static_cast<uint64_t>(max)) o.fail(key, get(key), expected);
        return static_cast<int>(*n);
    }

    void node() {
        if (has("node-name")) {
            s.node_name = lowercase(trim(get("node-name")));
            if (s.node_name.empty()) o.fail("node-name", get("node-name"), "must not be empty");
        } else {
            s.node_name = host_name();
        }
        for (const auto& item : list_items(vm, "node-ip")) {
            auto ip = IPAddr::parse(item);
            if (!ip) o.fail("node-ip", item, "expected an IP address");
            s.node_ips.push_back(*ip);
        }
    }

    void ranges() {
        s.cluster_cidrs = parse_cidrs(vm, "cluster-cidr", o, false);
        if (has("service-cidr")) {
            s.service_cidrs = parse_cidrs(vm, "service-cidr", o, true);
            if (s.service_cidrs.empty()) o.fail("service-cidr", "", "expected at least one CIDR");
        }
        if (has("node-port-range")) {
            const std::string v = get("node-port-range");
            auto dash = v.find('-');
            auto digits = [](std::string_view t) {
                return !t.empty() &&
                       std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
            };
            if (dash == std::string::npos || !digits(trim(v.substr(0, dash))) || !digits(trim(v.substr(dash + 1))))
                o.fail("node-port-range", v, "expected FIRST-LAST");
            auto r = cv::parse_port_range(v);
            if (!r) o.fail("node-port-range", v, "expected 1 <= FIRST <= LAST <= 65535");
            s.node_port_range = *r;
        }
        for (const auto& item : list_items(vm, "nodeport-addresses")) {
            if (item == "primary") continue;  // the default: the node's primary IPs
            if (item == "all") {
                s.nodeport_addresses.all_local = true;
                continue;
            }
            auto c = CIDR::parse(item);
            if (!c) o.fail("nodeport-addresses", item, "expected CIDRs, \"primary\" or \"all\"");
            s.nodeport_addresses.cidrs.push_back(*c);
        }
        if (s.nodeport_addresses.all_local && !s.nodeport_addresses.cidrs.empty())
            o.fail("nodeport-addresses", "all", "\"all\" cannot be combined with CIDRs");
    }

    void masquerade() {
        if (has("masquerade-all")) s.masquerade_all = boolean("masquerade-all");
        if (has("masquerade-bit"))
            s.masquerade_bit = static_cast<uint8_t>(small_number("masquerade-bit", 31, "expected an integer in 0..31"));
    }

    void periods() {
        const char* duration_hint = "expected a duration such as 30s, 1m or 500ms";
        if (has("sync-period")) {
            auto d = cv::parse_duration(get("sync-period"));
            if (!d) o.fail("sync-period", get("sync-period"), duration_hint);
            if (*d <= 0) o.fail("sync-period", get("sync-period"), "must be greater than 0");
            s.sync_period_s = *d;
        }
        if (has("min-sync-period")) {
            auto d = cv::parse_duration(get("min-sync-period"));
            if (!d) o.fail("min-sync-period", get("min-sync-period"), duration_hint);
            s.min_sync_period_s = *d;
        }
        if (s.min_sync_period_s > s.sync_period_s)
            throw ConfigError(o.label("min-sync-period") + ": must not exceed sync-period (" +
                              std::to_string(s.min_sync_period_s) + "s > " + std::to_string(s.sync_period_s) + "s)");
    }

    void daemon() {
        if (has("cleanup-on-exit")) s.cleanup_on_exit = boolean("cleanup-on-exit");
        if (has("force-table")) s.force_table = boolean("force-table");
        if (has("max-manifest-size")) {
            auto bytes = cv::parse_size(get("max-manifest-size"));
            if (!bytes || *bytes == 0)
                o.fail("max-manifest-size", get("max-manifest-size"), "expected a size such as 256Mi, 1Gi or 1048576");
            s.max_manifest_bytes = *bytes;
        }
        for (const char* key : {"healthz-bind-address", "metrics-bind-address"}) {
            if (!has(key)) continue;
            const std::string v = trim(get(key));
            if (!v.empty() && !cv::is_host_port(v)) o.fail(key, v, "expected IP:PORT, [IPv6]:PORT or \"\" to disable");
            (std::string(key) == "healthz-bind-address" ? s.healthz_bind_address : s.metrics_bind_address) = v;
        }
        if (has("table")) {
            if (!cv::is_nft_identifier(get("table")))
                o.fail("table", get("table"),
                       "expected an nftables name: a letter or \"_\", then letters, digits, \"_\", \"-\", \".\" or "
                       "\"/\", at most 255 characters");
            s.table = get("table");
        }
        if (has("v")) s.verbosity = small_number("v", 99, "expected a log level 0..99");
    }

    uint32_t seconds(const char* key, uint32_t max) const {
        auto v = cv::parse_duration(get(key));
        if (!v || *v < 0 || *v > max) o.fail(key, get(key), "expected a duration such as 30s, 1m or 500ms");
        return static_cast<uint32_t>(*v);
    }

    void cache_and_forward(DnsSettings& d) const {
        if (has("dns-cache-size")) {
            const auto n = cv::parse_uint(trim(get("dns-cache-size")));
            if (!n || *n > 10'000'000) o.fail("dns-cache-size", get("dns-cache-size"), "expected 0..10000000 entries");
            d.cache_size = static_cast<size_t>(*n);
        }
        const char* ttl_hint = "expected seconds, 0..604800";
        if (has("dns-cache-min-ttl")) d.cache_min_ttl = static_cast<uint32_t>(small_number("dns-cache-min-ttl", 604800, ttl_hint));
        if (has("dns-cache-max-ttl")) d.cache_max_ttl = static_cast<uint32_t>(small_number("dns-cache-max-ttl", 604800, ttl_hint));
        if (has("dns-cache-denial-max-ttl"))
            d.cache_denial_max_ttl = static_cast<uint32_t>(small_number("dns-cache-denial-max-ttl", 604800, ttl_hint));
        if (d.cache_min_ttl > d.cache_max_ttl)
            o.fail("dns-cache-min-ttl", std::to_string(d.cache_min_ttl), "is more than --dns-cache-max-ttl");
        if (has("dns-cache-prefetch"))
            d.cache_prefetch = static_cast<uint32_t>(small_number("dns-cache-prefetch", 1'000'000, "expected hits, 0..1000000"));
        if (has("dns-cache-serve-stale")) d.cache_serve_stale = seconds("dns-cache-serve-stale", 7 * 86400);
        if (has("dns-forward-policy")) {
            const std::string v = get("dns-forward-policy");
            if (v == "random") d.forward_policy = ForwardPolicy::Random;
            else if (v == "round_robin") d.forward_policy = ForwardPolicy::RoundRobin;
            else if (v == "sequential") d.forward_policy = ForwardPolicy::Sequential;
            else o.fail("dns-forward-policy", v, "expected random, round_robin or sequential");
        }
        if (has("dns-forward-max-fails"))
            d.forward_max_fails = static_cast<uint32_t>(small_number("dns-forward-max-fails", 1000, "expected 0..1000"));
        if (has("dns-forward-health-check")) {
            auto v = cv::parse_duration(get("dns-forward-health-check"));
            if (!v || *v < 0.01 || *v > 3600)
                o.fail("dns-forward-health-check", get("dns-forward-health-check"), "expected a duration, 10ms..1h");
            d.health_check_ms = static_cast<uint32_t>(*v * 1000);
        }
        if (has("dns-autopath")) d.autopath = boolean("dns-autopath");
    }

    void dns() {
        DnsSettings& d = s.dns;
        if (has("cluster-domain")) {
            auto name = cv::parse_domain_name(trim(get("cluster-domain")));
            if (!name) o.fail("cluster-domain", get("cluster-domain"), "expected a DNS domain name such as cluster.local");
            d.cluster_domain = *name;
        }
        for (const auto& item : list_items(vm, "dns-bind-address")) {
            auto a = cv::parse_socket_address(item, 53);
            if (!a) o.fail("dns-bind-address", item, "expected IP, IP:PORT or [IPv6]:PORT");
            if (std::find(d.bind_addresses.begin(), d.bind_addresses.end(), *a) != d.bind_addresses.end())
                o.fail("dns-bind-address", item, "given twice");
            d.bind_addresses.push_back(*a);
        }
        if (has("dns-workers")) d.workers = small_number("dns-workers", 64, "expected 1..64 threads");
        if (has("dns-workers") && d.workers < 1) o.fail("dns-workers", get("dns-workers"), "expected 1..64 threads");
        if (has("dns-ttl")) d.ttl = static_cast<uint32_t>(small_number("dns-ttl", 3600, "expected seconds, 0..3600"));
        if (has("dns-pods")) {
            const std::string v = get("dns-pods");
            if (v == "disabled") d.pods = DnsPodMode::Disabled;
            else if (v == "insecure") d.pods = DnsPodMode::Insecure;
            else if (v == "verified") d.pods = DnsPodMode::Verified;
            else o.fail("dns-pods", v, "expected disabled, insecure or verified");
        }
        for (const auto& item : list_items(vm, "dns-upstream")) {
            if (!item.empty() && item.front() == '/') {
                std::string error;
                auto servers = cv::read_resolv_conf_nameservers(item, &error);
                if (!error.empty()) o.fail("dns-upstream", item, error);
                d.upstream.insert(d.upstream.end(), servers.begin(), servers.end());
                continue;
            }
            auto a = cv::parse_socket_address(item, 53);
            if (!a) o.fail("dns-upstream", item, "expected a resolv.conf path, IP, IP:PORT or [IPv6]:PORT");
            d.upstream.push_back(*a);
        }
        cache_and_forward(d);
        // Forwarding to ourselves would loop until the query times out.
        for (const auto& u : d.upstream)
            if (std::find(d.bind_addresses.begin(), d.bind_addresses.end(), u) != d.bind_addresses.end())
                o.fail("dns-upstream", u.str(), "is one of --dns-bind-address: queries would loop");
    }
};

void convert(const po::variables_map& vm, const Origins& o, Settings& s) {
    Converter c{vm, o, s};
    c.node();
    c.ranges();
    c.masquerade();
    c.periods();
    c.daemon();
    c.dns();
}

// Boost's messages quote options as '--name'; ours say `--name: ...`.
[[noreturn]] void rethrow_po(const po::error& e) {
    if (auto* u = dynamic_cast<const po::unknown_option*>(&e))
        throw ConfigError("unknown option \"" + u->get_option_name() + "\"");
    if (auto* m = dynamic_cast<const po::multiple_occurrences*>(&e))
        throw ConfigError(m->get_option_name() + ": given more than once");
    if (auto* s = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
        if (s->kind() == po::invalid_syntax::missing_parameter)
            throw ConfigError(s->get_option_name() + ": missing value");
        if (s->kind() == po::invalid_syntax::empty_adjacent_parameter)
            throw ConfigError(s->get_option_name() + ": missing value");
        if (s->kind() == po::invalid_syntax::extra_parameter)
            throw ConfigError(s->get_option_name() + ": takes no value");
    }
    if (dynamic_cast<const po::too_many_positional_options_error*>(&e))
        throw ConfigError("too many arguments");
    throw ConfigError(e.what());
}

}  // namespace

ParsedCommand parse_command_line(int argc, const char* const* argv, const po::options_description& extra,
                                 std::string_view usage) {
    return parse_command_line(argc, argv, extra, usage, CommandLineOptions{});
}

ParsedCommand parse_command_line(int argc, const char* const* argv, const po::options_description& extra,
                                 std::string_view usage, const CommandLineOptions& how) {
    ParsedCommand out;
    po::options_description hidden;
    hidden.add_options()("args", po::value<std::vector<std::string>>());
    po::options_description visible;
    visible.add(common_options());
    if (how.blocks.kernel) visible.add(kernel_options());
    if (how.blocks.dns) visible.add(dns_options());
    if (how.blocks.ingress) visible.add(config_detail::ingress_option_block());
    if (how.blocks.gateway) visible.add(config_detail::gateway_option_block());
    if (!extra.options().empty()) visible.add(extra);
    po::options_description all;
    all.add(visible).add(hidden);
    std::ostringstream help;
    help << usage << "\n\n" << visible;
    out.help_text = help.str();

    po::positional_options_description positional;
    positional.add(how.positionals_are_manifests ? "manifests" : "args", -1);

    // `--metrics-bind-address=` must mean "empty" (disabled), as with
    // kube-proxy's flags, but Boost rejects an empty adjacent value: pass it
    // as a separate empty token instead. Options with an implicit value
    // (booleans) keep Boost's error, since their bare form means true.
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.size() > 3 && a.substr(0, 2) == "--" && a.back() == '=' && a.find('=') == a.size() - 1) {
            std::string key(a.substr(2, a.size() - 3));
            const po::option_description* d = all.find_nothrow(key, false);
            if (d && d->semantic()->min_tokens() == 1) {
                args.emplace_back(a.substr(0, a.size() - 1));
                args.emplace_back();
                continue;
            }
        }
        // A bare boolean (`--masquerade-all DIR`) must not swallow the next
        // word as its value: as with kube-proxy's Go flags, a boolean takes
        // a value only after '='. (Every option with an implicit value is a
        // boolean whose implicit value is "true".)
        if (a.size() > 2 && a.substr(0, 2) == "--" && a.find('=') == std::string_view::npos) {
            const po::option_description* d = all.find_nothrow(std::string(a.substr(2)), false);
            if (d && d->semantic()->min_tokens() == 0 && d->semantic()->max_tokens() == 1) {
                args.emplace_back(std::string(a) + "=true");
                continue;
            }
        }
        args.emplace_back(a);
    }
    po::variables_map vm;
    Origins origins;
    try {
        // No guessing: `--node` must not silently mean `--node-name`.
        auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        po::parsed_options cmd = po::command_line_parser(args).options(all).positional(positional).style(style).run();
        po::store(cmd, vm);
        for (const auto& opt : cmd.options) origins.from_flag(opt.string_key);
    } catch (const po::error& e) {
        rethrow_po(e);
    }
    if (vm.count("help")) {
        out.help = true;
        out.extra = std::move(vm);
        return out;
    }

    // Command-line manifests (positionals and -f) replace the file's.
    std::vector<std::string> cmd_manifests = list_items(vm, "filename");
    if (vm.count("manifests"))
        for (const auto& p : vm["manifests"].as<std::vector<std::string>>()) cmd_manifests.push_back(p);

    if (vm.count("config")) {
        const std::string path = vm["config"].as<std::string>();
        out.settings.config_file = path;
        po::parsed_options file(&all);
        std::set<std::string> seen;
        for (const auto& e : read_ini(path)) {
            const std::string where = path + ":" + std::to_string(e.line) + ": ";
            const po::option_description* d = all.find_nothrow(e.key, false);
            if (!d || e.key == "args") throw ConfigError(where + "unknown option \"" + e.key + "\"");
            if (kCommandLineOnly.count(e.key))
                throw ConfigError(where + "option \"" + e.key + "\" is only valid on the command line");
            if (!seen.insert(e.key).second && !kListOptions.count(e.key))
                throw ConfigError(where + "option \"" + e.key + "\" given more than once");
            if (e.key == "manifests" && !cmd_manifests.empty()) continue;
            if (!vm.count(e.key)) origins.from_file(e.key, e.value, path, e.line);
            file.options.emplace_back(e.key, std::vector<std::string>{e.value});
        }
        try {
            po::store(file, vm);  // keeps values the command line already set
        } catch (const po::error& e) {
            rethrow_po(e);
        }
    }
    try {
        po::notify(vm);
    } catch (const po::error& e) {
        rethrow_po(e);
    }

    if (how.defaults) {
        const std::string config_file = out.settings.config_file;
        out.settings = *how.defaults;
        out.settings.config_file = config_file;
    }
    convert(vm, origins, out.settings);
    if (how.blocks.ingress) config_detail::convert_ingress(vm, origins, out.settings.ingress);
    if (how.blocks.gateway) config_detail::convert_gateway(vm, origins, out.settings.gateway);
    if (!cmd_manifests.empty()) out.settings.manifests = cmd_manifests;
    else if (vm.count("manifests")) out.settings.manifests = vm["manifests"].as<std::vector<std::string>>();

    if (how.positionals_are_manifests) {
        if (vm.count("manifests") && !cmd_manifests.empty())
            out.positionals = vm["manifests"].as<std::vector<std::string>>();
    } else if (vm.count("args")) {
        out.positionals = vm["args"].as<std::vector<std::string>>();
    }
    out.extra = std::move(vm);
    return out;
}

}  // namespace svcnat
