// What a data path says about its own health, beside what the daemon knows
// from syncs (kube-proxy's "an update is pending too long"): a gateway whose
// port lost its link or whose worker stopped polling cannot carry traffic
// even though its last sync succeeded. The daemon asks on every /healthz and
// /livez request, from the HTTP server's threads: probes must be
// thread-safe and cheap (read counters, never the fast path's tables).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace svcnat {

struct DataPathHealth {
    // Can carry traffic: /healthz fails otherwise, so that the external
    // load balancer stops sending.
    bool ok = true;
    // Makes progress: /livez fails otherwise (a stalled worker; restarting
    // the process is what helps). A port without link is not: restarting
    // does not bring the cable back.
    bool alive = true;
    std::vector<std::string> problems;  // one line each, naming the port or worker
};

using DataPathProbe = std::function<DataPathHealth()>;

}  // namespace svcnat
