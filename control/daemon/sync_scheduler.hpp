// When to sync, as pure logic over time points the caller passes in (so tests
// drive it with a fake clock). The idea is kube-proxy's BoundedFrequencyRunner:
//  - a change (file event) queues a sync; changes that arrive before it runs
//    are coalesced into it; it runs `settle` after the first queued change (so
//    a burst of writes is read once) and never sooner than min-sync-period
//    after the previous sync started;
//  - a full reconcile runs every sync-period after the previous sync ended;
//  - a failed kernel sync is retried (full) after min-sync-period, doubling up
//    to sync-period while it keeps failing;
//  - a config-file change or SIGHUP also re-reads the config file and makes
//    the sync full.
// A rejected manifest load is not retried: the next change or the periodic
// reconcile reads the files again.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace svcnat {

enum class SyncReason { Startup, Change, ConfigChange, Signal, Periodic, Retry };
std::string_view to_string(SyncReason r);

struct SyncJob {
    SyncReason reason = SyncReason::Startup;
    bool full = false;
    bool reload_config = false;
};

enum class SyncOutcome { Ok, LoadRejected, SyncFailed };

class SyncScheduler {
public:
    using Clock = std::chrono::steady_clock;
    using Time = Clock::time_point;
    using Duration = std::chrono::nanoseconds;

    struct Periods {
        Duration min_sync{std::chrono::seconds(1)};
        Duration sync{std::chrono::seconds(30)};
        Duration settle{std::chrono::milliseconds(100)};  // capped at min_sync
    };

    // A full startup sync is due at `now`.
    SyncScheduler(Periods periods, Time now);

    void set_periods(Periods periods);
    void manifests_changed(Time now);
    void config_changed(Time now);
    void forced(Time now);  // SIGHUP

    // When take_due() should next be called.
    Time next_due() const;
    // The job due at `now`, if any; marks it started.
    std::optional<SyncJob> take_due(Time now);
    void finished(SyncOutcome outcome, Time now);


private:
    Duration settle() const { return std::min(periods_.settle, periods_.min_sync); }
    std::optional<Time> change_due() const;
    Time not_before() const;

    Periods periods_;
    std::optional<Time> first_change_;  // oldest change not yet taken
    SyncReason change_reason_ = SyncReason::Change;
    bool reload_config_ = false;
    bool full_next_ = true;
    bool startup_ = true;
    std::optional<Time> last_start_;
    Time next_periodic_;
    std::optional<Time> retry_at_;
    Duration retry_backoff_{0};
};

}  // namespace svcnat
