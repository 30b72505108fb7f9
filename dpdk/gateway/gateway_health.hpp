// The gateway's own health for the daemon's /healthz and /livez: every port
// has link, and every worker is polling. An external load balancer (ECMP
// with health checks) stops sending to a gateway whose /healthz fails, which
// is what a port without link or a stuck worker needs: a stuck worker's
// RSS share of the flows would otherwise be black-holed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/sync/data_path_health.hpp"

namespace svcnat::dpdk {

class Gateway;

// The stall rule, pure: worker i last polled at last_poll_tsc[i] (0: not
// yet). One problem line per worker that has not polled for more than
// `stall_ms`, or not at all.
std::vector<std::string> worker_stalls(const std::vector<uint64_t>& last_poll_tsc, uint64_t now_tsc,
                                       uint64_t tsc_hz, uint32_t stall_ms);

// Ports (link status, without waiting) and workers (their heartbeat
// counters) of a running gateway. Thread-safe: reads counters and the
// devices' link state, never the fast path's tables.
DataPathHealth gateway_health(const Gateway& gw);

}  // namespace svcnat::dpdk
