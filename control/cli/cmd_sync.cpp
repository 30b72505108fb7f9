// `svcnat sync --once`: program the kernel from the manifests and exit.
// Exit status: 0 when committed, 1 when the input is invalid or the kernel
// refused the transaction (each error printed with the service it concerns).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "cli_common.hpp"
#include "control/daemon/instance_guard.hpp"
#include "control/state/state.hpp"
#include "nft/kernel_syncer.hpp"

namespace svcnat::cli {

int run_sync(int argc, const char* const* argv) {
    po::options_description extra("sync options");
    extra.add_options()("once", po::bool_switch(), "program the kernel once and exit (the daemon is `svcnat run`)");
    auto parsed = cli::parse_or_report(argc, argv, extra, "svcnat sync --once [options] PATH...");
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    if (!cmd.extra.count("once") || !cmd.extra.at("once").as<bool>()) {
        std::cerr << "svcnat sync: only --once is supported here; run `svcnat run` for continuous syncing\n";
        return kExitUsage;
    }
    auto loaded = load_state(cmd.settings);
    cli::print_diagnostics(loaded.load.diagnostics, cmd.settings.verbosity, std::cerr);
    if (!loaded.ok()) return kExitFailure;
    // The parsed manifests (≈ 35 MB at 10,000 services) are not needed past
    // this point. Freed now, part of their pages take the ruleset's small
    // objects instead of fresh ones, whose first touch costs more than the
    // freeing (0.02–0.06 s less at 10,000 services, measured).
    const auto state = std::make_shared<const ServiceState>(std::move(loaded.state));
    loaded = {};
    // Not while another svcnat programs this table in this namespace.
    std::optional<InstanceGuard> guard;
    try {
        guard.emplace(cmd.settings.table);
    } catch (const LockError& e) {
        std::cerr << "svcnat sync: " << e.what() << "\n";
        return kExitFailure;
    }
    nft::KernelSyncer syncer(cmd.settings, nft::SyncerMode::OneShot);
    const auto report = syncer.sync(state, true);
    const auto& stats = syncer.last_stats();
    for (const auto& e : report.errors)
        // The transport's messages already start with the culprit; add it only when not.
        std::cerr << "svcnat sync: "
                  << (e.object.empty() || e.message.rfind(e.object, 0) == 0 ? "" : e.object + ": ") << e.message
                  << "\n";
    if (!report.ok) {
        std::cerr << (report.sent ? "svcnat sync: the kernel refused the ruleset; nothing was changed\n"
                                  : "svcnat sync: nothing was changed\n");
        return kExitFailure;
    }
    std::printf("synced %zu service ports into table %s: %zu messages, %zu bytes, %.3f s\n", state->ports.size(),
                cmd.settings.table.c_str(), stats.messages, stats.bytes, report.seconds);
    if (cmd.settings.verbosity >= 1)
        std::fprintf(stderr, "sync: plan %.1f ms, encode %.1f ms, kernel %.1f ms\n", stats.plan_seconds * 1000,
                     stats.encode_seconds * 1000, stats.kernel_seconds * 1000);
    // The kernel holds the result now. Freeing the model and the committed
    // ruleset object by object (~0.1 s at 10,000 services) would only delay
    // the exit, so leave at once; the kernel reclaims the memory.
    std::fflush(nullptr);
    std::_Exit(0);
}

}  // namespace svcnat::cli
