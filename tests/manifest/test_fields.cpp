// Every field the loader fills in, with the Kubernetes defaults where a field
// is absent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

IPAddr ip(const char* s) { return *IPAddr::parse(s); }

TEST(ServiceFields, EveryFieldOfALoadBalancer) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    ssh-service: "true"
  annotations:
    example.com/note: anything goes here
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  selector:
    app: web
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: http-web
    nodePort: 30080
    appProtocol: kubernetes.io/h2c
  - name: dns
    protocol: UDP
    port: 53
    nodePort: 30053
  externalIPs: [192.0.2.10, 2001:db8::10]
  loadBalancerIP: 203.0.113.7
  loadBalancerSourceRanges: [198.51.100.0/24, " 192.0.2.0/25 "]
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 600
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  healthCheckNodePort: 32000
  publishNotReadyAddresses: true
  allocateLoadBalancerNodePorts: false
status:
  loadBalancer:
    ingress:
    - ip: 203.0.113.8
    - hostname: lb.example.com
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(r.diagnostics, IsEmpty());
    ASSERT_EQ(r.manifests.services.size(), 1u);
    const Service& s = r.manifests.services[0];
    EXPECT_EQ(s.meta.name, "web");
    EXPECT_EQ(s.meta.ns, "shop");
    EXPECT_EQ(s.meta.labels, (Labels{{"app", "web"}, {"ssh-service", "true"}}));
    EXPECT_EQ(s.meta.annotations.at("example.com/note"), "anything goes here");
    EXPECT_EQ(s.meta.loc.file, "t.yaml");
    EXPECT_EQ(s.meta.loc.line, 2u);
    EXPECT_EQ(s.type, ServiceType::LoadBalancer);
    EXPECT_THAT(s.clusterIPs, ElementsAre(ip("10.96.0.10")));
    EXPECT_FALSE(s.headless);
    EXPECT_THAT(s.ipFamilies, ElementsAre(IPFamily::IPv4));
    EXPECT_EQ(s.ipFamilyPolicy, IPFamilyPolicy::SingleStack);
    EXPECT_TRUE(s.has_selector);
    EXPECT_EQ(s.selector, (Labels{{"app", "web"}}));
    ASSERT_EQ(s.ports.size(), 2u);
    EXPECT_EQ(s.ports[0].name, "http");
    EXPECT_EQ(s.ports[0].protocol, Protocol::TCP);
    EXPECT_EQ(s.ports[0].port, 80);
    EXPECT_EQ(s.ports[0].targetPort, (IntOrString{true, 0, "http-web"}));
    EXPECT_EQ(s.ports[0].nodePort, 30080);
    EXPECT_EQ(s.ports[0].appProtocol, "kubernetes.io/h2c");
    EXPECT_EQ(s.ports[0].line, 20u);
    EXPECT_EQ(s.ports[1].protocol, Protocol::UDP);
    EXPECT_EQ(s.ports[1].targetPort, (IntOrString{false, 53, ""}));  // defaults to port
    EXPECT_EQ(s.ports[1].line, 26u);
    EXPECT_THAT(s.externalIPs, ElementsAre(ip("192.0.2.10"), ip("2001:db8::10")));
    EXPECT_EQ(s.loadBalancerIP, ip("203.0.113.7"));
    EXPECT_THAT(s.loadBalancerIngress, ElementsAre(ip("203.0.113.8")));
    EXPECT_THAT(s.loadBalancerSourceRanges, ElementsAre(*CIDR::parse("198.51.100.0/24"), *CIDR::parse("192.0.2.0/25")));
    EXPECT_EQ(s.sessionAffinity, SessionAffinity::ClientIP);
    EXPECT_EQ(s.sessionAffinityTimeout, 600u);
    EXPECT_EQ(s.externalTrafficPolicy, TrafficPolicy::Local);
    EXPECT_EQ(s.internalTrafficPolicy, TrafficPolicy::Local);
    EXPECT_EQ(s.healthCheckNodePort, 32000);
    EXPECT_TRUE(s.publishNotReadyAddresses);
    EXPECT_FALSE(s.allocateLoadBalancerNodePorts);
}

TEST(ServiceFields, DefaultsOfAMinimalService) {
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: [{port: 8080}]\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Service& s = r.manifests.services.at(0);
    EXPECT_EQ(s.meta.ns, "default");
    EXPECT_EQ(s.type, ServiceType::ClusterIP);
    EXPECT_THAT(s.clusterIPs, IsEmpty());  // allocation fills it in
    EXPECT_FALSE(s.has_selector);
    EXPECT_EQ(s.ports[0].protocol, Protocol::TCP);
    EXPECT_EQ(s.ports[0].targetPort, (IntOrString{false, 8080, ""}));
    EXPECT_EQ(s.ports[0].nodePort, 0);
    EXPECT_EQ(s.sessionAffinity, SessionAffinity::None);
    EXPECT_EQ(s.sessionAffinityTimeout, 10800u);
    EXPECT_EQ(s.externalTrafficPolicy, TrafficPolicy::Cluster);
    EXPECT_EQ(s.internalTrafficPolicy, TrafficPolicy::Cluster);
    EXPECT_TRUE(s.allocateLoadBalancerNodePorts);
    EXPECT_FALSE(s.publishNotReadyAddresses);
}

TEST(ServiceFields, ClientIPWithoutConfigKeepsDefaultTimeout) {
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  sessionAffinity: ClientIP\n"
                  "  ports: [{port: 80}]\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services[0].sessionAffinityTimeout, 10800u);
}

TEST(ServiceFields, HeadlessExternalNameAndDualStack) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: db.example.com.
---
apiVersion: v1
kind: Service
metadata: {name: dual}
spec:
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv6, IPv4]
  clusterIPs: ["fd00:10:96::20", 10.96.0.20]
  ports: [{port: 80}]
)",
                  dual_stack_settings());
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    ASSERT_EQ(r.manifests.services.size(), 3u);
    EXPECT_TRUE(r.manifests.services[0].headless);
    EXPECT_THAT(r.manifests.services[0].clusterIPs, IsEmpty());
    EXPECT_EQ(r.manifests.services[1].type, ServiceType::ExternalName);
    EXPECT_EQ(r.manifests.services[1].externalName, "db.example.com.");
    const Service& dual = r.manifests.services[2];
    EXPECT_EQ(dual.ipFamilyPolicy, IPFamilyPolicy::RequireDualStack);
    EXPECT_THAT(dual.ipFamilies, ElementsAre(IPFamily::IPv6, IPFamily::IPv4));
    EXPECT_THAT(dual.clusterIPs, ElementsAre(ip("fd00:10:96::20"), ip("10.96.0.20")));
}

TEST(ServiceFields, AnchorsAliasesAndMergeKeys) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: &labels
    app: web
    tier: front
spec:
  selector: *labels
  ports:
  - &http {name: http, port: 80, targetPort: 8080}
  - <<: *http
    name: alt
    port: 8080
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Service& s = r.manifests.services.at(0);
    EXPECT_EQ(s.selector, (Labels{{"app", "web"}, {"tier", "front"}}));
    ASSERT_EQ(s.ports.size(), 2u);
    EXPECT_EQ(s.ports[1].name, "alt");
    EXPECT_EQ(s.ports[1].port, 8080);
    EXPECT_EQ(s.ports[1].targetPort.number, 8080);  // merged from *http
}

TEST(ServiceFields, MergedFieldsAreCheckedLikeOthers) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - &bad {name: a, port: 80, targte: 1}
  - <<: [*bad]
    name: b
    port: 81
  - <<: 42
    name: c
    port: 82
)");
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:6: unknown field \"spec.ports[0].targte\"",
                            "t.yaml:6: unknown field \"spec.ports[1].targte\"",
                            "t.yaml:10: spec.ports[2].<<: Invalid value: 42: map merge requires map or sequence of "
                            "maps as the value"));
}

TEST(ServiceFields, SameNodePortForTcpAndUdpOnOneServiceIsAllowed) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  type: NodePort
  ports:
  - {name: tcp, protocol: TCP, port: 53, nodePort: 30053}
  - {name: udp, protocol: UDP, port: 53, nodePort: 30053}
)");
    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services.size(), 1u);
}

TEST(ServiceFields, NamespaceYIsABooleanAsInKubernetes) {
    // YAML 1.1 (go-yaml v2, which Kubernetes uses) reads a bare y as true.
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: y}\nspec: {ports: [{port: 80}]}\n");
    EXPECT_THAT(messages(r), ElementsAre("t.yaml:3: metadata.namespace: Invalid value: y: expected string, got boolean"));
}

TEST(ServiceFields, SameNameInTwoNamespacesIsAllowed) {
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: one}\nspec: {ports: [{port: 80}]}\n"
                  "---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: two}\nspec: {ports: [{port: 80}]}\n");
    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services.size(), 2u);
}

TEST(EndpointSliceFields, EveryField) {
    auto r = load(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: shop
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-a
  zone: zone-1
  hostname: web-0
  hints:
    forZones: [{name: zone-1}]
  targetRef: {kind: Pod, name: web-0, namespace: shop}
- addresses: [10.244.2.6]
  conditions: {ready: false, terminating: true}
- addresses: [10.244.2.7]
ports:
- name: http
  protocol: TCP
  port: 8080
  appProtocol: http
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    ASSERT_EQ(r.manifests.endpointSlices.size(), 1u);
    const EndpointSlice& s = r.manifests.endpointSlices[0];
    EXPECT_EQ(s.meta.ns, "shop");
    EXPECT_EQ(s.serviceName, "web");
    EXPECT_EQ(s.addressType, IPFamily::IPv4);
    ASSERT_EQ(s.endpoints.size(), 3u);
    const SliceEndpoint& e = s.endpoints[0];
    EXPECT_THAT(e.addresses, ElementsAre(ip("10.244.1.5")));
    EXPECT_TRUE(e.conditions.ready);
    EXPECT_TRUE(e.conditions.serving);
    EXPECT_FALSE(e.conditions.terminating);
    EXPECT_EQ(e.nodeName, "node-a");
    EXPECT_EQ(e.zone, "zone-1");
    EXPECT_EQ(e.hostname, "web-0");
    EXPECT_THAT(e.hintZones, ElementsAre("zone-1"));
    EXPECT_EQ(e.targetPodName, "web-0");
    EXPECT_EQ(e.line, 10u);
    // serving absent: same as ready
    EXPECT_FALSE(s.endpoints[1].conditions.ready);
    EXPECT_FALSE(s.endpoints[1].conditions.serving);
    EXPECT_TRUE(s.endpoints[1].conditions.terminating);
    // no conditions at all: ready
    EXPECT_TRUE(s.endpoints[2].conditions.ready);
    EXPECT_TRUE(s.endpoints[2].conditions.serving);
    ASSERT_EQ(s.ports.size(), 1u);
    EXPECT_EQ(s.ports[0].name, "http");
    EXPECT_EQ(s.ports[0].port, 8080);
    EXPECT_EQ(s.ports[0].protocol, Protocol::TCP);
}

TEST(EndpointsFields, SubsetsWithReadyAndNotReadyAddresses) {
    auto r = load(R"(apiVersion: v1
kind: Endpoints
metadata: {name: mongo}
subsets:
- addresses:
  - ip: 192.0.2.12
    nodeName: node-a
    hostname: mongo-0
    targetRef: {kind: Pod, name: mongo-0}
  notReadyAddresses:
  - ip: 192.0.2.13
  ports:
  - port: 27017
    protocol: TCP
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Endpoints& e = r.manifests.endpoints.at(0);
    ASSERT_EQ(e.subsets.size(), 1u);
    ASSERT_EQ(e.subsets[0].addresses.size(), 1u);
    EXPECT_EQ(e.subsets[0].addresses[0].ip, ip("192.0.2.12"));
    EXPECT_EQ(e.subsets[0].addresses[0].nodeName, "node-a");
    EXPECT_EQ(e.subsets[0].addresses[0].hostname, "mongo-0");
    EXPECT_EQ(e.subsets[0].addresses[0].targetPodName, "mongo-0");
    ASSERT_EQ(e.subsets[0].notReadyAddresses.size(), 1u);
    EXPECT_EQ(e.subsets[0].notReadyAddresses[0].ip, ip("192.0.2.13"));
    ASSERT_EQ(e.subsets[0].ports.size(), 1u);
    EXPECT_EQ(e.subsets[0].ports[0].port, 27017);
}

TEST(PodFields, LabelsNodePortsIPsAndReadiness) {
    auto r = load(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-0
  labels: {app: web}
  deletionTimestamp: "2024-01-01T00:00:00Z"
spec:
  nodeName: node-a
  containers:
  - name: web
    image: nginx
    ports:
    - {name: http-web, containerPort: 8080}
    - {containerPort: 53, protocol: UDP}
  - name: sidecar
    ports: [{name: metrics, containerPort: 9090}]
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00:244::5"}]
  conditions:
  - {type: PodScheduled, status: "True"}
  - {type: Ready, status: "False"}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
status: {podIP: 10.244.1.6}
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    ASSERT_EQ(r.manifests.pods.size(), 2u);
    const Pod& p = r.manifests.pods[0];
    EXPECT_EQ(p.meta.labels, (Labels{{"app", "web"}}));
    EXPECT_EQ(p.nodeName, "node-a");
    EXPECT_THAT(p.podIPs, ElementsAre(ip("10.244.1.5"), ip("fd00:244::5")));
    EXPECT_EQ(p.phase, "Running");
    EXPECT_FALSE(p.ready);
    EXPECT_TRUE(p.terminating);
    ASSERT_EQ(p.ports.size(), 3u);
    EXPECT_EQ(p.ports[0].name, "http-web");
    EXPECT_EQ(p.ports[0].containerPort, 8080);
    EXPECT_EQ(p.ports[1].protocol, Protocol::UDP);
    EXPECT_EQ(p.ports[2].name, "metrics");
    const Pod& plain = r.manifests.pods[1];
    EXPECT_TRUE(plain.ready);  // no conditions, Running by default
    EXPECT_FALSE(plain.terminating);
}

TEST(NodeFields, AddressesAndZone) {
    auto r = load(R"(apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/zone: zone-1}
spec: {podCIDR: 10.244.1.0/24}
status:
  addresses:
  - {type: Hostname, address: node-a}
  - {type: InternalIP, address: 10.0.0.5}
  - {type: ExternalIP, address: 203.0.113.5}
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Node& n = r.manifests.nodes.at(0);
    EXPECT_THAT(n.internalIPs, ElementsAre(ip("10.0.0.5")));
    EXPECT_THAT(n.externalIPs, ElementsAre(ip("203.0.113.5")));
    EXPECT_EQ(n.zone, "zone-1");
}

// ServiceCIDR (networking.k8s.io/v1): the cluster's service ranges come
// from --service-cidr and these objects; ClusterIPs are checked against all
// of them, wherever in the files the ServiceCIDR is.
TEST(ServiceCIDRFields, RangesFromObjectsAndSettingsTogether) {
    auto r = load(R"(apiVersion: v1
kind: Service
metadata: {name: in-second-range}
spec:
  clusterIP: 10.200.0.10
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: v6-only}
spec:
  ipFamilies: [IPv6]
  clusterIP: "fd00:10:200::10"
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: ServiceCIDR
metadata: {name: extra}
spec:
  cidrs: [10.200.0.0/16, "fd00:10:200::/112"]
status:
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: networking.k8s.io/v1beta1
kind: ServiceCIDR
metadata: {name: beta}
spec: {cidrs: [10.201.0.0/16]}
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services.size(), 2u);
    ASSERT_EQ(r.manifests.serviceCIDRs.size(), 2u);
    EXPECT_EQ(r.manifests.serviceCIDRs[0].cidrs.size(), 2u);
    const auto all = effective_service_cidrs(Settings{}.service_cidrs, r.manifests.serviceCIDRs);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].str(), "10.96.0.0/12");
    EXPECT_EQ(all[3].str(), "10.201.0.0/16");
}

TEST(ServiceCIDRFields, AddressOutsideEveryRangeNamesThemAll) {
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  clusterIP: 10.250.0.1\n"
                  "  ports: [{port: 80}]\n---\napiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\n"
                  "metadata: {name: extra}\nspec: {cidrs: [10.200.0.0/16]}\n");
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:5: spec.clusterIPs: Invalid value: []string{\"10.250.0.1\"}: failed to allocate IP "
                            "10.250.0.1: the provided IP (10.250.0.1) is not in the valid range. The range of valid "
                            "IPs is 10.96.0.0/12, 10.200.0.0/16"));
}

TEST(ServiceCIDRFields, InvalidObjectsAreRefusedLikeTheApiServer) {
    auto r = load("apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: a}\n"
                  "spec: {cidrs: [10.200.0.1/16, 10.201.0.0/16, \"fd00::/112\"]}\n---\n"
                  "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: b}\nspec: {}\n---\n"
                  "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: c}\n"
                  "spec: {cidrs: [10.202.0.0/16, 10.203.0.0/16]}\n");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.manifests.serviceCIDRs.empty());
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:4: spec.cidrs: Too many: 3: must have at most 2 items",
                            "t.yaml:4: spec.cidrs[0]: Invalid value: \"10.200.0.1/16\": must be a valid CIDR value, "
                            "(e.g. 10.9.8.0/24 or 2001:db8::/64)",
                            "t.yaml:9: spec.cidrs: Required value",
                            "t.yaml:14: spec.cidrs[1]: Invalid value: \"10.203.0.0/16\": may specify no more than one "
                            "CIDR for each IP family"));
}

TEST(OtherKinds, AreSkippedWithANotice) {
    auto r = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n");
    EXPECT_TRUE(r.ok());
    EXPECT_THAT(messages(r), ElementsAre("t.yaml:2: skipping ConfigMap cfg: not used by svcnat"));
    EXPECT_EQ(r.diagnostics[0].severity, Severity::Notice);
}

TEST(InvalidObjects, WrongApiVersionRejectsTheObject) {
    auto r = load("apiVersion: apps/v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\n"
                  "kind: Pod\nmetadata: {name: p}\n");
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.manifests.services, IsEmpty());
    EXPECT_THAT(r.manifests.pods, IsEmpty());
    EXPECT_THAT(messages(r), ElementsAre("t.yaml:1: apiVersion: Unsupported value: \"apps/v1\": supported values: \"v1\"",
                                         "t.yaml:6: apiVersion: Required value"));
}

TEST(InvalidObjects, AreLeftOutWhileValidOnesStay) {
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: good}\nspec: {ports: [{port: 80}]}\n---\n"
                  "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 0}]}\n");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.manifests.services.size(), 1u);
    EXPECT_EQ(r.manifests.services[0].meta.name, "good");
}

}  // namespace
}  // namespace svcnat::testing
