// `svcnat check [PATH...]`: validate manifests and summarise what svcnat
// would program, per service type. Exit 0 when valid (warnings allowed),
// 1 on errors, 2 on bad usage.
#include <array>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "control/model/resolve.hpp"
#include "control/state/state.hpp"
#include "commands.hpp"
#include "tabwriter.hpp"

namespace svcnat::cli {

namespace {

struct Row {
    size_t services = 0, ports = 0, endpoints = 0, ready = 0, terminating = 0, local = 0;

    Row& operator+=(const Row& o) {
        services += o.services;
        ports += o.ports;
        endpoints += o.endpoints;
        ready += o.ready;
        terminating += o.terminating;
        local += o.local;
        return *this;
    }
};

// One service's row: itself, its ports, its endpoints by condition.
Row row_of(const Service& svc, const std::vector<std::vector<ResolvedEndpoint>>& endpoints) {
    Row r;
    r.services = 1;
    r.ports = svc.ports.size();
    for (const auto& eps : endpoints) {
        r.endpoints += eps.size();
        for (const auto& e : eps) {
            r.ready += e.ready;
            r.terminating += e.terminating;
            r.local += e.is_local;
        }
    }
    return r;
}

}  // namespace

int run_check(int argc, const char* const* argv) {
    po::options_description none;
    auto parsed = parse_or_report(argc, argv, none,
                                  "Usage: svcnat check [OPTIONS] PATH...\n"
                                  "Validate manifests (files or directories) as the API server would, allocate\n"
                                  "missing ClusterIPs and NodePorts, resolve endpoints, and print a summary.\n"
                                  "Diagnostics go to stderr. Exit status: 0 valid, 1 invalid, 2 usage error.");
    if (!parsed.command) return parsed.exit_status;
    Settings settings = parsed.command->settings;
    // Ingresses and routes are checked too (a Service they name that does
    // not exist, a missing certificate), as `svcnat ingress` would serve
    // them: on its default addresses unless the flags say otherwise.
    if (!settings.ingress_enabled()) {
        settings.ingress.routes.http = SocketAddress{*IPAddr::parse("0.0.0.0"), 80};
        settings.ingress.routes.https = SocketAddress{*IPAddr::parse("0.0.0.0"), 443};
    }
    if (settings.manifests.empty()) {
        std::cerr << "svcnat check: no manifests given (PATH arguments, -f PATH or `manifests =` in --config)\n";
        return kExitUsage;
    }

    StateResult st = load_state(settings);
    print_diagnostics(st.load.diagnostics, settings.verbosity, std::cerr);
    size_t errors = 0, warnings = 0;
    for (const auto& d : st.load.diagnostics) {
        errors += d.severity == Severity::Error;
        warnings += d.severity == Severity::Warning;
    }

    const Manifests& m = st.load.manifests;
    // Rows: the four types, headless apart (a ClusterIP service without VIP).
    static const std::array<const char*, 5> kinds = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName",
                                                     "Headless"};
    std::array<Row, 5> rows{};
    Row total;
    const auto resolved = all_service_endpoints(m, st.state.node);
    for (size_t i = 0; i < m.services.size(); ++i) {
        const Service& svc = m.services[i];
        const Row r = row_of(svc, resolved[i]);
        rows[svc.headless ? 4 : static_cast<size_t>(svc.type)] += r;
        total += r;
    }
    std::ostringstream t;
    t << "TYPE\tSERVICES\tPORTS\tENDPOINTS\tREADY\tTERMINATING\tLOCAL\n";
    auto line = [&](const char* name, const Row& r) {
        t << name << "\t" << r.services << "\t" << r.ports << "\t" << r.endpoints << "\t" << r.ready << "\t"
          << r.terminating << "\t" << r.local << "\n";
    };
    for (size_t k = 0; k < rows.size(); ++k) line(kinds[k], rows[k]);
    line("total", total);

    std::cout << (errors ? "INVALID" : "OK") << ": " << st.load.files.size() << " file(s); " << m.pods.size()
              << " pod(s), " << m.nodes.size() << " node(s), " << m.endpoints.size() << " Endpoints, "
              << m.endpointSlices.size() << " EndpointSlice(s); node \"" << st.state.node.name << "\"";
    if (!st.state.node.ips.empty()) std::cout << " (" << st.state.node.ips.front().str() << ")";
    std::cout << "\n" << kubectl_table(t.str());
    if (!errors) {
        std::cout << st.state.ports.size() << " service port(s) to program (headless and ExternalName excluded)\n";
        if (!m.ingresses.empty() || !m.httpRoutes.empty()) {
            const RouteState& r = st.state.routes;
            size_t hosts = 0, routes = 0;
            for (const auto& l : r.listeners)
                for (const auto& vh : l.vhosts) ++hosts, routes += vh.routes.size();
            std::cout << m.ingresses.size() << " Ingress(es), " << m.httpRoutes.size() << " HTTPRoute(s): " << routes
                      << " route(s) in " << hosts << " virtual host(s) on " << r.listeners.size() << " listener(s), "
                      << r.backends.size() << " backend(s)\n";
        }
    }
    std::cout << errors << " error(s), " << warnings << " warning(s)\n";
    return errors ? kExitFailure : kExitOk;
}


}  // namespace svcnat::cli
