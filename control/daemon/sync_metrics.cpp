#include "sync_metrics.hpp"

#include <set>
#include <utility>

namespace svcnat {

namespace {

// kube-proxy: metrics.ExponentialBuckets(0.001, 2, 15), 1 ms .. 16.384 s.
std::vector<double> kube_proxy_sync_buckets() { return Histogram::exponential_buckets(0.001, 2, 15); }

bool externally_reachable(const ResolvedServicePort& sp) {
    return sp.nodePort != 0 || !sp.externalIPs.empty() || !sp.loadBalancerIPs.empty();
}

}  // namespace

ProgrammedCounts count_programmed(const ServiceState& state) {
    ProgrammedCounts c;
    std::set<std::pair<std::string, std::string>> services;
    for (const auto& sp : state.ports) {
        services.emplace(sp.ns, sp.name);
        ++c.service_ports;
        c.endpoints += sp.endpoints.size();
        if (sp.internalTrafficPolicy == TrafficPolicy::Local && usable_endpoints(sp, true).empty())
            ++c.no_local_internal;
        if (sp.externalTrafficPolicy == TrafficPolicy::Local && externally_reachable(sp) &&
            usable_endpoints(sp, true).empty())
            ++c.no_local_external;
    }
    c.services = services.size();
    return c;
}

SyncMetrics::SyncMetrics()
    : sync_duration_(kube_proxy_sync_buckets()),
      full_sync_duration_(kube_proxy_sync_buckets()),
      partial_sync_duration_(kube_proxy_sync_buckets()) {}

void SyncMetrics::record_queued(double unix_seconds) { last_queued_timestamp_ = unix_seconds; }

void SyncMetrics::record_config_load(bool ok, size_t errors) {
    config_last_ok_ = ok;
    config_last_errors_ = errors;
    if (!ok) ++config_rejected_loads_;
}

void SyncMetrics::record_sync(const SyncReport& report, const ProgrammedCounts* counts, double unix_seconds) {
    sync_duration_.observe(report.seconds);
    (report.full ? full_sync_duration_ : partial_sync_duration_).observe(report.seconds);
    if (!report.ok) {
        ++sync_failures_;
        return;
    }
    last_sync_timestamp_ = unix_seconds;
    service_changes_ += report.service_changes;
    endpoint_changes_ += report.endpoint_changes;
    if (report.sent) {
        last_batch_messages_ = report.messages;
        last_batch_bytes_ = report.bytes;
    }
    if (counts) programmed_ = *counts;
}

std::string SyncMetrics::render() const {
    PrometheusWriter w;
    w.histogram("kubeproxy_sync_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds", sync_duration_);
    w.histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds for full resyncs", full_sync_duration_);
    w.histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds for partial resyncs", partial_sync_duration_);
    w.gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds",
            "The last time proxy rules were successfully synced", last_sync_timestamp_);
    w.gauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
            "The last time a sync of proxy rules was queued", last_queued_timestamp_);
    w.counter("kubeproxy_sync_proxy_rules_service_changes_total",
              "Cumulative proxy rules Service changes", static_cast<double>(service_changes_));
    w.counter("kubeproxy_sync_proxy_rules_endpoint_changes_total",
              "Cumulative proxy rules Endpoint changes", static_cast<double>(endpoint_changes_));
    w.counter("kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
              "Cumulative proxy nftables sync failures", static_cast<double>(sync_failures_));
    w.gauge_by_label("kubeproxy_sync_proxy_rules_no_local_endpoints_total",
                     "Number of services with a Local traffic policy and no endpoints", "traffic_policy",
                     {{"internal", static_cast<double>(programmed_.no_local_internal)},
                      {"external", static_cast<double>(programmed_.no_local_external)}});
    w.counter("svcnat_config_errors_total",
              "Manifest (re)loads rejected because of validation errors; the last good state stayed programmed",
              static_cast<double>(config_rejected_loads_));
    w.gauge("svcnat_config_last_load_success", "1 if the last manifest load was valid, else 0",
            config_last_ok_ ? 1 : 0);
    w.gauge("svcnat_config_last_load_errors", "Validation errors found by the last manifest load",
            static_cast<double>(config_last_errors_));
    w.gauge("svcnat_services", "Services programmed into the kernel", static_cast<double>(programmed_.services));
    w.gauge("svcnat_service_ports", "Service ports programmed into the kernel",
            static_cast<double>(programmed_.service_ports));
    w.gauge("svcnat_endpoints", "Endpoints (summed over service ports) programmed into the kernel",
            static_cast<double>(programmed_.endpoints));
    w.gauge("svcnat_sync_batch_messages", "Netlink messages in the last batch sent to the kernel",
            static_cast<double>(last_batch_messages_));
    w.gauge("svcnat_sync_batch_bytes", "Bytes of the last netlink batch sent to the kernel",
            static_cast<double>(last_batch_bytes_));
    return w.text();
}

}  // namespace svcnat
