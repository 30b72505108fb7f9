// The ingress data path's Prometheus metrics (svcnat_ingress_*), read from
// the proxy's counters at scrape time: is HAProxy up, how often it started,
// reloaded (and failed to), how many changes went through the runtime API
// instead, and what it serves.
#pragma once

#include <prometheus/collectable.h>

#include <memory>

#include "proxy.hpp"

namespace svcnat::ingress {

class IngressMetrics final : public prometheus::Collectable {
public:
    explicit IngressMetrics(std::shared_ptr<const Proxy> proxy) : proxy_(std::move(proxy)) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::shared_ptr<const Proxy> proxy_;
};

}  // namespace svcnat::ingress
