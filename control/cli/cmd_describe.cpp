// `svcnat describe svc [NAME...] [-n NS]`: kubectl describe's layout, with
// allocated IPs and ports and the resolved endpoints.
#include <algorithm>
#include <iostream>

#include "cli_common.hpp"
#include "control/state/state.hpp"
#include "ingress_format.hpp"
#include "kubectl_format.hpp"
#include "commands.hpp"

namespace svcnat::cli {

namespace {

int describe_ingresses(const ParsedCommand& cmd, const Manifests& m, const std::vector<Endpoints>& endpoints,
                       const std::string& ns) {
    std::vector<const Ingress*> chosen;
    int status = kExitOk;
    const std::vector<std::string> names(cmd.positionals.begin() + 1, cmd.positionals.end());
    for (const auto& i : m.ingresses)
        if (i.meta.ns == ns && (names.empty() || std::find(names.begin(), names.end(), i.meta.name) != names.end()))
            chosen.push_back(&i);
    std::sort(chosen.begin(), chosen.end(), [](const Ingress* a, const Ingress* b) { return a->meta.name < b->meta.name; });
    for (const auto& name : names)
        if (std::none_of(chosen.begin(), chosen.end(), [&](const Ingress* i) { return i->meta.name == name; })) {
            std::cerr << "Error from server (NotFound): ingresses.networking.k8s.io \"" << name << "\" not found\n";
            status = kExitFailure;
        }
    if (names.empty() && chosen.empty()) std::cerr << "No resources found in " << ns << " namespace.\n";
    const std::string address = ingress_address_column(cmd.settings.ingress);
    for (size_t i = 0; i < chosen.size(); ++i)
        std::cout << (i ? "\n\n" : "") << describe_ingress(*chosen[i], m, endpoints, address);
    return status;
}

}  // namespace

int run_describe(int argc, const char* const* argv) {
    po::options_description opts("describe options");
    opts.add_options()("namespace,n", po::value<std::string>()->default_value("default"), "namespace of the services");
    auto parsed = parse_or_report(argc, argv, opts,
                                  "Usage: svcnat describe (svc|ingress) [NAME...] [-n NS] -f PATH\n"
                                  "Describe services or Ingresses as kubectl would, with allocated IPs and\n"
                                  "NodePorts and the endpoints svcnat resolved. Without NAME, every object of the\n"
                                  "namespace.",
                                  CommandLineOptions::object_positionals());
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    const std::string ns = cmd.extra["namespace"].as<std::string>();
    auto usage_error = [](const std::string& msg) {
        std::cerr << "svcnat describe: " << msg << "\n(see svcnat describe --help)\n";
        return kExitUsage;
    };
    if (cmd.positionals.empty()) return usage_error("missing resource type: svc or ingress");
    const std::string& type = cmd.positionals[0];
    const bool ingress = type == "ing" || type == "ingress" || type == "ingresses";
    if (type != "svc" && type != "service" && type != "services" && !ingress)
        return usage_error("unknown resource type \"" + type + "\": expected svc or ingress");
    if (cmd.settings.manifests.empty()) return usage_error("no manifests given (-f PATH or `manifests =` in --config)");

    StateResult st = load_state(cmd.settings);
    print_diagnostics(st.load.diagnostics, cmd.settings.verbosity, std::cerr);
    if (!st.ok()) return kExitFailure;

    const Manifests& m = st.load.manifests;
    const auto endpoints = all_endpoints(m, st.state.node);
    if (ingress) return describe_ingresses(cmd, m, endpoints, ns);
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
