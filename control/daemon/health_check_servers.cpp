#include "health_check_servers.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

namespace svcnat {

std::vector<HealthCheckService> health_check_services(const ServiceState& state) {
    // Per service: its port and the distinct local ready endpoint IPs. A pod
    // serving two ports counts once, as it is one place to send traffic.
    struct Acc {
        uint16_t port = 0;
        std::set<IPAddr> local_ready;
    };
    std::map<std::pair<std::string, std::string>, Acc> per_service;
    for (const auto& sp : state.ports) {
        if (sp.type != ServiceType::LoadBalancer || sp.externalTrafficPolicy != TrafficPolicy::Local ||
            sp.healthCheckNodePort == 0)
            continue;
        auto& acc = per_service[{sp.ns, sp.name}];
        acc.port = sp.healthCheckNodePort;
        for (const auto& ep : sp.endpoints)
            if (ep.is_local && ep.ready) acc.local_ready.insert(ep.ip);
    }
    std::map<uint16_t, HealthCheckService> by_port;
    for (const auto& [key, acc] : per_service)
        by_port.emplace(acc.port,
                        HealthCheckService{key.first, key.second, acc.port, static_cast<int>(acc.local_ready.size())});
    std::vector<HealthCheckService> out;
    for (auto& [port, s] : by_port) out.push_back(std::move(s));
    return out;
}

HttpReply health_check_reply(const HealthCheckService& svc, bool proxy_healthy) {
    nlohmann::ordered_json j;
    j["service"] = {{"namespace", svc.ns}, {"name", svc.name}};
    j["localEndpoints"] = svc.local_endpoints;
    j["serviceProxyHealthy"] = proxy_healthy;
    return {svc.local_endpoints > 0 && proxy_healthy ? 200 : 503, j.dump()};
}

HealthCheckServers::HealthCheckServers(std::string host, std::function<bool()> proxy_healthy)
    : host_(std::move(host)), proxy_healthy_(std::move(proxy_healthy)) {}

HealthCheckServers::~HealthCheckServers() { listeners_.clear(); }

std::optional<HealthCheckService> HealthCheckServers::lookup(uint16_t port) const {
    std::lock_guard lock(mu_);
    auto it = services_.find(port);
    if (it == services_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> HealthCheckServers::update(const std::vector<HealthCheckService>& services) {
    std::vector<std::string> errors;
    std::map<uint16_t, HealthCheckService> wanted;
    for (const auto& s : services) wanted.emplace(s.port, s);

    // Close ports no longer wanted first (a port may move between services).
    for (auto it = listeners_.begin(); it != listeners_.end();) {
        if (!wanted.count(it->first)) {
            spdlog::info("health check node port {} closed", it->first);
            it = listeners_.erase(it);
        } else {
            ++it;
        }
    }
    {
        std::lock_guard lock(mu_);
        services_ = wanted;
    }
    for (const auto& [port, svc] : wanted) {
        if (listeners_.count(port)) continue;
        auto server = std::make_unique<httplib::Server>();
        const uint16_t p = port;
        server->Get(".*", [this, p](const httplib::Request&, httplib::Response& res) {
            auto svc = lookup(p);
            if (!svc) {  // being closed: never report healthy
                res.status = 503;
                return;
            }
            HttpReply r = health_check_reply(*svc, proxy_healthy_ ? proxy_healthy_() : true);
            res.status = r.status;
            res.set_header("X-Content-Type-Options", "nosniff");
            // As kube-proxy: tells weighted load balancers how many local endpoints serve.
            res.set_header("X-Load-Balancing-Endpoint-Weight", std::to_string(svc->local_endpoints));
            res.set_content(r.body, "application/json");
        });
        auto listener = std::make_unique<HttpListener>(std::move(server), 2);
        std::string err;
        if (!listener->start({host_, port}, &err)) {
            errors.push_back("health check node port " + std::to_string(port) + " for " + svc.ns + "/" +
                             svc.name + ": " + err);
            continue;
        }
        spdlog::info("health check node port {} open for {}/{} ({} local endpoints)", port, svc.ns, svc.name,
                     svc.local_endpoints);
        listeners_.emplace(port, std::move(listener));
    }
    return errors;
}

std::vector<uint16_t> HealthCheckServers::open_ports() const {
    std::vector<uint16_t> out;
    for (const auto& [port, l] : listeners_) out.push_back(port);
    return out;
}

}  // namespace svcnat
