#include "objects.hpp"

#include <algorithm>

namespace svcnat {

std::string_view to_string(Protocol p) {
    switch (p) {
        case Protocol::TCP: return "TCP";
        case Protocol::UDP: return "UDP";
        case Protocol::SCTP: return "SCTP";
    }
    return "?";
}

std::string_view to_string(ServiceType t) {
    switch (t) {
        case ServiceType::ClusterIP: return "ClusterIP";
        case ServiceType::NodePort: return "NodePort";
        case ServiceType::LoadBalancer: return "LoadBalancer";
        case ServiceType::ExternalName: return "ExternalName";
    }
    return "?";
}

std::string_view to_string(TrafficPolicy p) { return p == TrafficPolicy::Local ? "Local" : "Cluster"; }

std::string_view to_string(IPFamilyPolicy p) {
    switch (p) {
        case IPFamilyPolicy::SingleStack: return "SingleStack";
        case IPFamilyPolicy::PreferDualStack: return "PreferDualStack";
        case IPFamilyPolicy::RequireDualStack: return "RequireDualStack";
    }
    return "?";
}

std::string_view to_string(SessionAffinity a) { return a == SessionAffinity::ClientIP ? "ClientIP" : "None"; }

std::optional<Protocol> parse_protocol(std::string_view s) {
    if (s == "TCP") return Protocol::TCP;
    if (s == "UDP") return Protocol::UDP;
    if (s == "SCTP") return Protocol::SCTP;
    return std::nullopt;
}

std::optional<ServiceType> parse_service_type(std::string_view s) {
    if (s == "ClusterIP") return ServiceType::ClusterIP;
    if (s == "NodePort") return ServiceType::NodePort;
    if (s == "LoadBalancer") return ServiceType::LoadBalancer;
    if (s == "ExternalName") return ServiceType::ExternalName;
    return std::nullopt;
}

std::optional<TrafficPolicy> parse_traffic_policy(std::string_view s) {
    // "Cluster"/"Local"; the API server also still accepts the legacy
    // spellings for externalTrafficPolicy.
    if (s == "Cluster" || s == "Global") return TrafficPolicy::Cluster;
    if (s == "Local" || s == "OnlyLocal") return TrafficPolicy::Local;
    return std::nullopt;
}

std::optional<IPFamilyPolicy> parse_ip_family_policy(std::string_view s) {
    if (s == "SingleStack") return IPFamilyPolicy::SingleStack;
    if (s == "PreferDualStack") return IPFamilyPolicy::PreferDualStack;
    if (s == "RequireDualStack") return IPFamilyPolicy::RequireDualStack;
    return std::nullopt;
}

std::optional<SessionAffinity> parse_session_affinity(std::string_view s) {
    if (s == "None") return SessionAffinity::None;
    if (s == "ClientIP") return SessionAffinity::ClientIP;
    return std::nullopt;
}

std::vector<CIDR> effective_service_cidrs(const std::vector<CIDR>& configured, const std::vector<ServiceCIDR>& objects) {
    std::vector<CIDR> out = configured;
    for (const auto& o : objects)
        for (const auto& c : o.cidrs)
            if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    return out;
}

}  // namespace svcnat
