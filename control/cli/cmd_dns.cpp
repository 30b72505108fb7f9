// `svcnat dns`: cluster DNS alone, for a node (or a host) that needs
// discovery but whose traffic something else programs. The same daemon as
// `svcnat run` (watching the manifests, reloading, last good state, health
// and metrics) with the DNS answer tables as its only data path.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "control/config/config.hpp"
#include "control/dns/dns_syncer.hpp"
#include "dns_part.hpp"
#include "control/state/state.hpp"
#include "daemon_command.hpp"

namespace svcnat::cli {
namespace {

constexpr std::string_view kUsage =
    "Usage: svcnat dns [--config FILE] [options] [MANIFEST...]\n"
    "Serves cluster DNS (Kubernetes DNS-Based Service Discovery 1.1.0) for the\n"
    "manifests over UDP and TCP and keeps it in step with them, like `svcnat run`\n"
    "but without programming the kernel. Metrics on 127.0.0.1:9153 (CoreDNS's\n"
    "port) unless --metrics-bind-address says otherwise.\n"
    "  --print-zone ZONE   print ZONE (the cluster domain, in-addr.arpa or ip6.arpa)\n"
    "                      as a master file and exit";

// `svcnat dns`'s own defaults: it must run next to `svcnat run` on one node.
Settings dns_defaults() {
    Settings d;
    d.healthz_bind_address = "";
    d.metrics_bind_address = "127.0.0.1:9153";
    return d;
}

void default_bind_addresses(Settings& s) {
    if (!s.dns.bind_addresses.empty()) return;
    s.dns.bind_addresses = {{*IPAddr::parse("0.0.0.0"), 53}, {*IPAddr::parse("::"), 53}};
}

int print_zone(const Settings& settings, const std::string& which) {
    const StateResult st = load_state(settings);
    for (const auto& d : st.load.diagnostics)
        if (d.severity == Severity::Error) std::cerr << d.str() << "\n";
    if (!st.ok()) return kExitFailure;
    const auto zone = dns::Zone::build(st.state.discovery, dns::zone_options(settings.dns, st.state.discovery, 1));
    dns::ZoneKind kind = dns::ZoneKind::Cluster;
    if (which == "in-addr.arpa") kind = dns::ZoneKind::ReverseV4;
    else if (which == "ip6.arpa") kind = dns::ZoneKind::ReverseV6;
    else if (which != settings.dns.cluster_domain && which != settings.dns.cluster_domain + ".") {
        std::cerr << "svcnat dns: --print-zone: unknown zone \"" << which << "\": expected "
                  << settings.dns.cluster_domain << ", in-addr.arpa or ip6.arpa\n";
        return kExitUsage;
    }
    std::cout << zone->master_file(kind);
    return kExitOk;
}

}  // namespace

int run_dns(int argc, const char* const* argv) {
    po::options_description extra("DNS options");
    extra.add_options()("print-zone", po::value<std::string>()->value_name("ZONE"),
                        "print the zone as a master file and exit");
    const DaemonCommand command("svcnat dns", argc, argv, extra, kUsage, dns_defaults(), default_bind_addresses);
    auto parsed = command.parse();
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    const Settings& settings = cmd.settings;
    if (!command.has_manifests(settings)) return kExitUsage;
    if (cmd.extra.count("print-zone")) return print_zone(settings, cmd.extra["print-zone"].as<std::string>());

    command.start_process(settings);
    const std::shared_ptr<dns::Server> server = start_dns_server(settings);
    if (!server) return kExitFailure;
    return command.serve(
        settings, [server](const Settings& s) -> std::unique_ptr<Syncer> {
            return std::make_unique<dns::DnsSyncer>(s.dns, server);
        },
        [server](Daemon& daemon) { attach_dns_metrics(daemon, server); });
}

}  // namespace svcnat::cli
