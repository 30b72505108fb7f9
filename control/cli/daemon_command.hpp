// What the one-data-path daemons (`svcnat dns`, `svcnat ingress`) share
// with each other: `svcnat run`'s loop (watching the manifests, reloading on
// SIGHUP and config edits, last good state, health and metrics) around one
// syncer, with the subcommand's own defaults applied again on every reload.
#pragma once

#include <functional>
#include <string_view>

#include "cli_common.hpp"
#include "control/daemon/daemon.hpp"

namespace svcnat::cli {

class DaemonCommand {
public:
    // `complete` fills what the subcommand defaults from other settings
    // (its listening addresses); argv must outlive the command (main's).
    DaemonCommand(std::string_view name, int argc, const char* const* argv, const po::options_description& extra,
                  std::string_view usage, Settings defaults, void (*complete)(Settings&));

    // Parses argv; the outcome's settings are completed.
    ParseOutcome parse() const;
    // False (said on stderr) when no manifests were given: a usage error.
    bool has_manifests(const Settings& settings) const;
    // Logging, SIGPIPE ignored (peers may close health checks), the daemon's
    // signals blocked: before any thread starts, so only the event loop's
    // signalfd sees them.
    void start_process(const Settings& settings) const;
    // Runs the daemon until SIGTERM; `attach` adds the subcommand's parts.
    int serve(const Settings& settings, SyncerFactory make_syncer,
              const std::function<void(Daemon&)>& attach = {}) const;

private:
    std::string_view name_;
    int argc_;
    const char* const* argv_;
    const po::options_description& extra_;
    std::string_view usage_;
    Settings defaults_;
    void (*complete_)(Settings&);
};

}  // namespace svcnat::cli
