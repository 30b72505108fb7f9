// The Kubernetes objects svcnat reads (Service, EndpointSlice, Endpoints, Pod,
// Node), as plain data. Field names follow the Kubernetes API so that a reader
// who knows the API knows these types. No I/O and no validation here: the
// manifest loader fills them in and checks them; resolution and allocation
// (resolve.hpp, allocate.hpp) are pure functions over them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ip.hpp"
#include "l7_objects.hpp"
#include "object_meta.hpp"

namespace svcnat {

enum class Protocol : uint8_t { TCP, UDP, SCTP };
enum class ServiceType : uint8_t { ClusterIP, NodePort, LoadBalancer, ExternalName };
enum class TrafficPolicy : uint8_t { Cluster, Local };
enum class IPFamilyPolicy : uint8_t { SingleStack, PreferDualStack, RequireDualStack };
enum class SessionAffinity : uint8_t { None, ClientIP };

std::string_view to_string(Protocol p);
std::string_view to_string(ServiceType t);
std::string_view to_string(TrafficPolicy p);
std::string_view to_string(IPFamilyPolicy p);
std::string_view to_string(SessionAffinity a);
std::optional<Protocol> parse_protocol(std::string_view s);
std::optional<ServiceType> parse_service_type(std::string_view s);
std::optional<TrafficPolicy> parse_traffic_policy(std::string_view s);
std::optional<IPFamilyPolicy> parse_ip_family_policy(std::string_view s);
std::optional<SessionAffinity> parse_session_affinity(std::string_view s);

// targetPort: a number or the name of a container port.
struct IntOrString {
    bool is_name = false;
    int32_t number = 0;
    std::string name;
    std::string str() const { return is_name ? name : std::to_string(number); }
    bool operator==(const IntOrString&) const = default;
};

struct ServicePort {
    std::string name;
    Protocol protocol = Protocol::TCP;
    uint16_t port = 0;
    IntOrString targetPort;  // defaulted to `port` by the loader when absent
    uint16_t nodePort = 0;   // 0: none (yet); allocation fills it where needed
    std::string appProtocol;
    uint32_t line = 0;       // line of this port's list item
};

struct Service {
    ObjectMeta meta;
    ServiceType type = ServiceType::ClusterIP;
    // Empty before allocation; `headless` for clusterIP: None.
    std::vector<IPAddr> clusterIPs;
    bool headless = false;
    std::vector<IPFamily> ipFamilies;
    IPFamilyPolicy ipFamilyPolicy = IPFamilyPolicy::SingleStack;
    std::vector<ServicePort> ports;
    Labels selector;
    bool has_selector = false;  // `selector: {}` and absent both mean "no selector"
    std::vector<IPAddr> externalIPs;
    std::optional<IPAddr> loadBalancerIP;       // deprecated spec field, still honoured
    std::vector<IPAddr> loadBalancerIngress;    // status.loadBalancer.ingress[].ip
    std::vector<CIDR> loadBalancerSourceRanges;
    SessionAffinity sessionAffinity = SessionAffinity::None;
    uint32_t sessionAffinityTimeout = 10800;
    TrafficPolicy externalTrafficPolicy = TrafficPolicy::Cluster;
    TrafficPolicy internalTrafficPolicy = TrafficPolicy::Cluster;
    uint16_t healthCheckNodePort = 0;
    bool publishNotReadyAddresses = false;
    bool allocateLoadBalancerNodePorts = true;
    std::string externalName;
};

struct EndpointConditions {
    // Kubernetes: a nil `ready` means ready; serving defaults to ready.
    bool ready = true;
    bool serving = true;
    bool terminating = false;
};

struct EndpointPort {
    std::string name;
    Protocol protocol = Protocol::TCP;
    uint16_t port = 0;
};

struct SliceEndpoint {
    std::vector<IPAddr> addresses;
    EndpointConditions conditions;
    std::string nodeName;
    std::string zone;
    std::string hostname;
    std::vector<std::string> hintZones;  // hints.forZones[].name
    std::string targetPodName;           // targetRef.name when kind Pod
    uint32_t line = 0;
};

struct EndpointSlice {
    ObjectMeta meta;
    std::string serviceName;  // label kubernetes.io/service-name
    IPFamily addressType = IPFamily::IPv4;
    std::vector<SliceEndpoint> endpoints;
    std::vector<EndpointPort> ports;
};

struct EndpointAddress {
    IPAddr ip;
    std::string nodeName;
    std::string hostname;
    std::string targetPodName;
};

struct EndpointSubset {
    std::vector<EndpointAddress> addresses;
    std::vector<EndpointAddress> notReadyAddresses;
    std::vector<EndpointPort> ports;
};

// core/v1 Endpoints: named like its Service; used for Services without a
// selector (seed 001's mongo example).
struct Endpoints {
    ObjectMeta meta;
    std::vector<EndpointSubset> subsets;
};

struct ContainerPort {
    std::string name;
    uint16_t containerPort = 0;
    Protocol protocol = Protocol::TCP;
};

struct Pod {
    ObjectMeta meta;
    std::string nodeName;
    std::vector<IPAddr> podIPs;       // status.podIP(s)
    bool ready = false;               // status.conditions Ready=True (or no conditions and Running)
    bool terminating = false;         // metadata.deletionTimestamp set
    std::string phase = "Running";    // status.phase
    std::vector<ContainerPort> ports;  // all containers' ports
    // spec.hostname / spec.subdomain: with subdomain = a headless Service's
    // name, the pod is <hostname>.<service>.<ns>.svc.<zone> in DNS.
    std::string hostname;
    std::string subdomain;
};

struct Node {
    ObjectMeta meta;
    std::vector<IPAddr> internalIPs;
    std::vector<IPAddr> externalIPs;
    std::string zone;  // label topology.kubernetes.io/zone
};

// networking.k8s.io/v1 ServiceCIDR (GA in Kubernetes 1.33): a range that
// ClusterIPs are allocated from, at most one per IP family. A cluster can
// have several; an export of such a cluster has ClusterIPs in all of them.
struct ServiceCIDR {
    ObjectMeta meta;  // cluster-scoped: meta.ns is empty
    std::vector<CIDR> cidrs;
};

// Everything read from the manifests: the model's input.
struct Manifests {
    std::vector<Service> services;
    std::vector<EndpointSlice> endpointSlices;
    std::vector<Endpoints> endpoints;
    std::vector<Pod> pods;
    std::vector<Node> nodes;
    std::vector<ServiceCIDR> serviceCIDRs;
    // What the L7 proxy serves (routes.hpp); read whatever the data paths.
    std::vector<Ingress> ingresses;
    std::vector<IngressClass> ingressClasses;
    std::vector<TLSSecret> secrets;
    std::vector<Namespace> namespaces;
    std::vector<GatewayClass> gatewayClasses;
    std::vector<Gateway> gateways;
    std::vector<HTTPRoute> httpRoutes;
    std::vector<ReferenceGrant> referenceGrants;
};

// Calls f(&Manifests::list) for every object list but `services` (which
// the loader stages with more than the objects): code that moves, joins or
// checks every kind goes through this, so a new kind is added in one place.
template <class F>
void for_each_object_list(F&& f) {
    f(&Manifests::endpointSlices);
    f(&Manifests::endpoints);
    f(&Manifests::pods);
    f(&Manifests::nodes);
    f(&Manifests::serviceCIDRs);
    f(&Manifests::ingresses);
    f(&Manifests::ingressClasses);
    f(&Manifests::secrets);
    f(&Manifests::namespaces);
    f(&Manifests::gatewayClasses);
    f(&Manifests::gateways);
    f(&Manifests::httpRoutes);
    f(&Manifests::referenceGrants);
}

// The cluster's service ranges: those configured (--service-cidr) first,
// then those of the ServiceCIDR objects in manifest order, each once.
// Validation, allocation and the drop of unallocated ClusterIPs use all.
std::vector<CIDR> effective_service_cidrs(const std::vector<CIDR>& configured, const std::vector<ServiceCIDR>& objects);

}  // namespace svcnat
