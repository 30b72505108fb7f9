// Small builders shared by the daemon tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel hands
// out ports in sequence, so it is not handed out again at once).
inline uint16_t free_tcp_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

}  // namespace svcnat::test
