// The HAProxy configuration for a route model: haproxy.cfg, the map files it
// loads, the crt-lists and certificate files, in the ingress state
// directory. Pure: rendering writes nothing (proxy.cpp writes the files).
//
// The part of the configuration that only a reload changes (listeners,
// the backends that exist, conditional routes, certificates) is kept apart
// from what the runtime API changes (map entries, servers): the data path
// reloads only when the former differs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "route_tables.hpp"

namespace svcnat::ingress {

// Where the files live, all under one directory svcnat owns.
struct ProxyPaths {
    std::string dir;
    std::string config() const { return dir + "/haproxy.cfg"; }
    std::string master_socket() const { return dir + "/master.sock"; }
    std::string admin_socket() const { return dir + "/admin.sock"; }
    std::string default_certificate() const { return dir + "/certs/default.pem"; }
    std::string map(const ListenerTables& t, MapKind kind) const;
    std::string crt_list(const ListenerTables& t) const { return dir + "/certs/" + t.id + ".crtlist"; }
    std::string certificate(const std::string& secret) const;  // "ns/name" -> dir/certs/ns_name.pem
};

struct HaproxyConfig {
    std::string text;      // haproxy.cfg, servers included
    std::string skeleton;  // haproxy.cfg without servers: equal skeletons need no reload
    // Certificates and crt-lists (path -> content); a change needs a reload.
    std::map<std::string, std::string> tls_files;
    // What the runtime API changes: map contents (path -> entries) and the
    // servers of each backend (by HAProxy backend name).
    std::map<std::string, MapEntries> maps;
    std::map<std::string, std::vector<L7Server>> servers;
    bool operator==(const HaproxyConfig&) const = default;
};

// `default_certificate_pem`: the certificate TLS listeners serve when no
// SNI matches (the route model's, or the self-signed one the data path made).
// `threads`: HAProxy's nbthread (0: its default, one per CPU it may use).
HaproxyConfig render_config(const RouteState& state, const ProxyPaths& paths, const std::string& default_certificate_pem,
                            unsigned threads = 0);

// A map file's text, and a server line's address.
std::string map_file_text(const MapEntries& entries);
std::string server_line(const L7Server& s);

}  // namespace svcnat::ingress
