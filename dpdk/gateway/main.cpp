// svcnat-gateway: EAL arguments, then `-- --config FILE`. Loads the
// manifests with load_state(), serves every LoadBalancer ingress IP and
// externalIP with Maglev + full NAT on the worker lcores, and reloads on
// SIGHUP or manifest changes. The main lcore does control work only.
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "control/state/state.hpp"
#include "gateway.hpp"
#include "gateway_config.hpp"
#include "control_events.hpp"
#include "telemetry.hpp"
#include "worker.hpp"

namespace {

using namespace svcnat;
using namespace svcnat::dpdk;

int run_worker(void* arg) {
    static_cast<Worker*>(arg)->run();
    return 0;
}

// One line per served service port: what an operator checks first.
void log_services(const ServiceState& s) {
    for (const ResolvedServicePort& p : s.ports) {
        if (p.loadBalancerIPs.empty() && p.externalIPs.empty()) continue;
        std::string vips;
        for (const auto* list : {&p.loadBalancerIPs, &p.externalIPs})
            for (const IPAddr& ip : *list) vips += (vips.empty() ? "" : ",") + ip.str();
        spdlog::info("service {} {} {}:{} -> {} usable of {} endpoint(s)", p.id(), to_string(p.protocol), vips, p.port,
                     usable_endpoints(p, false).size(), p.endpoints.size());
    }
}

// Loads and resolves the manifests; logs every diagnostic. nullopt on errors.
std::optional<ServiceState> load(const GatewayConfig& cfg) {
    StateResult r = load_state(cfg.settings);
    for (const Diagnostic& d : r.load.diagnostics) {
        if (d.severity == Severity::Error) spdlog::error("{}", d.str());
        else if (d.severity == Severity::Warning) spdlog::warn("{}", d.str());
        else spdlog::debug("{}", d.str());
    }
    if (!r.ok()) return std::nullopt;
    log_services(r.state);
    return std::move(r.state);
}

size_t count_vips(const ServiceState& s) {
    size_t n = 0;
    for (const auto& p : s.ports) n += p.loadBalancerIPs.size() + p.externalIPs.size();
    return n;
}

// Loads the manifests again and swaps the service snapshot; the current
// services stay on any error.
void reload(Gateway& gw, const GatewayConfig& cfg) {
    auto next = load(cfg);
    std::string err;
    if (!next) {
        gw.count_reload_failure();
        spdlog::error("reload: manifests have errors; keeping the current services");
    } else if (!gw.install(*next, &err)) {
        gw.count_reload_failure();
        spdlog::error("reload: {}", err);
    } else {
        spdlog::info("reloaded: {} VIP address(es) of {} service port(s)", count_vips(*next), next->ports.size());
    }
}

// The workers on their lcores; the main lcore does control work (ARP,
// rates, reloads) until SIGTERM/SIGINT.
void serve(const GatewayConfig& cfg, const std::vector<unsigned>& lcores, const ServiceState& state) {
    auto gw = Gateway::create(cfg, static_cast<uint16_t>(lcores.size()));
    std::string error;
    if (!gw->install(state, &error)) throw std::runtime_error("service snapshot: " + error);
    if (!register_telemetry(gw.get(), cfg.telemetry_prefix)) spdlog::warn("telemetry commands not registered");
    // Detach telemetry before `gw` is destroyed, also when unwinding.
    struct TelemetryDetach {
        std::string prefix;
        ~TelemetryDetach() { register_telemetry(nullptr, prefix); }
    } detach{cfg.telemetry_prefix};
    for (size_t i = 0; i < gw->ports().size(); ++i) {
        const auto& p = gw->ports()[i];
        spdlog::info("port {} ({}, {}): {} rx/{} tx queues{}", p.name, p.driver, cfg.ports[i].device, p.rx_queues,
                     p.tx_queues, p.rss ? ", RSS" : "");
    }
    spdlog::info("serving {} VIP address(es) of {} service port(s) on {} worker lcore(s)", count_vips(state),
                 state.ports.size(), lcores.size());

    ControlEvents events(cfg.settings.manifests, cfg.watch_manifests);
    if (!events.watch_error().empty())
        spdlog::warn("manifest changes are not watched ({}); reload with SIGHUP", events.watch_error());
    for (size_t w = 0; w < lcores.size(); ++w)
        rte_eal_remote_launch(run_worker, &gw->worker(static_cast<uint16_t>(w)), lcores[w]);
    std::puts("svcnat-gateway: ready");
    std::fflush(stdout);
    for (;;) {
        const ControlEvents::Due due = events.poll();
        if (due.stop) break;
        gw->control_tick();
        if (due.reload) reload(*gw, cfg);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    spdlog::info("stopping");
    gw->stop();
    rte_eal_mp_wait_lcore();
}

// EAL first (it takes its own arguments), then ours after `--`.
int gateway_main(int argc, char** argv) {
    // Before EAL starts its threads, so that only the control loop's
    // signalfd sees these signals.
    block_signals(control_signals());
    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0) {
        std::fprintf(stderr, "svcnat-gateway: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    // EAL leaves the program name in argv[eal_args] for the application.
    ParsedGatewayArgs args;
    try {
        args = parse_gateway_args(argc - eal_args, argv + eal_args);
    } catch (const GatewayConfigError& e) {
        std::fprintf(stderr, "svcnat-gateway: %s\n", e.what());
        rte_eal_cleanup();
        return 2;
    }
    if (args.help) {
        std::fputs(args.help_text.c_str(), stdout);
        rte_eal_cleanup();
        return 0;
    }
    const GatewayConfig& cfg = args.config;
    spdlog::set_level(cfg.verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
    std::vector<unsigned> lcores;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) lcores.push_back(lcore);
    int rc = 0;
    if (lcores.empty()) {
        spdlog::error("no worker lcore: give EAL at least two (e.g. -l 0,1; --lcores '(0,1)@0' on one CPU)");
        rc = 2;
    } else if (auto state = load(cfg); !state) {
        spdlog::error("manifests have errors; not starting");
        rc = 1;
    } else {
        try {
            serve(cfg, lcores, *state);
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            rc = 1;
        }
    }
    rte_eal_cleanup();
    return rc;
}

}  // namespace

int main(int argc, char** argv) { return gateway_main(argc, argv); }
