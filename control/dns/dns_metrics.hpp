// Cluster DNS's Prometheus metrics under CoreDNS's names and labels, so the
// dashboards and alerts written for CoreDNS work unchanged: requests and
// responses by server, zone, protocol, family, type and rcode, request
// duration, the cache (entries, hits, misses, prefetches, stale answers),
// the forwarder per upstream (requests, responses, failed health checks),
// autopath and build info. Summed at scrape time over every thread's
// DnsStats (dns_stats.hpp): the hot path never shares a counter.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>

#include "server.hpp"

namespace svcnat::dns {

class DnsMetrics final : public prometheus::Collectable {
public:
    DnsMetrics(std::shared_ptr<const Server> server, std::string version, std::string revision)
        : server_(std::move(server)), version_(std::move(version)), revision_(std::move(revision)) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::shared_ptr<const Server> server_;
    std::string version_, revision_;
};

// CoreDNS's `server` label of a listening address: "dns://10.96.0.10:53".
std::string server_label(const SocketAddress& a);

}  // namespace svcnat::dns
