// `svcnat ingress`: Ingresses and Gateway API HTTPRoutes alone, through
// HAProxy, for a node that needs one address for many Services and whose
// Service traffic something else programs. The same daemon as `svcnat run`
// (watching the manifests, reloading, last good state, health and metrics)
// with the L7 proxy as its only data path.
#include <spdlog/spdlog.h>

#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "control/config/config.hpp"
#include "daemon_command.hpp"
#include "ingress_part.hpp"

namespace svcnat::cli {
namespace {

constexpr std::string_view kUsage =
    "Usage: svcnat ingress [--config FILE] [options] [MANIFEST...]\n"
    "Serves the manifests' Ingresses (networking.k8s.io/v1, class --ingress-class) and\n"
    "Gateway API HTTPRoutes (Gateways of a GatewayClass with controllerName\n"
    "svcnat.io/gateway-controller) through HAProxy, which it runs and keeps in step\n"
    "with them: endpoint and route changes through HAProxy's runtime API, a hitless\n"
    "reload for the rest. Like `svcnat run` but without programming the kernel.\n"
    "/healthz (HAProxy runs) and /metrics on 0.0.0.0:10254 unless told otherwise.";

// `svcnat ingress`'s own defaults: ingress-nginx's ports.
Settings ingress_defaults() {
    Settings d;
    d.healthz_bind_address = "0.0.0.0:10254";
    d.metrics_bind_address = "0.0.0.0:10254";
    return d;
}

void default_addresses(Settings& s) {
    auto& r = s.ingress.routes;
    if (r.http || r.https) return;
    r.http = SocketAddress{*IPAddr::parse("0.0.0.0"), 80};
    r.https = SocketAddress{*IPAddr::parse("0.0.0.0"), 443};
}

}  // namespace

int run_ingress(int argc, const char* const* argv) {
    const po::options_description extra("Ingress daemon options");
    const DaemonCommand command("svcnat ingress", argc, argv, extra, kUsage, ingress_defaults(), default_addresses);
    auto parsed = command.parse();
    if (!parsed.command) return parsed.exit_status;
    const Settings& settings = parsed.command->settings;
    if (!command.has_manifests(settings)) return kExitUsage;
    command.start_process(settings);
    std::shared_ptr<ingress::Proxy> proxy;
    try {
        proxy = make_proxy(settings.ingress);
    } catch (const std::exception& e) {
        spdlog::error("svcnat ingress: {}", e.what());
        return kExitFailure;
    }
    return command.serve(
        settings,
        [proxy](const Settings&) -> std::unique_ptr<Syncer> { return std::make_unique<ingress::IngressSyncer>(proxy); },
        [proxy](Daemon& daemon) { attach_proxy(daemon, proxy); });
}

}  // namespace svcnat::cli
