// What a new configuration needs of the running HAProxy: a reload (the
// skeleton or the TLS files differ), or only runtime API work: map
// contents replaced, servers added, re-weighted (draining) or removed.
// Pure: proxy.cpp carries it out.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "haproxy_config.hpp"

namespace svcnat::ingress {

struct ServerRef {
    std::string backend;  // HAProxy backend name
    L7Server server;
    bool operator==(const ServerRef&) const = default;
};

struct RuntimeUpdate {
    std::string reload_reason;  // "" = no reload needed
    std::vector<std::pair<std::string, MapEntries>> maps;  // whole new contents, by map file
    std::vector<ServerRef> added;
    std::vector<ServerRef> reweighted;  // drain flag changed
    std::vector<ServerRef> removed;
    bool reload() const { return !reload_reason.empty(); }
    bool empty() const { return !reload() && maps.empty() && added.empty() && reweighted.empty() && removed.empty(); }
    size_t runtime_changes() const { return maps.size() + added.size() + reweighted.size() + removed.size(); }
};

RuntimeUpdate plan_update(const HaproxyConfig& running, const HaproxyConfig& desired);

// "backend/server", as the runtime API names a server.
std::string server_id(const ServerRef& r);

// The runtime API commands for the server changes, in a safe order: new
// servers first (created in maintenance, then enabled), weight changes,
// removals last (maintenance, then delete). A server still in maintenance
// because its last connections kept it from being deleted
// (`in_maintenance`) is brought back instead of added. Map updates need the
// version `prepare map` answers, so proxy.cpp sends those itself.
std::vector<std::string> server_commands(const RuntimeUpdate& u, const std::set<std::string>& in_maintenance = {});

}  // namespace svcnat::ingress
