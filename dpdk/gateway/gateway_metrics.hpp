// The gateway's Prometheus metrics, collected at scrape time from what the
// workers already count: their per-worker counters (summed here), the
// per-service and per-backend traffic the sweep folds from flow entries,
// the SNAT pools' per-address counts, the ports' device counters and the
// neighbour table. Scraping never touches the fast path: no per-packet
// shared counter exists for it, and nothing here takes a lock a worker
// takes. Served by the daemon's /metrics next to its sync metrics.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <utility>

namespace svcnat::dpdk {

class Gateway;

class GatewayMetrics final : public prometheus::Collectable {
public:
    explicit GatewayMetrics(Gateway& gw) : gw_(gw) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    Gateway& gw_;
};

// A traffic stat name as the gateway keys it ("ns/name:port" or
// "ns/name:port ip:port") split into the service and backend labels.
std::pair<std::string, std::string> service_and_backend(const std::string& stat_name);

}  // namespace svcnat::dpdk
