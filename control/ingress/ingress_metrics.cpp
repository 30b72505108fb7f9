#include "ingress_metrics.hpp"

#include "control/sync/metric_families.hpp"

namespace svcnat::ingress {

std::vector<prometheus::MetricFamily> IngressMetrics::Collect() const {
    const ProxyCounters c = proxy_->counters();
    MetricFamilies fs("svcnat_ingress_");
    add_sample(fs.gauge("haproxy_up", "1 when the HAProxy child runs and answers, else 0"), c.up ? 1 : 0);
    add_sample(fs.counter("haproxy_starts_total", "Times HAProxy was started (the first start and restarts after it died)"),
               static_cast<double>(c.starts));
    auto& reloads = fs.counter("reloads_total", "HAProxy reloads, by result");
    add_sample(reloads, static_cast<double>(c.reloads), {{"result", "success"}});
    add_sample(reloads, static_cast<double>(c.reload_failures), {{"result", "failure"}});
    add_sample(fs.counter("runtime_updates_total",
                          "Changes applied through HAProxy's runtime API without a reload (servers, map contents)"),
               static_cast<double>(c.runtime_updates));
    add_sample(fs.counter("runtime_update_failures_total", "Runtime API updates that failed (a reload followed)"),
               static_cast<double>(c.runtime_failures));
    add_sample(fs.gauge("last_sync_seconds", "Duration of the last ingress sync"), c.last_sync_seconds);
    add_sample(fs.gauge("listeners", "Addresses HAProxy listens on"), static_cast<double>(c.listeners));
    add_sample(fs.gauge("backends", "Service ports routes send to"), static_cast<double>(c.backends));
    add_sample(fs.gauge("servers", "Endpoints in those backends"), static_cast<double>(c.servers));
    return fs.take();
}

}  // namespace svcnat::ingress
