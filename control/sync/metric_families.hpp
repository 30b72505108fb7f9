// Prometheus metric families made at scrape time from a data path's own
// counters (prometheus-cpp's Collectable), for data paths that count for
// themselves: the gateway's workers, the ingress proxy. Each scrape builds
// its families once, names prefixed by the data path ("svcnat_gateway_").
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <deque>
#include <string>
#include <vector>

namespace svcnat {

using MetricLabels = std::vector<prometheus::ClientMetric::Label>;

class MetricFamilies {
public:
    explicit MetricFamilies(std::string prefix) : prefix_(std::move(prefix)) {}

    prometheus::MetricFamily& counter(const std::string& name, const std::string& help) {
        return family(name, help, prometheus::MetricType::Counter);
    }
    prometheus::MetricFamily& gauge(const std::string& name, const std::string& help) {
        return family(name, help, prometheus::MetricType::Gauge);
    }
    prometheus::MetricFamily& histogram(const std::string& name, const std::string& help) {
        return family(name, help, prometheus::MetricType::Histogram);
    }
    std::vector<prometheus::MetricFamily> take() {
        std::vector<prometheus::MetricFamily> out;
        for (auto& f : families_) out.push_back(std::move(f));
        return out;
    }

private:
    prometheus::MetricFamily& family(const std::string& name, const std::string& help, prometheus::MetricType type) {
        families_.push_back(prometheus::MetricFamily{prefix_ + name, help, type, {}});
        return families_.back();
    }
    std::string prefix_;
    std::deque<prometheus::MetricFamily> families_;  // references stay valid while adding
};

// One sample of a counter or gauge family.
inline void add_sample(prometheus::MetricFamily& f, double value, MetricLabels labels = {}) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (f.type == prometheus::MetricType::Counter) m.counter.value = value;
    else m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

}  // namespace svcnat
