// `svcnat run`: the long-running daemon (kube-proxy's role). Wires the real
// pieces together: settings from --config and flags, the instance guard,
// kernel mode's syncer, load_state(), and the daemon's event loop.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "control/config/config.hpp"
#include "control/state/state.hpp"
#include "nft/kernel_syncer.hpp"
#include "control/daemon/daemon.hpp"
#include "control/daemon/instance_guard.hpp"
#include "control/daemon/logging.hpp"
#include "control/dns/dns_syncer.hpp"
#include "dns_part.hpp"
#include "control/sync/syncer_set.hpp"
#include "ingress_part.hpp"

namespace svcnat::cli {
namespace {

// Kernel mode's syncer, with what only it knows (the size of its netlink
// batches) exported next to the daemon's metrics.
class MeteredKernelSyncer final : public Syncer {
public:
    MeteredKernelSyncer(const Settings& settings, prometheus::Registry& registry)
        : kernel_(settings, nft::SyncerMode::Incremental),
          messages_(prometheus::BuildGauge()
                        .Name("svcnat_sync_batch_messages")
                        .Help("Netlink messages in the last batch sent to the kernel")
                        .Register(registry)
                        .Add({})),
          bytes_(prometheus::BuildGauge()
                     .Name("svcnat_sync_batch_bytes")
                     .Help("Bytes of the last netlink batch sent to the kernel")
                     .Register(registry)
                     .Add({})) {}

    SyncReport sync(const SharedState& desired, bool full) override {
        SyncReport report = kernel_.sync(desired, full);
        if (report.sent) {
            messages_.Set(static_cast<double>(kernel_.last_stats().messages));
            bytes_.Set(static_cast<double>(kernel_.last_stats().bytes));
        }
        return report;
    }
    bool cleanup(std::string* error) override { return kernel_.cleanup(error); }

private:
    nft::KernelSyncer kernel_;
    prometheus::Gauge& messages_;
    prometheus::Gauge& bytes_;
};

constexpr std::string_view kUsage =
    "Usage: svcnat run [--config FILE] [options] [MANIFEST...]\n"
    "Programs the kernel from the manifests, then keeps it in sync: watches the\n"
    "manifests and the config file, resyncs on change (at most every\n"
    "--min-sync-period), reconciles every --sync-period, reloads on SIGHUP.\n"
    "Serves /healthz, /livez and /metrics like kube-proxy, cluster DNS from the same\n"
    "state when --dns-bind-address is given (see `svcnat dns --help`), and Ingresses\n"
    "and HTTPRoutes through HAProxy when --ingress-http-address or\n"
    "--ingress-https-address is given (see `svcnat ingress --help`).";

}  // namespace

int run_run(int argc, const char* const* argv) {
    const po::options_description extra("Daemon options");
    auto parsed = parse_or_report(argc, argv, extra, kUsage);
    if (!parsed.command) return parsed.exit_status;
    Settings settings = parsed.command->settings;
    setup_daemon_logging(settings.verbosity);
    if (settings.manifests.empty()) {
        spdlog::error("no manifests: give files or directories as arguments or `manifests =` in the config file");
        return kExitUsage;
    }
    // Peers closing health-check connections must not kill the daemon.
    signal(SIGPIPE, SIG_IGN);
    // Before any thread exists, so that only the event loop's signalfd sees them.
    block_daemon_signals();

    std::optional<InstanceGuard> guard;
    try {
        guard.emplace(settings.table);
    } catch (const LockError& e) {
        spdlog::error("{}", e.what());
        return kExitFailure;
    }

    // SIGHUP and config-file edits re-read the same file with the same flags;
    // argv stays valid for the life of main().
    auto reload = [argc, argv, &extra]() {
        return parse_command_line(argc, argv, extra, kUsage).settings;
    };
    // Decoded files are kept between reloads: a change to one file re-reads
    // only that file (see ManifestCache). Only the event loop's thread loads.
    auto cache = std::make_shared<ManifestCache>();
    auto loader = [cache](const Settings& s) { return load_state(s, cache.get()); };
    auto registry = std::make_shared<prometheus::Registry>();
    // Cluster DNS beside the kernel rules: its sockets live as long as the
    // daemon (a config reload makes new syncers, not new sockets).
    std::shared_ptr<dns::Server> dns_server;
    if (settings.dns_enabled()) {
        dns_server = start_dns_server(settings);
        if (!dns_server) return kExitFailure;
    }
    // Ingress beside them: HAProxy lives as long as the daemon too.
    std::shared_ptr<ingress::Proxy> proxy;
    if (settings.ingress_enabled()) {
        try {
            proxy = make_proxy(settings.ingress);
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return kExitFailure;
        }
    }
    auto make_syncer = [registry, dns_server, proxy](const Settings& s) -> std::unique_ptr<Syncer> {
        auto kernel = std::make_unique<MeteredKernelSyncer>(s, *registry);
        if (!dns_server && !proxy) return kernel;
        std::vector<std::unique_ptr<Syncer>> parts;
        parts.push_back(std::move(kernel));
        if (dns_server) {
            // Settings from a reload keep the DNS on (the sockets are bound).
            DnsSettings d = s.dns;
            if (d.bind_addresses.empty()) d.bind_addresses = dns_server->bound();
            parts.push_back(std::make_unique<dns::DnsSyncer>(d, dns_server));
        }
        if (proxy) parts.push_back(std::make_unique<ingress::IngressSyncer>(proxy));
        return std::make_unique<SyncerSet>(std::move(parts));
    };
    try {
        Daemon daemon(settings, make_syncer, loader, reload, registry);
        if (proxy) attach_proxy(daemon, proxy);
        if (dns_server) attach_dns_metrics(daemon, dns_server);
        return daemon.run();
    } catch (const std::exception& e) {
        spdlog::critical("svcnat run: {}", e.what());
        return kExitFailure;
    }
}

}  // namespace svcnat::cli
