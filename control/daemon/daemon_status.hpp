// The state the event loop shares with the HTTP threads (/healthz, /livez,
// /metrics, health-check node ports): one mutex, short critical sections,
// readers get copies.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/sync/data_path_health.hpp"
#include "control/sync/syncer.hpp"
#include "health.hpp"
#include "sync_metrics.hpp"

namespace svcnat {

class DaemonStatus {
public:
    // Metrics go to `registry` (a fresh one when null), which /metrics serves.
    explicit DaemonStatus(std::chrono::nanoseconds health_timeout,
                          std::shared_ptr<prometheus::Registry> registry = nullptr);

    void set_health_timeout(std::chrono::nanoseconds t);
    // The data path's own health, asked on every health request (from the
    // HTTP threads; see data_path_health.hpp). Set before serving.
    void set_data_path_probe(DataPathProbe probe);
    // Metrics a data path collects itself at scrape time (summing per-worker
    // counters instead of updating shared ones per packet); served with the
    // registry's. Set before serving.
    void add_collectable(std::shared_ptr<prometheus::Collectable> c);

    // An update is waiting to be applied (kube-proxy's QueuedUpdate).
    void queued(WallTime now);
    // The manifests were loaded: valid, or rejected with these errors.
    // `state_programmed`: a good state is in the kernel, so a rejected load
    // leaves nothing pending (that state keeps serving).
    void config_loaded(bool ok, const std::vector<std::string>& errors, bool state_programmed, WallTime now);
    // A sync ran; `counts` describes the programmed state when it succeeded.
    void synced(const SyncReport& report, const ProgrammedCounts* counts, WallTime now);

    HealthSnapshot health() const;  // with the data path's probe asked now
    HttpReply healthz(WallTime now) const;
    HttpReply livez(WallTime now) const;
    bool healthy(WallTime now) const;  // /healthz would answer 200
    std::string metrics_text() const;
    prometheus::Registry& registry() { return *registry_; }

private:
    std::chrono::nanoseconds health_timeout() const;
    mutable std::mutex mu_;  // guards health_ and health_timeout_; metrics are thread-safe
    std::chrono::nanoseconds health_timeout_;
    HealthSnapshot health_;
    DataPathProbe probe_;  // set before the HTTP threads start, read-only after
    std::shared_ptr<prometheus::Registry> registry_;
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;  // likewise
    SyncMetrics metrics_;
};

double unix_seconds(WallTime t);
// "object: message", without repeating an object the message already names.
std::string describe_sync_error(const SyncError& e);

}  // namespace svcnat
