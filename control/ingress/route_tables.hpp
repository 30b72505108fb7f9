// The route model (route_state.hpp) compiled into what HAProxy looks up:
// per listener, a map from virtual host + path to a target (Exact paths in
// a tree map, prefixes in a longest-prefix tree map keyed with a trailing
// '/', which makes the match element-wise), where an exact hostname is its
// own virtual host key, so a request for one costs two lookups; maps from
// a host's suffix to a wildcard virtual host for the others; and the few
// configuration lines routes need that a map cannot hold (method, header
// and query matches, filters, weights).
//
// A target is a backend's name (most routes: a map hit is the whole
// decision), or "@<slot>" when the matched path has conditional routes:
// the slot's lines then pick a route in precedence order, falling back to
// shorter prefixes as the route model's order says. Every virtual host has
// the prefix entry "<host>/", so a request for a known host never falls
// through to another virtual host (404 if nothing of its own matches). So
// 10,000 Ingress paths are 10,000 map entries and no configuration line,
// and map entries change at run time without a reload.
#pragma once

#include <compare>
#include <string>
#include <vector>

#include "control/model/route_state.hpp"

namespace svcnat::ingress {

struct MapEntry {
    std::string key;
    std::string value;
    auto operator<=>(const MapEntry&) const = default;
};
using MapEntries = std::vector<MapEntry>;  // in file order

// The maps of one listener, by their role.
enum class MapKind : uint8_t { OneLabelWildcards, AnyDepthWildcards, ExactPaths, PrefixPaths };
inline constexpr MapKind kMapKinds[] = {MapKind::OneLabelWildcards, MapKind::AnyDepthWildcards, MapKind::ExactPaths,
                                        MapKind::PrefixPaths};
std::string_view map_suffix(MapKind kind);  // "wild1", "wildn", "exact", "prefix"

struct ListenerTables {
    SocketAddress address;
    bool tls = false;
    std::string id;                  // listener_id(address)
    MapEntries maps[std::size(kMapKinds)];
    const MapEntries& map(MapKind k) const { return maps[static_cast<size_t>(k)]; }
    // Lines of the frontend for conditional slots and route actions.
    std::vector<std::string> request_rules;
    std::vector<std::string> response_rules;
    // The target that answers plain requests for hosts redirected to HTTPS
    // (Ingress TLS hosts), "" when none is.
    std::string https_redirect;
    bool operator==(const ListenerTables&) const = default;
};

// Targets that answer without a backend.
inline constexpr std::string_view kStatusBackends[] = {"status_404", "status_500", "status_503"};
// The backend answering a listener's redirected hosts with 308 to HTTPS.
std::string https_redirect_backend(const ListenerTables& t);

std::vector<ListenerTables> compile_routes(const RouteState& state);

}  // namespace svcnat::ingress
