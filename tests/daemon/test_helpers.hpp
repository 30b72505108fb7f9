// Small builders shared by the daemon tests.
#pragma once

#include <string>

#include "control/model/resolved.hpp"

namespace svcnat::test {

inline IPAddr ip(const char* s) { return *IPAddr::parse(s); }

inline ResolvedEndpoint endpoint(const char* addr, bool local, bool ready = true, uint16_t port = 8080) {
    ResolvedEndpoint e;
    e.ip = ip(addr);
    e.port = port;
    e.is_local = local;
    e.ready = ready;
    e.serving = ready;
    e.nodeName = local ? "node-a" : "node-b";
    return e;
}

inline ResolvedServicePort service_port(const std::string& ns, const std::string& name, const std::string& port_name,
                                        uint16_t port, ServiceType type = ServiceType::ClusterIP) {
    ResolvedServicePort sp;
    sp.ns = ns;
    sp.name = name;
    sp.portName = port_name;
    sp.port = port;
    sp.type = type;
    sp.clusterIPs = {ip("10.96.0.10")};
    return sp;
}

}  // namespace svcnat::test
