// Named ServiceStates covering each kernel-mode feature, shared by the
// golden tests (pure) and the e2e tests (programmed into namespaces).
#pragma once

#include <string>
#include <vector>

#include "fixtures.hpp"

namespace svcnat::nft::testing {

struct Scenario {
    std::string name;
    ServiceState state;
    Settings settings;
};

inline std::vector<Scenario> scenarios() {
    std::vector<Scenario> out;
    auto s = test_settings();
    out.push_back({"clusterip",
                   state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080), ep("10.244.2.7", 8080)}),
                             service("dns", "10.96.0.53", 53, {ep("10.244.1.9", 53)}, Protocol::UDP)}),
                   s});
    out.push_back({"no-endpoints", state_of({service("empty", "10.96.0.20", 80, {})}), s});
    {
        auto sp = service("lb", "10.96.0.30", 443, {ep("10.244.1.5", 8443, true), ep("10.244.2.5", 8443)});
        sp.type = ServiceType::LoadBalancer;
        sp.nodePort = 30443;
        sp.externalIPs = {ip("198.51.100.7")};
        sp.loadBalancerIPs = {ip("203.0.113.9")};
        sp.loadBalancerSourceRanges = {cidr("198.51.100.0/24"), cidr("192.0.2.128/25")};
        out.push_back({"loadbalancer", state_of({sp}), s});
    }
    {
        auto sp = service("local", "10.96.0.40", 80, {ep("10.244.1.5", 8080, true), ep("10.244.2.5", 8080)});
        sp.type = ServiceType::LoadBalancer;
        sp.nodePort = 31080;
        sp.loadBalancerIPs = {ip("203.0.113.40")};
        sp.externalTrafficPolicy = TrafficPolicy::Local;
        auto none_local = service("nolocal", "10.96.0.41", 80, {ep("10.244.2.6", 8080)});
        none_local.type = ServiceType::NodePort;
        none_local.nodePort = 31081;
        none_local.externalTrafficPolicy = TrafficPolicy::Local;
        out.push_back({"etp-local", state_of({sp, none_local}), s});
    }
    {
        auto sp = service("sticky", "10.96.0.60", 80, {ep("10.244.1.5", 8080), ep("10.244.2.5", 8080)});
        sp.sessionAffinity = SessionAffinity::ClientIP;
        sp.sessionAffinityTimeout = 600;
        out.push_back({"affinity", state_of({sp}), s});
    }
    {
        auto sp = service("dual", "10.96.0.80", 80, {ep("10.244.1.5", 8080), ep("fd00:10:244::5", 8080)});
        sp.clusterIPs.push_back(ip("fd00:10:96::80"));
        sp.nodePort = 30080;
        auto sticky6 = service("sticky6", "fd00:10:96::81", 53, {ep("fd00:10:244::6", 5353), ep("fd00:10:244::7", 5353)},
                               Protocol::UDP);
        sticky6.sessionAffinity = SessionAffinity::ClientIP;
        auto ds = s;
        ds.cluster_cidrs.push_back(cidr("fd00:10:244::/56"));
        auto st = state_of({sp, sticky6});
        st.node.ips.push_back(ip("2001:db8::10"));
        out.push_back({"dualstack", st, ds});
    }
    {
        auto sp = service("np", "10.96.0.70", 80, {ep("10.244.1.5", 8080)}, Protocol::SCTP);
        sp.nodePort = 30070;
        auto all = s;
        all.nodeport_addresses.all_local = true;
        all.masquerade_all = true;
        out.push_back({"nodeport-all-local", state_of({sp}), all});
        auto cidrs = s;
        cidrs.nodeport_addresses.cidrs = {cidr("192.0.2.0/24"), cidr("2001:db8::/64")};
        cidrs.cluster_cidrs.clear();
        out.push_back({"nodeport-cidrs", state_of({sp}), cidrs});
    }
    return out;
}

}  // namespace svcnat::nft::testing
