// `svcnat run`: the long-running daemon (kube-proxy's role). Wires the real
// pieces together: settings from --config and flags, the instance lock, the
// nftables syncer, load_state(), and the event loop in daemon.cpp.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "../../nft/syncer.hpp"
#include "../cli/subcommand.hpp"
#include "../config/config.hpp"
#include "../state/state.hpp"
#include "daemon.hpp"
#include "instance_lock.hpp"
#include "logging.hpp"

namespace svcnat {
namespace {

constexpr std::string_view kUsage =
    "Usage: svcnat run [--config FILE] [options] [MANIFEST...]\n"
    "Programs the kernel from the manifests, then keeps it in sync: watches the\n"
    "manifests and the config file, resyncs on change (at most every\n"
    "--min-sync-period), reconciles every --sync-period, reloads on SIGHUP.\n"
    "Serves /healthz, /livez and /metrics like kube-proxy.";

int run_command(int argc, const char* const* argv) {
    const po::options_description extra("Daemon options");
    ParsedCommand cmd;
    try {
        cmd = parse_command_line(argc, argv, extra, kUsage);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "svcnat run: %s\n", e.what());
        return 2;
    }
    if (cmd.help) {
        std::cout << cmd.help_text << "\n";
        return 0;
    }
    Settings settings = cmd.settings;
    setup_daemon_logging(settings.verbosity);
    if (settings.manifests.empty()) {
        spdlog::error("no manifests: give files or directories as arguments or `manifests =` in the config file");
        return 2;
    }
    // Peers closing health-check connections must not kill the daemon.
    signal(SIGPIPE, SIG_IGN);
    // Before any thread exists, so that only the event loop's signalfd sees them.
    block_daemon_signals();

    std::optional<InstanceLock> lock;
    try {
        lock.emplace(settings.lock_dir, settings.table);
    } catch (const LockError& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

    // SIGHUP and config-file edits re-read the same file with the same flags;
    // argv stays valid for the life of main().
    auto reload = [argc, argv, &extra]() {
        return parse_command_line(argc, argv, extra, kUsage).settings;
    };
    // Decoded files are kept between reloads: a change to one file re-reads
    // only that file (see ManifestCache). Only the event loop's thread loads.
    auto cache = std::make_shared<ManifestCache>();
    auto loader = [cache](const Settings& s) { return load_state(s, cache.get()); };
    try {
        Daemon daemon(
            settings, [](const Settings& s) { return make_nft_syncer(s); }, loader, reload);
        return daemon.run();
    } catch (const std::exception& e) {
        spdlog::critical("svcnat run: {}", e.what());
        return 1;
    }
}

}  // namespace
}  // namespace svcnat

SVCNAT_SUBCOMMAND(run, "run the daemon: sync, watch, serve health and metrics", svcnat::run_command);
