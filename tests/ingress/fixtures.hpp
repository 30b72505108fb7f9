// Manifests for the ingress tests, read by the real loader and resolved
// into a route model with the settings the ingress lab uses.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/manifest/load.hpp"
#include "control/model/resolve.hpp"
#include "control/model/routes.hpp"

namespace svcnat::testing {

// A Service `name` (port 80 -> 8080) with ready endpoints at `ips`.
inline std::string service_with_endpoints(const std::string& name, const std::vector<std::string>& ips,
                                          const std::string& ns = "default") {
    std::string y = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
                    "}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n"
                    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name +
                    "-1\n  namespace: " + ns + "\n  labels: {kubernetes.io/service-name: " + name +
                    "}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n";
    for (const auto& ip : ips) y += "- addresses: [" + ip + "]\n";
    return y + "---\n";
}

inline std::string simple_ingress(const std::string& name, const std::string& host, const std::string& path,
                                  const std::string& service, const std::string& type = "Prefix") {
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name + "}\nspec:\n"
           "  ingressClassName: svcnat\n  rules:\n  - host: \"" + host + "\"\n    http:\n      paths:\n"
           "      - {path: " + path + ", pathType: " + type + ", backend: {service: {name: " + service +
           ", port: {number: 80}}}}\n---\n";
}

inline IngressOptions lab_options() {
    IngressOptions o;
    o.http = SocketAddress{*IPAddr::parse("192.0.2.10"), 80};
    o.https = SocketAddress{*IPAddr::parse("192.0.2.10"), 443};
    return o;
}

inline RouteState route_model(const std::string& yaml, const IngressOptions& opts = lab_options()) {
    const LoadResult r = load_text(yaml, "t.yaml", Settings{});
    EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].str());
    return resolve(r.manifests, NodeInfo{}, nullptr, ResolveOptions{.routes = &opts}).routes;
}

}  // namespace svcnat::testing
