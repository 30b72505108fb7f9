// The daemon's own HTTP endpoints, as kube-proxy lays them out: /healthz and
// /livez on --healthz-bind-address, /metrics on --metrics-bind-address (the
// two may be the same address: then one listener serves all three).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon_status.hpp"
#include "http_listener.hpp"

namespace svcnat {

class StatusServers {
public:
    explicit StatusServers(const DaemonStatus& status) : status_(status) {}
    // "" disables an address. Throws std::runtime_error naming the address on
    // a bind failure or a malformed address.
    void start(const std::string& healthz_address, const std::string& metrics_address);
    void stop() { listeners_.clear(); }
    // Bound ports in start() order (healthz first when enabled), for the log
    // that bind port 0.
    std::vector<uint16_t> ports() const;

private:
    const DaemonStatus& status_;
    std::vector<std::unique_ptr<HttpListener>> listeners_;
};

}  // namespace svcnat
