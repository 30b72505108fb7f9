#include "runtime_plan.hpp"

#include <algorithm>

#include "haproxy_text.hpp"

namespace svcnat::ingress {

namespace {

bool same_address(const L7Server& a, const L7Server& b) { return a.ip == b.ip && a.port == b.port; }

// Both lists sorted by (ip, port): one merge walk.
void diff_servers(const std::string& backend, const std::vector<L7Server>& before, const std::vector<L7Server>& after,
                  RuntimeUpdate& u) {
    size_t i = 0, j = 0;
    while (i < before.size() || j < after.size()) {
        if (j == after.size() || (i < before.size() && std::tie(before[i].ip, before[i].port) < std::tie(after[j].ip, after[j].port))) {
            u.removed.push_back({backend, before[i++]});
        } else if (i == before.size() || !same_address(before[i], after[j])) {
            u.added.push_back({backend, after[j++]});
        } else {
            if (before[i].drain != after[j].drain) u.reweighted.push_back({backend, after[j]});
            ++i, ++j;
        }
    }
}

}  // namespace

RuntimeUpdate plan_update(const HaproxyConfig& running, const HaproxyConfig& desired) {
    RuntimeUpdate u;
    if (running.skeleton != desired.skeleton) u.reload_reason = "listeners, backends or conditional routes changed";
    else if (running.tls_files != desired.tls_files) u.reload_reason = "certificates changed";
    if (u.reload()) return u;
    for (const auto& [file, entries] : desired.maps) {
        auto it = running.maps.find(file);
        if (it == running.maps.end() || it->second != entries) u.maps.emplace_back(file, entries);
    }
    // Equal skeletons: the same backends on both sides.
    for (const auto& [backend, servers] : desired.servers) {
        auto it = running.servers.find(backend);
        diff_servers(backend, it == running.servers.end() ? std::vector<L7Server>{} : it->second, servers, u);
    }
    return u;
}

std::string server_id(const ServerRef& r) { return r.backend + "/" + server_name(r.server.ip, r.server.port); }

std::vector<std::string> server_commands(const RuntimeUpdate& u, const std::set<std::string>& in_maintenance) {
    std::vector<std::string> out;
    auto id = server_id;
    auto weight = [](const ServerRef& r) { return std::string(r.server.drain ? "0" : "1"); };
    for (const auto& r : u.added) {
        if (in_maintenance.count(id(r))) {
            out.push_back("set server " + id(r) + " weight " + weight(r));
            out.push_back("set server " + id(r) + " state ready");
            continue;
        }
        out.push_back("add server " + id(r) + " " + SocketAddress{r.server.ip, r.server.port}.str() + " weight " + weight(r));
        out.push_back("enable server " + id(r));
    }
    for (const auto& r : u.reweighted) out.push_back("set server " + id(r) + " weight " + weight(r));
    for (const auto& r : u.removed) {
        out.push_back("set server " + id(r) + " state maint");
        out.push_back("del server " + id(r));
    }
    return out;
}

}  // namespace svcnat::ingress
