// `svcnat cleanup`: removes svcnat's tables (ip and ip6, named by --table)
// and nothing else: a table of that name that svcnat did not make stays
// (unless --force-table). Succeeds when they do not exist. Refused while a
// daemon programs the table.
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "cli_common.hpp"
#include "control/daemon/instance_guard.hpp"
#include "control/state/state.hpp"
#include "nft/kernel_syncer.hpp"

namespace svcnat::cli {
int run_cleanup(int argc, const char* const* argv) {
    po::options_description extra("cleanup options");
    auto parsed = cli::parse_or_report(argc, argv, extra, "svcnat cleanup [options]");
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    std::optional<InstanceGuard> guard;  // held while the tables go
    try {
        guard.emplace(cmd.settings.table);
    } catch (const LockError& e) {
        std::cerr << "svcnat cleanup: " << e.what() << "\n";
        return kExitFailure;
    }
    std::string error;
    if (!nft::make_kernel_syncer(cmd.settings)->cleanup(&error)) {
        std::cerr << "svcnat cleanup: " << error << "\n";
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace svcnat::cli
