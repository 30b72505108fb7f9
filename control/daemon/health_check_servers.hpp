// kube-proxy's service health-check servers: for every LoadBalancer Service
// with externalTrafficPolicy Local, its healthCheckNodePort answers any GET
// with 200 while this node has ready local endpoints (and the proxy is
// healthy), else 503, so cloud load balancers send traffic only to nodes that
// can serve it without a second hop. One listener per port; ports open and
// close as services come and go.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/model/resolved.hpp"
#include "health.hpp"
#include "http_listener.hpp"

namespace svcnat {

struct HealthCheckService {
    std::string ns;
    std::string name;
    uint16_t port = 0;
    int local_endpoints = 0;  // distinct ready endpoint IPs on this node, over all its ports
    bool operator==(const HealthCheckService&) const = default;
};

// Pure: the health-check ports a state asks for, sorted by port. When two
// services claim one port (validation should prevent it) the first wins.
std::vector<HealthCheckService> health_check_services(const ServiceState& state);

// kube-proxy's body and status code for one service.
HttpReply health_check_reply(const HealthCheckService& svc, bool proxy_healthy);

class HealthCheckServers {
public:
    // `host`: address to bind ("0.0.0.0"); `proxy_healthy`: the /healthz verdict.
    HealthCheckServers(std::string host, std::function<bool()> proxy_healthy);
    ~HealthCheckServers();

    // Opens, keeps or closes listeners to match `services`. Returns one
    // message per port that could not be opened.
    std::vector<std::string> update(const std::vector<HealthCheckService>& services);
    std::vector<uint16_t> open_ports() const;

private:
    std::optional<HealthCheckService> lookup(uint16_t port) const;

    std::string host_;
    std::function<bool()> proxy_healthy_;
    mutable std::mutex mu_;  // guards services_ (read by request threads)
    std::map<uint16_t, HealthCheckService> services_;
    std::map<uint16_t, std::unique_ptr<HttpListener>> listeners_;  // event loop only
};

}  // namespace svcnat
