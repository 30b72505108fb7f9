// One (re)load-and-sync step with the last-good-state rule: manifests that
// fail validation are reported (log line per error with file:line, metrics,
// /healthz) and the kernel is left alone, so whatever was programmed keeps
// working. A valid state is handed to the Syncer; its netlink batch is atomic,
// so after a failed sync the kernel still holds the last committed state.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/sync/syncer.hpp"
#include "control/model/state_changes.hpp"
#include "control/state/state.hpp"
#include "daemon_status.hpp"
#include "sync_scheduler.hpp"

namespace svcnat {

using StateLoader = std::function<StateResult(const Settings&)>;

// What differs between two programmed states, by service port id.
struct StateDiff {
    std::vector<std::string> added, removed, changed;
    bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
StateDiff diff_states(const ServiceState& before, const ServiceState& after);
// "added: a, b; removed: c" with at most `limit` names per list.
std::string describe_diff(const StateDiff& d, size_t limit = 8);

class Reconciler {
public:
    Reconciler(Syncer& syncer, StateLoader loader, DaemonStatus& status)
        : syncer_(&syncer), loader_(std::move(loader)), status_(status) {}

    // After a config reload the daemon makes a new syncer.
    void set_syncer(Syncer& syncer) { syncer_ = &syncer; }

    SyncOutcome reconcile(const Settings& settings, bool full, SyncReason reason);

    // The state last committed by the data paths (null before the first
    // success); data paths that keep what they committed share this object.
    const SharedState& programmed() const { return programmed_; }
    // Errors of the last rejected load (empty after a valid one).
    const std::vector<std::string>& config_errors() const { return config_errors_; }
    // Reports a problem found outside the manifests (e.g. an unreadable
    // config file on reload) the same way as a rejected load.
    // `quiet_if_unchanged`: log at debug level when these are the errors
    // already reported (periodic re-reads of the same broken files).
    void reject(const std::vector<std::string>& errors, bool quiet_if_unchanged = false);

private:
    SyncOutcome load_and_sync(const Settings& settings, bool full, SyncReason reason);
    SyncOutcome sync_valid(const SharedState& desired, bool full, SyncReason reason, size_t files_decoded,
                           size_t files);
    Syncer* syncer_;
    StateLoader loader_;
    DaemonStatus& status_;
    SharedState programmed_;
    // The state of the last valid load (what a failed sync retries, and
    // what stands while the loader reports nothing changed) and its files.
    SharedState last_valid_;
    size_t last_valid_files_ = 0;
    std::vector<std::string> config_errors_;
    std::vector<std::string> last_warnings_;
};

}  // namespace svcnat
