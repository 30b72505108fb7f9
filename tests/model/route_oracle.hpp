// The matching rules of route_state.hpp, written out plainly for the tests:
// given a RouteState, which route answers a request? The HAProxy data path
// implements the same rules with maps and ACLs; the route model's tests use
// this to check that the model's order says what the specifications say,
// and the ingress lab (tests/ingress/e2e) sends the same cases through
// HAProxy.
#pragma once

#include <map>
#include <regex>
#include <string>

#include "control/model/routes.hpp"

namespace svcnat::testing {

struct Request {
    Request(std::string h, std::string p = "/", std::map<std::string, std::string> hd = {},
            std::map<std::string, std::string> q = {}, std::string m = "GET")
        : host(std::move(h)), path(std::move(p)), headers(std::move(hd)), query(std::move(q)), method(std::move(m)) {}
    std::string host;
    std::string path;
    std::map<std::string, std::string> headers;  // lower-case names
    std::map<std::string, std::string> query;
    std::string method;
};

inline const L7VirtualHost* pick_vhost(const L7Listener& l, std::string host) {
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
        host.resize(colon);
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const L7VirtualHost* best = nullptr;
    size_t best_suffix = 0;
    bool best_one_label = false;
    for (const auto& vh : l.vhosts) {
        if (vh.hostname == host && !vh.hostname.starts_with("*.")) return &vh;
        if (!vh.hostname.starts_with("*.")) continue;
        const std::string suffix = vh.hostname.substr(1);  // ".foo.com"
        if (host.size() <= suffix.size() || !host.ends_with(suffix)) continue;
        const std::string label = host.substr(0, host.size() - suffix.size());
        const bool one_label = label.find('.') == std::string::npos;
        if (!vh.any_depth && !one_label) continue;
        const bool better = suffix.size() > best_suffix || (suffix.size() == best_suffix && !vh.any_depth && !best_one_label);
        if (!best || better) best = &vh, best_suffix = suffix.size(), best_one_label = !vh.any_depth;
    }
    if (best) return best;
    for (const auto& vh : l.vhosts)
        if (vh.hostname.empty()) return &vh;
    return nullptr;
}

inline bool value_matches(const HTTPValueMatch& m, const std::map<std::string, std::string>& values, bool lower_names) {
    std::string name = m.name;
    if (lower_names)
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = values.find(name);
    if (it == values.end()) return false;
    if (m.type == ValueMatchType::Exact) return it->second == m.value;
    return std::regex_search(it->second, std::regex(m.value));
}

inline const L7Route* match(const L7Listener& l, const Request& r) {
    const L7VirtualHost* vh = pick_vhost(l, r.host);
    if (!vh) return nullptr;
    for (const auto& route : vh->routes) {
        const bool path_ok = route.path_kind == L7PathKind::Exact ? route.path == r.path : prefix_matches(route.path, r.path);
        if (!path_ok) continue;
        if (!route.method.empty() && route.method != r.method) continue;
        bool ok = true;
        for (const auto& h : route.headers) ok = ok && value_matches(h, r.headers, true);
        for (const auto& q : route.query) ok = ok && value_matches(q, r.query, false);
        if (ok) return &route;
    }
    return nullptr;
}

// The Service name a route sends to ("web" of "ns/web:80"), "" when it
// answers without one (404 when no route, its status for a bad backend).
inline std::string backend_service(const RouteState& s, const L7Route* route) {
    if (!route || route->backends.empty() || route->backends[0].backend < 0) return "";
    const std::string& name = s.backends[route->backends[0].backend].name;
    const auto slash = name.find('/'), colon = name.rfind(':');
    return name.substr(slash + 1, colon - slash - 1);
}

}  // namespace svcnat::testing
