// Kernel mode, the policies: externalTrafficPolicy and internalTrafficPolicy
// Local, session affinity, and the fallback to serving+terminating endpoints.
// All lab pods are physically behind this node; the manifests place pod3 and
// pod4 on node-b (spec.nodeName), which is what svcnat decides "local" by.
#include <gtest/gtest.h>

#include <set>

#include "kernel_fixture.hpp"

namespace svcnat::e2e {
namespace {

class Policies : public KernelModeTest {
protected:
    // pod1, pod2 on node-a (local); pod3, pod4 on node-b (remote).
    static std::vector<PodSpec> split_pods() {
        auto pods = lab_pods();
        pods[2].node = "node-b";
        pods[3].node = "node-b";
        pods[2].labels.push_back({"placement", "remote"});
        pods[3].labels.push_back({"placement", "remote"});
        return pods;
    }
};

TEST_F(Policies, ExternalTrafficPolicyLocalKeepsTheClientAddress) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: local-web
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.20
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30090
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.20
)", split_pods()));
    EXPECT_TRUE(served_only_by("client", "http://203.0.113.1:30090/", 40, {"pod1", "pod2"}));
    EXPECT_TRUE(served_only_by("client", "http://198.51.100.20/", 40, {"pod1", "pod2"}));
    // No SNAT: the pod sees the external client itself.
    auto seen = http_tally("client", "http://198.51.100.20/client", 10);
    EXPECT_EQ(seen, (std::map<std::string, int>{{"203.0.113.100", 10}})) << show(seen);
    // Internal traffic is not restricted by the external policy.
    EXPECT_TRUE(served_only_by("pod1", "http://10.96.0.20/", 60, {"pod1", "pod2", "pod3", "pod4"}));
}

TEST_F(Policies, ExternalTrafficPolicyLocalDropsWithoutALocalEndpoint) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: remote-only
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.21
  selector:
    placement: remote
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30091
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.21
)", split_pods()));
    // Dropped, not rejected: the load balancer's health check (not a reset)
    // is what steers clients away from a node without local endpoints.
    for (auto [host, port] : {std::pair{"203.0.113.1", 30091}, {"198.51.100.21", 80}}) {
        auto o = lab().tcp_connect("client", host, port, 1);
        EXPECT_FALSE(o.ok) << host << ":" << port;
        EXPECT_EQ(o.error, "timeout") << host << ":" << port << " " << o.str();
    }
    // From inside the cluster the remote endpoints still serve.
    EXPECT_TRUE(served_only_by("pod1", "http://10.96.0.21/", 30, {"pod3", "pod4"}));
}

TEST_F(Policies, InternalTrafficPolicyLocalKeepsPodTrafficOnTheNode) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: node-local
spec:
  internalTrafficPolicy: Local
  clusterIP: 10.96.0.22
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: node-local-remote-only
spec:
  internalTrafficPolicy: Local
  clusterIP: 10.96.0.23
  selector:
    placement: remote
  ports:
  - port: 80
    targetPort: 8080
)", split_pods()));
    EXPECT_TRUE(served_only_by("pod3", "http://10.96.0.22/", 40, {"pod1", "pod2"}));
    // No local endpoint: the traffic does not leave for another node.
    auto o = lab().tcp_connect("pod1", "10.96.0.23", 80, 1);
    EXPECT_FALSE(o.ok) << o.str();
}

TEST_F(Policies, SessionAffinityClientIPSticks) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: sticky
spec:
  clusterIP: 10.96.0.24
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 600
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: not-sticky
spec:
  clusterIP: 10.96.0.25
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)"));
    for (const char* client : {"pod1", "pod3"}) {
        auto sticky = http_tally(client, "http://10.96.0.24/", 20);
        EXPECT_EQ(sticky.size(), 1u) << client << ": " << show(sticky);
        EXPECT_EQ(sticky.begin()->first.rfind("You've hit pod", 0), 0u) << show(sticky);
    }
    // The control: the same 20 requests without affinity spread.
    auto spread = http_tally("pod1", "http://10.96.0.25/", 20);
    EXPECT_GT(spread.size(), 1u) << show(spread);
}

TEST_F(Policies, ServingTerminatingEndpointsServeOnlyWhenNoneIsReady) {
    const std::vector<ContainerPortSpec> ports{{"", 8080, "TCP"}};
    std::string services = R"(apiVersion: v1
kind: Service
metadata:
  name: draining
spec:
  clusterIP: 10.96.0.26
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: mixed
spec:
  clusterIP: 10.96.0.27
  ports:
  - port: 80
    targetPort: 8080
---
)";
    services += endpoint_slice_yaml("draining-1", "draining",
                                    {{.ip = "10.244.1.11", .ready = false, .serving = true, .terminating = true},
                                     {.ip = "10.244.1.12", .ready = false, .serving = false, .terminating = true}},
                                    ports);
    services += "---\n" + endpoint_slice_yaml("mixed-1", "mixed",
                                              {{.ip = "10.244.1.13"},
                                               {.ip = "10.244.1.14", .ready = false, .serving = true,
                                                .terminating = true}},
                                              ports);
    ASSERT_TRUE(apply(services));
    // Only terminating endpoints: the serving one still takes connections
    // (graceful rollout instead of an outage).
    auto draining = http_tally("pod3", "http://10.96.0.26/", 20);
    EXPECT_EQ(draining, (std::map<std::string, int>{{"You've hit pod1", 20}})) << show(draining);
    // A ready endpoint exists: terminating ones get nothing new.
    auto mixed = http_tally("pod1", "http://10.96.0.27/", 20);
    EXPECT_EQ(mixed, (std::map<std::string, int>{{"You've hit pod3", 20}})) << show(mixed);
}

}  // namespace
}  // namespace svcnat::e2e
