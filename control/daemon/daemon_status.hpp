// The state the event loop shares with the HTTP threads (/healthz, /livez,
// /metrics, health-check node ports): one mutex, short critical sections,
// readers get copies.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

    // An update is waiting to be applied (kube-proxy's QueuedUpdate).
    void queued(WallTime now);
    // The manifests were loaded: valid, or rejected with these errors.
    // `state_programmed`: a good state is in the kernel, so a rejected load
    // leaves nothing pending (that state keeps serving).
    void config_loaded(bool ok, const std::vector<std::string>& errors, bool state_programmed, WallTime now);
    // A sync ran; `counts` describes the programmed state when it succeeded.
    void synced(const SyncReport& report, const ProgrammedCounts* counts, WallTime now);

    HealthSnapshot health() const;
    HttpReply healthz(WallTime now) const;
    HttpReply livez(WallTime now) const;
    bool healthy(WallTime now) const;  // /healthz would answer 200
    std::string metrics_text() const;
    prometheus::Registry& registry() { return *registry_; }

private:
    mutable std::mutex mu_;  // guards health_ and health_timeout_; metrics are thread-safe
    std::chrono::nanoseconds health_timeout_;
    HealthSnapshot health_;
    std::shared_ptr<prometheus::Registry> registry_;
    SyncMetrics metrics_;
};

double unix_seconds(WallTime t);
// "object: message", without repeating an object the message already names.
std::string describe_sync_error(const SyncError& e);

}  // namespace svcnat
