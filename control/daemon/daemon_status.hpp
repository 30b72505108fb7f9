// The state the event loop shares with the HTTP threads (/healthz, /livez,
// /metrics, health-check node ports): one mutex, short critical sections,
// readers get copies.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "../../nft/syncer.hpp"
#include "health.hpp"
#include "sync_metrics.hpp"

namespace svcnat {

class DaemonStatus {
public:
    explicit DaemonStatus(std::chrono::nanoseconds health_timeout) : health_timeout_(health_timeout) {}

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

private:
    mutable std::mutex mu_;
    std::chrono::nanoseconds health_timeout_;
    HealthSnapshot health_;
    SyncMetrics metrics_;
};

double unix_seconds(WallTime t);
// "object: message", without repeating an object the message already names.
std::string describe_sync_error(const SyncError& e);

}  // namespace svcnat
