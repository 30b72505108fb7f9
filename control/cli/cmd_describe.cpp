// `svcnat describe svc [NAME...] [-n NS]`: kubectl describe's layout, with
// allocated IPs and ports and the resolved endpoints.
#include <algorithm>
#include <iostream>

#include "cli_common.hpp"
#include "control/state/state.hpp"
#include "kubectl_format.hpp"
#include "commands.hpp"

namespace svcnat::cli {

int run_describe(int argc, const char* const* argv) {
    po::options_description opts("describe options");
    opts.add_options()("namespace,n", po::value<std::string>()->default_value("default"), "namespace of the services");
    auto parsed = parse_or_report(argc, argv, opts,
                                  "Usage: svcnat describe svc [NAME...] [-n NS] -f PATH\n"
                                  "Describe services as kubectl would, with allocated IPs and NodePorts and the\n"
                                  "endpoints svcnat resolved. Without NAME, every service of the namespace.",
                                  CommandLineOptions::object_positionals());
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    const std::string ns = cmd.extra["namespace"].as<std::string>();
    auto usage_error = [](const std::string& msg) {
        std::cerr << "svcnat describe: " << msg << "\n(see svcnat describe --help)\n";
        return kExitUsage;
    };
    if (cmd.positionals.empty()) return usage_error("missing resource type: svc");
    const std::string& type = cmd.positionals[0];
    if (type != "svc" && type != "service" && type != "services")
        return usage_error("unknown resource type \"" + type + "\": expected svc");
    if (cmd.settings.manifests.empty()) return usage_error("no manifests given (-f PATH or `manifests =` in --config)");

    StateResult st = load_state(cmd.settings);
    print_diagnostics(st.load.diagnostics, cmd.settings.verbosity, std::cerr);
    if (!st.ok()) return kExitFailure;

    const Manifests& m = st.load.manifests;
    const auto endpoints = all_endpoints(m, st.state.node);
    std::vector<const Service*> chosen;
    int status = kExitOk;
    const std::vector<std::string> names(cmd.positionals.begin() + 1, cmd.positionals.end());
    if (names.empty()) {
        for (const auto& s : m.services)
            if (s.meta.ns == ns) chosen.push_back(&s);
        std::sort(chosen.begin(), chosen.end(),
                  [](const Service* a, const Service* b) { return a->meta.name < b->meta.name; });
        if (chosen.empty()) std::cerr << "No resources found in " << ns << " namespace.\n";
    }
    for (const auto& name : names) {
        const Service* found = nullptr;
        for (const auto& s : m.services)
            if (s.meta.ns == ns && s.meta.name == name) found = &s;
        if (found) chosen.push_back(found);
        else {
            std::cerr << "Error from server (NotFound): services \"" << name << "\" not found\n";
            status = kExitFailure;
        }
    }
    bool first = true;
    for (const Service* s : chosen) {
        const Endpoints* eps = nullptr;
        for (const auto& e : endpoints)
            if (e.meta.ns == s->meta.ns && e.meta.name == s->meta.name) eps = &e;
        // kubectl separates several descriptions with a blank line.
        std::cout << (first ? "" : "\n\n") << describe_service(*s, eps);
        first = false;
    }
    return status;
}


}  // namespace svcnat::cli
