// The daemon's metrics: kube-proxy's names (so existing dashboards and alerts
// work unchanged) plus svcnat's own. Plain data, not thread-safe: DaemonStatus
// guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../../nft/syncer.hpp"
#include "../model/resolved.hpp"
#include "prometheus_text.hpp"

namespace svcnat {

// What a programmed state amounts to, for gauges and logs.
struct ProgrammedCounts {
    size_t services = 0;       // distinct namespace/name
    size_t service_ports = 0;
    size_t endpoints = 0;      // sum over service ports
    // kube-proxy's kubeproxy_sync_proxy_rules_no_local_endpoints_total:
    // service ports whose policy is Local (internal: iTP; external: eTP on an
    // externally reachable service) and that have no usable local endpoint.
    size_t no_local_internal = 0;
    size_t no_local_external = 0;
};

ProgrammedCounts count_programmed(const ServiceState& state);

class SyncMetrics {
public:
    SyncMetrics();

    // An update was queued (a file or the config changed, SIGHUP).
    void record_queued(double unix_seconds);
    // A manifest load: ok, or rejected with `errors` error diagnostics.
    void record_config_load(bool ok, size_t errors);
    // A sync ran. `counts` describes the state now programmed (only when ok).
    void record_sync(const SyncReport& report, const ProgrammedCounts* counts, double unix_seconds);

    std::string render() const;

private:
    Histogram sync_duration_;
    Histogram full_sync_duration_;
    Histogram partial_sync_duration_;
    double last_sync_timestamp_ = 0;
    double last_queued_timestamp_ = 0;
    uint64_t service_changes_ = 0;
    uint64_t endpoint_changes_ = 0;
    uint64_t sync_failures_ = 0;
    ProgrammedCounts programmed_;
    uint64_t config_rejected_loads_ = 0;
    size_t config_last_errors_ = 0;
    bool config_last_ok_ = false;
    size_t last_batch_messages_ = 0;
    size_t last_batch_bytes_ = 0;
};

}  // namespace svcnat
