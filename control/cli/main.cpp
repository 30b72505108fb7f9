// `svcnat SUBCOMMAND [OPTIONS] [ARGS]`: dispatch only; each subcommand lives
// in its own file and registers itself (subcommand.hpp).
#include <unistd.h>

#include <cstdlib>
#include <cstring>
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

// `sync` and `run` build heaps of 100+ MB at 10,000 services (objects, the
// ruleset, netlink pages), mostly with small allocations. With 4 KiB pages a
// cold `sync --once` takes ≈ 40,000 page faults, 15–20 % of its time; glibc's
// transparent-huge-page heap (tunable glibc.malloc.hugetlb=1: madvise
// MADV_HUGEPAGE on the heap) takes that to ≈ 5,000 and CPU by ≈ 30 %. glibc
// reads tunables only at process start and has no mallopt() for it, hence a
// one-time re-exec with the tunable added. Skipped when the user set it
// (either value) or the re-exec fails (no /proc). The user's GLIBC_TUNABLES
// is restored after the re-exec, so that child processes see the original.
constexpr const char* kTunables = "GLIBC_TUNABLES";
constexpr const char* kReexecMarker = "SVCNAT_THP_REEXEC";  // "=ORIGINAL" or "-" (was unset)

void use_huge_page_heap(char** argv) {
    if (const char* marker = std::getenv(kReexecMarker)) {
        // Second run: glibc has read the tunable; put the environment back.
        if (marker[0] == '=') setenv(kTunables, marker + 1, 1);
        else unsetenv(kTunables);
        unsetenv(kReexecMarker);
        return;
    }
    const char* tunables = std::getenv(kTunables);
    if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) return;
    std::string original = tunables ? std::string("=") + tunables : std::string("-");
    std::string value = tunables && *tunables ? std::string(tunables) + ":glibc.malloc.hugetlb=1"
                                              : std::string("glibc.malloc.hugetlb=1");
    if (setenv(kReexecMarker, original.c_str(), 1) != 0 || setenv(kTunables, value.c_str(), 1) != 0) return;
    execv("/proc/self/exe", argv);
    // Not possible here: carry on with the ordinary heap.
    if (tunables) setenv(kTunables, tunables, 1);
    else unsetenv(kTunables);
    unsetenv(kReexecMarker);
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
    if (first == "sync" || first == "run") use_huge_page_heap(argv);
    return run(*cmd, std::vector<const char*>(argv + 1, argv + argc));
}
