// `svcnat SUBCOMMAND [OPTIONS] [ARGS]`: dispatch only; each subcommand lives
// in its own file and registers itself (subcommand.hpp).
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "subcommand.hpp"

namespace {

const svcnat::Subcommand* find(std::string_view name) {
    for (const auto& c : svcnat::subcommands())
        if (c.name == name) return &c;
    return nullptr;
}

void general_help(std::ostream& out) {
    out << "svcnat " SVCNAT_VERSION " - Kubernetes Services from manifests: nftables kernel mode and DPDK gateway\n\n"
        << "Usage: svcnat SUBCOMMAND [OPTIONS] [ARGS]\n\nSubcommands:\n";
    size_t width = 4;
    for (const auto& c : svcnat::subcommands()) width = std::max(width, c.name.size());
    for (const auto& c : svcnat::subcommands())
        out << "  " << c.name << std::string(width - c.name.size() + 3, ' ') << c.summary << "\n";
    out << "  help" << std::string(width - 4 + 3, ' ') << "show help for a subcommand\n"
        << "\nEvery subcommand accepts the common options (kube-proxy's names) and --help.\n"
        << "Run `svcnat help SUBCOMMAND` or `svcnat SUBCOMMAND --help` for details.\n";
}

int run(const svcnat::Subcommand& cmd, std::vector<const char*> args) {
    return cmd.run(static_cast<int>(args.size()), args.data());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        general_help(std::cerr);
        return 2;
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h") {
        general_help(std::cout);
        return 0;
    }
    if (first == "--version") {
        std::cout << "svcnat " SVCNAT_VERSION "\n";
        return 0;
    }
    if (first == "help") {
        if (argc < 3) {
            general_help(std::cout);
            return 0;
        }
        const auto* cmd = find(argv[2]);
        if (!cmd) {
            std::cerr << "svcnat: unknown subcommand \"" << argv[2] << "\" (see svcnat --help)\n";
            return 2;
        }
        return run(*cmd, {argv[2], "--help"});
    }
    const auto* cmd = find(first);
    if (!cmd) {
        std::cerr << "svcnat: unknown subcommand \"" << first << "\" (see svcnat --help)\n";
        return 2;
    }
    return run(*cmd, std::vector<const char*>(argv + 1, argv + argc));
}
