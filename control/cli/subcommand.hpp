// Subcommands register themselves, so each lives in its own file (check, get,
// describe here; sync, render, cleanup in nft/; run in control/daemon/) and
// main.cpp only dispatches.
#pragma once

#include <string_view>
#include <vector>

namespace svcnat {

struct Subcommand {
    std::string_view name;     // "get", "sync", ...
    std::string_view summary;  // one line for `svcnat --help`
    // argv[0] is the subcommand name; returns the process exit status.
    int (*run)(int argc, const char* const* argv);
};

const std::vector<Subcommand>& subcommands();

struct SubcommandRegistrar {
    explicit SubcommandRegistrar(Subcommand cmd);
};

}  // namespace svcnat

// Usage, at namespace scope in a .cpp linked into the svcnat executable:
//   SVCNAT_SUBCOMMAND(sync, "program the kernel from the manifests", run_sync);
#define SVCNAT_SUBCOMMAND(ident, summary, fn) \
    static const ::svcnat::SubcommandRegistrar svcnat_subcommand_##ident{{#ident, summary, fn}}
