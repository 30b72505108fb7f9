// kubectl's renderings of Ingresses (printers and describeIngressV1) and of
// the Gateway API's printer columns, over svcnat's model: `svcnat get
// ingress|httproute|gateway` and `svcnat describe ingress`.
#pragma once

#include <string>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/objects.hpp"

namespace svcnat::cli {

// HOSTS: the rules' hosts, at most four then " + N more...", "*" for none.
std::string ingress_hosts_column(const Ingress& ing);
// PORTS: "80", or "80, 443" with TLS.
std::string ingress_ports_column(const Ingress& ing);
// ADDRESS: --ingress-status-address, else the specific bind addresses.
std::string ingress_address_column(const IngressSettings& settings);

// HOSTNAMES of an HTTPRoute as kubectl prints the CRD's column: ["a","b"].
std::string route_hostnames_column(const HTTPRoute& route);

// kubectl describe ingress, tab-aligned; backends with their ready
// endpoints from `endpoints` (all_endpoints()).
std::string describe_ingress(const Ingress& ing, const Manifests& manifests, const std::vector<Endpoints>& endpoints,
                             const std::string& address);

}  // namespace svcnat::cli
