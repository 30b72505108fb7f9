// Small helpers to write ServiceStates in tests without manifests.
#pragma once

#include <string>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/resolved.hpp"
#include "nft/ruleset.hpp"

namespace svcnat::nft::testing {

inline IPAddr ip(const char* s) { return *IPAddr::parse(s); }
inline CIDR cidr(const char* s) { return *CIDR::parse(s); }

inline ResolvedEndpoint ep(const char* addr, uint16_t port, bool local = false, bool ready = true) {
    ResolvedEndpoint e;
    e.ip = ip(addr);
    e.port = port;
    e.is_local = local;
    e.ready = ready;
    e.serving = ready;
    e.nodeName = local ? "node-a" : "node-b";
    return e;
}

inline ResolvedServicePort service(const char* name, const char* cluster_ip, uint16_t port,
                                   std::vector<ResolvedEndpoint> eps, Protocol proto = Protocol::TCP) {
    ResolvedServicePort sp;
    sp.ns = "default";
    sp.name = name;
    sp.portName = "http";
    sp.protocol = proto;
    sp.port = port;
    if (cluster_ip) sp.clusterIPs = {ip(cluster_ip)};
    sp.endpoints = std::move(eps);
    return sp;
}

inline Settings test_settings() {
    Settings s;
    s.node_name = "node-a";
    s.node_ips = {ip("192.0.2.10")};
    s.cluster_cidrs = {cidr("10.244.0.0/16")};
    return s;
}

inline ServiceState state_of(std::vector<ResolvedServicePort> ports) {
    ServiceState st;
    st.node.name = "node-a";
    st.node.ips = {ip("192.0.2.10")};
    st.ports = std::move(ports);
    st.service_cidrs = {cidr("10.96.0.0/12"), cidr("fd00:10:96::/112")};
    return st;
}

// n services "svc-<i>" with ClusterIP 10.96.x.y and `eps` endpoints each.
inline ServiceState many_services(size_t n, size_t eps) {
    std::vector<ResolvedServicePort> ports;
    ports.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        auto sp = service(("svc-" + std::to_string(i)).c_str(), nullptr, 80, {});
        sp.clusterIPs = {IPAddr::v4(0x0a600000u + 1 + static_cast<uint32_t>(i))};
        for (size_t e = 0; e < eps; ++e) {
            ResolvedEndpoint x;
            x.ip = IPAddr::v4(0x0af40000u + static_cast<uint32_t>(i * eps + e + 1));
            x.port = 8080;
            sp.endpoints.push_back(x);
        }
        ports.push_back(std::move(sp));
    }
    return state_of(std::move(ports));
}

// An element's owner as text ("" for none).
inline const std::string& owner_name(const Owner& o) {
    static const std::string none;
    return o ? *o : none;
}

}  // namespace svcnat::nft::testing
