#include "daemon_command.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "control/daemon/logging.hpp"
#include "control/state/state.hpp"

namespace svcnat::cli {

DaemonCommand::DaemonCommand(std::string_view name, int argc, const char* const* argv,
                             const po::options_description& extra, std::string_view usage, Settings defaults,
                             void (*complete)(Settings&))
    : name_(name), argc_(argc), argv_(argv), extra_(extra), usage_(usage), defaults_(std::move(defaults)),
      complete_(complete) {}

ParseOutcome DaemonCommand::parse() const {
    auto parsed = parse_or_report(argc_, argv_, extra_, usage_, CommandLineOptions::with_defaults(defaults_));
    if (parsed.command) complete_(parsed.command->settings);
    return parsed;
}

bool DaemonCommand::has_manifests(const Settings& settings) const {
    if (!settings.manifests.empty()) return true;
    std::fprintf(stderr, "%.*s: no manifests: give files or directories, or `manifests =` in --config\n",
                 static_cast<int>(name_.size()), name_.data());
    return false;
}

void DaemonCommand::start_process(const Settings& settings) const {
    setup_daemon_logging(settings.verbosity);
    signal(SIGPIPE, SIG_IGN);
    block_daemon_signals();
}

int DaemonCommand::serve(const Settings& settings, SyncerFactory make_syncer,
                         const std::function<void(Daemon&)>& attach) const {
    // SIGHUP and config-file edits re-read the same file with the same flags.
    auto reload = [this]() {
        Settings s = parse_command_line(argc_, argv_, extra_, usage_, CommandLineOptions::with_defaults(defaults_))
                         .settings;
        complete_(s);
        return s;
    };
    // Decoded files are kept between reloads (see ManifestCache).
    auto cache = std::make_shared<ManifestCache>();
    auto loader = [cache](const Settings& s) { return load_state(s, cache.get()); };
    try {
        Daemon daemon(settings, std::move(make_syncer), loader, reload);
        // Health-check node ports are the kernel data path's (`svcnat run`).
        daemon.serve_health_check_node_ports(false);
        if (attach) attach(daemon);
        return daemon.run();
    } catch (const std::exception& e) {
        spdlog::critical("{}: {}", name_, e.what());
        return kExitFailure;
    }
}

}  // namespace svcnat::cli
