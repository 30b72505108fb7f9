// `svcnat SUBCOMMAND [OPTIONS] [ARGS]`: the composition root of the svcnat
// executable. It lists the subcommands; each lives in its own file
// (commands.hpp), and those that need a data path (sync, run, cleanup)
// create kernel mode's syncer there.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "version.hpp"

namespace {

using svcnat::cli::Subcommand;

// Sorted by name, as `svcnat --help` lists them.
constexpr Subcommand kSubcommands[] = {
    {"check", "validate manifests and summarise services, ports and endpoints", svcnat::cli::run_check},
    {"cleanup", "remove svcnat's nftables tables", svcnat::cli::run_cleanup},
    {"describe", "show a service in detail like kubectl describe svc", svcnat::cli::run_describe},
    {"dns", "serve cluster DNS for the manifests (no kernel rules)", svcnat::cli::run_dns},
    {"get", "list services or endpoints like kubectl get (-A, -n, -o wide|yaml|json)", svcnat::cli::run_get},
    {"ingress", "serve Ingresses and HTTPRoutes through HAProxy (no kernel rules)", svcnat::cli::run_ingress},
    {"render", "print the nftables ruleset (nft syntax) without programming it", svcnat::cli::run_render},
    {"run", "run the daemon: sync, watch, serve health and metrics", svcnat::cli::run_run},
    {"sync", "program the kernel (nftables) from the manifests", svcnat::cli::run_sync},
};

const Subcommand* find(std::string_view name) {
    for (const auto& c : kSubcommands)
        if (c.name == name) return &c;
    return nullptr;
}

void general_help(std::ostream& out) {
    out << "svcnat " SVCNAT_VERSION " - Kubernetes Services from manifests: nftables kernel mode and DPDK gateway\n\n"
        << "Usage: svcnat SUBCOMMAND [OPTIONS] [ARGS]\n\nSubcommands:\n";
    size_t width = 4;
    for (const auto& c : kSubcommands) width = std::max(width, c.name.size());
    for (const auto& c : kSubcommands)
        out << "  " << c.name << std::string(width - c.name.size() + 3, ' ') << c.summary << "\n";
    out << "  help" << std::string(width - 4 + 3, ' ') << "show help for a subcommand\n"
        << "\nEvery subcommand accepts the common options (kube-proxy's names) and --help.\n"
        << "Run `svcnat help SUBCOMMAND` or `svcnat SUBCOMMAND --help` for details.\n";
}

int run(const Subcommand& cmd, std::vector<const char*> args) {
    return cmd.run(static_cast<int>(args.size()), args.data());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        general_help(std::cerr);
        return svcnat::cli::kExitUsage;
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h") {
        general_help(std::cout);
        return svcnat::cli::kExitOk;
    }
    if (first == "--version") {
        std::cout << "svcnat " SVCNAT_VERSION " (commit " SVCNAT_COMMIT ")\n";
        return svcnat::cli::kExitOk;
    }
    if (first == "help") {
        if (argc < 3) {
            general_help(std::cout);
            return svcnat::cli::kExitOk;
        }
        const auto* cmd = find(argv[2]);
        if (!cmd) {
            std::cerr << "svcnat: unknown subcommand \"" << argv[2] << "\" (see svcnat --help)\n";
            return svcnat::cli::kExitUsage;
        }
        return run(*cmd, {argv[2], "--help"});
    }
    const auto* cmd = find(first);
    if (!cmd) {
        std::cerr << "svcnat: unknown subcommand \"" << first << "\" (see svcnat --help)\n";
        return svcnat::cli::kExitUsage;
    }
    return run(*cmd, std::vector<const char*>(argv + 1, argv + argc));
}
