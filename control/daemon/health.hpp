// /healthz and /livez with kube-proxy's semantics (ProxierHealthServer): the
// proxy is unhealthy when an update was queued and not applied within the
// timeout (2 x sync-period). svcnat's /healthz is also unhealthy while the
// last kernel sync failed. A manifest edit that fails validation does not make
// the node unhealthy once a good state is programmed: that state keeps serving
// (and the same bad edit on every node must not take a load balancer's whole
// pool out); the errors show in the body and in metrics instead.
// Pure functions over a snapshot, so the rules are unit-tested with any clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "control/sync/data_path_health.hpp"

namespace svcnat {

using WallTime = std::chrono::system_clock::time_point;

struct HealthSnapshot {
    std::optional<WallTime> last_updated;   // last successful sync
    std::optional<WallTime> oldest_queued;  // oldest update not yet applied (none: nothing pending)
    bool last_sync_failed = false;
    std::string last_sync_error;            // kernel error of the last failed sync
    bool config_ok = true;                  // last manifest load was valid
    std::vector<std::string> config_errors;  // "file:line: field: message" of that load
    bool node_eligible = true;
    // The data path's own view (the gateway's ports and workers), when it
    // has one: /healthz needs `ok`, /livez `alive`.
    std::optional<DataPathHealth> data_path;
};

struct HttpReply {
    int status = 200;
    std::string body;  // JSON
};

// kube-proxy's isHealthy(): nothing pending for longer than `timeout`.
bool proxier_healthy(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout);
// /healthz: proxier_healthy, node eligible, last sync succeeded, data path ok.
bool healthz_ok(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout);

// {"lastUpdated": ..., "currentTime": ..., "nodeEligible": ..., "svcnat": {...}}
HttpReply healthz_reply(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout);
// {"lastUpdated": ..., "currentTime": ..., "svcnat": {...}}
HttpReply livez_reply(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout);

// Go's time.Time.String() in UTC ("2006-01-02 15:04:05.999999999 +0000 UTC"),
// which is what kube-proxy prints; tools that parse its body expect it.
std::string go_time_string(WallTime t);

}  // namespace svcnat
