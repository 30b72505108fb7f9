// The daemon's metrics, on prometheus-cpp: kube-proxy's names (so existing
// dashboards and alerts work unchanged) plus svcnat's own. The metric
// objects are thread-safe; /metrics serialises the registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <string>

#include "control/model/resolved.hpp"
#include "control/sync/syncer.hpp"

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
    explicit SyncMetrics(prometheus::Registry& registry);

    // An update was queued (a file or the config changed, SIGHUP).
    void record_queued(double unix_seconds);
    // A manifest load: ok, or rejected with `errors` error diagnostics.
    void record_config_load(bool ok, size_t errors);
    // A sync ran. `counts` describes the state now programmed (only when ok).
    void record_sync(const SyncReport& report, const ProgrammedCounts* counts, double unix_seconds);

private:
    prometheus::Histogram& sync_duration_;
    prometheus::Histogram& full_sync_duration_;
    prometheus::Histogram& partial_sync_duration_;
    prometheus::Gauge& last_sync_timestamp_;
    prometheus::Gauge& last_queued_timestamp_;
    prometheus::Counter& service_changes_;
    prometheus::Counter& endpoint_changes_;
    prometheus::Counter& sync_failures_;
    prometheus::Gauge& no_local_internal_;
    prometheus::Gauge& no_local_external_;
    prometheus::Counter& config_rejected_loads_;
    prometheus::Gauge& config_last_ok_;
    prometheus::Gauge& config_last_errors_;
    prometheus::Gauge& services_;
    prometheus::Gauge& service_ports_;
    prometheus::Gauge& endpoints_;
};

// The registry in Prometheus' text exposition format (version 0.0.4).
std::string metrics_text(const prometheus::Registry& registry);
std::string metrics_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace svcnat
