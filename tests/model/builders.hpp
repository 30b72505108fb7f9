// Small helpers to build Kubernetes objects in code for the model tests
// (the manifest loader is tested on its own).
#pragma once

#include <string>
#include <vector>

#include "control/model/objects.hpp"

namespace svcnat::test {

inline IPAddr ip(const char* s) { return *IPAddr::parse(s); }

inline ServicePort port(uint16_t p, int32_t target, const std::string& name = "", Protocol proto = Protocol::TCP) {
    ServicePort sp;
    sp.name = name;
    sp.port = p;
    sp.protocol = proto;
    sp.targetPort.number = target;
    return sp;
}

inline ServicePort named_port(uint16_t p, const std::string& target, const std::string& name = "",
                              Protocol proto = Protocol::TCP) {
    ServicePort sp = port(p, 0, name, proto);
    sp.targetPort.is_name = true;
    sp.targetPort.name = target;
    return sp;
}

inline Service service(const std::string& name, Labels selector, std::vector<ServicePort> ports,
                       const char* cluster_ip = "10.96.0.10") {
    Service s;
    s.meta.name = name;
    s.meta.loc = {"svc.yaml", 1};
    s.selector = std::move(selector);
    s.has_selector = !s.selector.empty();
    s.ports = std::move(ports);
    if (cluster_ip) s.clusterIPs = {ip(cluster_ip)};
    return s;
}

inline Pod pod(const std::string& name, Labels labels, std::vector<const char*> ips, const std::string& node = "node-a",
               bool ready = true) {
    Pod p;
    p.meta.name = name;
    p.meta.labels = std::move(labels);
    for (auto* s : ips) p.podIPs.push_back(ip(s));
    p.nodeName = node;
    p.ready = ready;
    return p;
}

}  // namespace svcnat::test
