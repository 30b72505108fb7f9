#include "sync_metrics.hpp"

#include <prometheus/text_serializer.h>

#include <set>
#include <utility>

namespace svcnat {

namespace {

// kube-proxy: metrics.ExponentialBuckets(0.001, 2, 15), 1 ms .. 16.384 s.
prometheus::Histogram::BucketBoundaries kube_proxy_sync_buckets() {
    prometheus::Histogram::BucketBoundaries b;
    for (double v = 0.001; b.size() < 15; v *= 2) b.push_back(v);
    return b;
}

prometheus::Histogram& histogram(prometheus::Registry& r, const std::string& name, const std::string& help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, kube_proxy_sync_buckets());
}
prometheus::Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help,
                         const prometheus::Labels& labels = {}) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(labels);
}
prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

bool externally_reachable(const ResolvedServicePort& sp) {
    return sp.nodePort != 0 || !sp.externalIPs.empty() || !sp.loadBalancerIPs.empty();
}

constexpr const char* kNoLocal = "kubeproxy_sync_proxy_rules_no_local_endpoints_total";
constexpr const char* kNoLocalHelp = "Number of services with a Local traffic policy and no endpoints";

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

SyncMetrics::SyncMetrics(prometheus::Registry& r)
    : sync_duration_(histogram(r, "kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds")),
      full_sync_duration_(histogram(r, "kubeproxy_sync_full_proxy_rules_duration_seconds",
                                    "SyncProxyRules latency in seconds for full resyncs")),
      partial_sync_duration_(histogram(r, "kubeproxy_sync_partial_proxy_rules_duration_seconds",
                                       "SyncProxyRules latency in seconds for partial resyncs")),
      last_sync_timestamp_(gauge(r, "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                                 "The last time proxy rules were successfully synced")),
      last_queued_timestamp_(gauge(r, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                                   "The last time a sync of proxy rules was queued")),
      service_changes_(counter(r, "kubeproxy_sync_proxy_rules_service_changes_total",
                               "Cumulative proxy rules Service changes")),
      endpoint_changes_(counter(r, "kubeproxy_sync_proxy_rules_endpoint_changes_total",
                                "Cumulative proxy rules Endpoint changes")),
      sync_failures_(counter(r, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
                             "Cumulative proxy nftables sync failures")),
      no_local_internal_(gauge(r, kNoLocal, kNoLocalHelp, {{"traffic_policy", "internal"}})),
      no_local_external_(gauge(r, kNoLocal, kNoLocalHelp, {{"traffic_policy", "external"}})),
      config_rejected_loads_(counter(
          r, "svcnat_config_errors_total",
          "Manifest (re)loads rejected because of validation errors; the last good state stayed programmed")),
      config_last_ok_(gauge(r, "svcnat_config_last_load_success", "1 if the last manifest load was valid, else 0")),
      config_last_errors_(gauge(r, "svcnat_config_last_load_errors", "Validation errors found by the last manifest load")),
      services_(gauge(r, "svcnat_services", "Services programmed into the kernel")),
      service_ports_(gauge(r, "svcnat_service_ports", "Service ports programmed into the kernel")),
      endpoints_(gauge(r, "svcnat_endpoints", "Endpoints (summed over service ports) programmed into the kernel")) {}

void SyncMetrics::record_queued(double unix_seconds) { last_queued_timestamp_.Set(unix_seconds); }

void SyncMetrics::record_config_load(bool ok, size_t errors) {
    config_last_ok_.Set(ok ? 1 : 0);
    config_last_errors_.Set(static_cast<double>(errors));
    if (!ok) config_rejected_loads_.Increment();
}

void SyncMetrics::record_sync(const SyncReport& report, const ProgrammedCounts* counts, double unix_seconds) {
    sync_duration_.Observe(report.seconds);
    (report.full ? full_sync_duration_ : partial_sync_duration_).Observe(report.seconds);
    if (!report.ok) {
        sync_failures_.Increment();
        return;
    }
    last_sync_timestamp_.Set(unix_seconds);
    service_changes_.Increment(static_cast<double>(report.service_changes));
    endpoint_changes_.Increment(static_cast<double>(report.endpoint_changes));
    if (!counts) return;
    no_local_internal_.Set(static_cast<double>(counts->no_local_internal));
    no_local_external_.Set(static_cast<double>(counts->no_local_external));
    services_.Set(static_cast<double>(counts->services));
    service_ports_.Set(static_cast<double>(counts->service_ports));
    endpoints_.Set(static_cast<double>(counts->endpoints));
}

std::string metrics_text(const prometheus::Registry& registry) { return metrics_text(registry.Collect()); }

std::string metrics_text(const std::vector<prometheus::MetricFamily>& families) {
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace svcnat
