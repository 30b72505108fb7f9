// svcnat-gateway: EAL arguments, then `--` and the settings (the same
// parser as every svcnat command: common options and the gateway block,
// INI + command line). The gateway is a data path of the daemon
// (control/daemon): the daemon's loop loads the manifests, reconciles,
// reloads on change and SIGHUP, and serves /healthz, /livez and /metrics;
// the worker lcores forward; the main lcore runs the daemon's loop, which
// also drives the gateway's control tick (ARP/ND requests, held packets).
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <prometheus/registry.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string_view>
#include <vector>

#include "control/config/config.hpp"
#include "control/daemon/daemon.hpp"
#include "control/daemon/logging.hpp"
#include "control/state/state.hpp"
#include "dpdk/gateway/gateway.hpp"
#include "dpdk/gateway/gateway_health.hpp"
#include "dpdk/gateway/gateway_metrics.hpp"
#include "dpdk/gateway/gateway_syncer.hpp"
#include "dpdk/gateway/telemetry.hpp"
#include "dpdk/gateway/worker.hpp"
#include "version.hpp"

namespace {

using namespace svcnat;
using namespace svcnat::dpdk;
using Gateway = svcnat::dpdk::Gateway;  // not the Gateway API object (control/model)

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "Usage: svcnat-gateway [EAL options] -- [--config FILE] [options] [MANIFEST...]\n"
    "Serves every LoadBalancer ingress IP and externalIP of the manifests' Services with\n"
    "Maglev and full NAT (IPv4 and IPv6) on the DPDK worker lcores, and keeps in step\n"
    "with the manifests like `svcnat run` (watch, reconcile, SIGHUP). /healthz fails when\n"
    "a port has no link or a worker stops polling; /metrics has svcnat_gateway_*.";

// The gateway's view of the settings: common options and the gateway block.
CommandLineOptions gateway_command_line() {
    CommandLineOptions how;
    how.blocks = {/*kernel=*/false, /*dns=*/false, /*ingress=*/false, /*gateway=*/true};
    return how;
}

int run_worker(void* arg) {
    static_cast<Worker*>(arg)->run();
    return 0;
}

// Detaches telemetry from the gateway before it is destroyed, also when
// unwinding.
struct TelemetryAttachment {
    std::string prefix;
    TelemetryAttachment(Gateway* gw, std::string p) : prefix(std::move(p)) {
        if (!register_telemetry(gw, prefix)) spdlog::warn("telemetry commands not registered");
    }
    ~TelemetryAttachment() { register_telemetry(nullptr, prefix); }
};

// The daemon over the gateway, until SIGTERM/SIGINT.
int serve(const Settings& settings, const std::vector<unsigned>& lcores, int argc, const char* const* argv) {
    std::unique_ptr<Gateway> gw = Gateway::create(settings.gateway, static_cast<uint16_t>(lcores.size()));
    TelemetryAttachment telemetry(gw.get(), settings.gateway.telemetry_prefix);
    for (const PortRuntime& p : gw->ports())
        spdlog::info("port {} ({}): {} rx/{} tx queues{}", p.name, p.driver, p.rx_queues, p.tx_queues,
                     p.rss ? ", RSS" : "");

    // SIGHUP and config-file edits re-read the same file with the same flags.
    auto reload = [argc, argv] { return parse_command_line(argc, argv, {}, kUsage, gateway_command_line()).settings; };
    auto cache = std::make_shared<ManifestCache>();
    auto loader = [cache](const Settings& s) { return load_state(s, cache.get()); };
    Gateway& gateway = *gw;
    const GatewaySettings started_with = settings.gateway;
    auto make_syncer = [&gateway, started_with](const Settings& s) -> std::unique_ptr<Syncer> {
        // Ports, queues, pools and tables are made once, at start.
        if (!(s.gateway == started_with))
            spdlog::warn("gateway options changed: they take effect after a restart");
        return std::make_unique<GatewaySyncer>(gateway);
    };
    auto registry = std::make_shared<prometheus::Registry>();
    Daemon daemon(settings, make_syncer, loader, reload, registry);
    daemon.serve_health_check_node_ports(false);  // kube-proxy's, for nodes: not an edge's
    daemon.every(std::chrono::milliseconds(5), [&gateway] { gateway.control_tick(); });
    daemon.set_data_path_probe([&gateway] { return gateway_health(gateway); });
    daemon.add_collectable(std::make_shared<GatewayMetrics>(gateway));

    // Workers stop and are waited for however this scope ends.
    struct Workers {
        Gateway& gw;
        ~Workers() {
            gw.stop();
            rte_eal_mp_wait_lcore();
        }
    } workers{gateway};
    for (size_t w = 0; w < lcores.size(); ++w)
        rte_eal_remote_launch(run_worker, &gw->worker(static_cast<uint16_t>(w)), lcores[w]);
    spdlog::info("{} worker lcore(s) polling", lcores.size());
    return daemon.run();
}

// `svcnat-gateway --version` and `svcnat-gateway --help` (ours; EAL's
// own options are listed by `svcnat-gateway -h`): answered before EAL
// starts, which would want hugepages and devices (and the man page is made
// from this help at build time).
bool answered_without_eal(int argc, char** argv) {
    if (argc < 2) return false;
    const std::string_view first = argv[1];
    if (first == "--version") {
        std::cout << "svcnat-gateway " SVCNAT_VERSION " (commit " SVCNAT_COMMIT ")\n";
        return true;
    }
    if (first != "--help") return false;
    const char* help[] = {argv[0], "--help"};
    std::cout << parse_command_line(2, help, {}, kUsage, gateway_command_line()).help_text << "\n"
              << "EAL options (before `--`): DPDK's; `svcnat-gateway -h` lists them.\n";
    return true;
}

// EAL first (it takes its own arguments), then ours after `--`.
int gateway_main(int argc, char** argv) {
    if (answered_without_eal(argc, argv)) return kExitOk;
    // Before EAL starts its threads, so that only the daemon's signalfd
    // sees SIGTERM, SIGINT and SIGHUP.
    block_daemon_signals();
    signal(SIGPIPE, SIG_IGN);  // peers closing HTTP connections
    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0) {
        std::fprintf(stderr, "svcnat-gateway: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return kExitFailure;
    }
    // EAL leaves the program name in argv[eal_args] for the application.
    const int our_argc = argc - eal_args;
    const char* const* our_argv = argv + eal_args;
    ParsedCommand cmd;
    try {
        cmd = parse_command_line(our_argc, our_argv, {}, kUsage, gateway_command_line());
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "svcnat-gateway: %s\n", e.what());
        rte_eal_cleanup();
        return kExitUsage;
    }
    if (cmd.help) {
        std::cout << cmd.help_text << "\n";
        rte_eal_cleanup();
        return kExitOk;
    }
    const Settings& settings = cmd.settings;
    setup_daemon_logging(settings.verbosity);
    std::vector<unsigned> lcores;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) lcores.push_back(lcore);
    int rc = kExitOk;
    if (settings.manifests.empty()) {
        spdlog::error("no manifests: give files or directories as arguments or `manifests =` in the config file");
        rc = kExitUsage;
    } else if (lcores.empty()) {
        spdlog::error("no worker lcore: give EAL at least two (e.g. -l 0,1; --lcores '(0,1)@0' on one CPU)");
        rc = kExitUsage;
    } else {
        try {
            rc = serve(settings, lcores, our_argc, our_argv);
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            rc = kExitFailure;
        }
    }
    rte_eal_cleanup();
    return rc;
}

}  // namespace

int main(int argc, char** argv) { return gateway_main(argc, argv); }
