// Kernel mode, the service types: real TCP and UDP through the rules that
// `svcnat sync --once` programs in the lab's node namespace. ClusterIP from a
// pod, NodePort, LoadBalancer ingress and externalIPs from the external
// client, named and multiple ports, spreading, hairpin, and fast rejects.
#include <gtest/gtest.h>

#include "kernel_fixture.hpp"

namespace svcnat::e2e {
namespace {

class ServiceTypes : public KernelModeTest {};

const std::vector<std::string> kAllPods{"pod1", "pod2", "pod3", "pod4"};

TEST_F(ServiceTypes, ClusterIPFromAPodReachesEveryEndpoint) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.10
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
)"));
    // 60 new connections over 4 endpoints: all four answer unless the
    // spreading is broken (a fair choice misses one with p < 1e-6).
    EXPECT_TRUE(served_only_by("pod1", "http://10.96.0.10/", 60, kAllPods));
    // UDP to a port the service does not define is not served by the pods' DNS port.
    EXPECT_FALSE(lab().udp("pod1", "10.96.0.10", 53)[0].ok);
}

TEST_F(ServiceTypes, NodePortFromTheClientIsMasqueraded) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web-nodeport
spec:
  type: NodePort
  clusterIP: 10.96.0.11
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30080
)"));
    EXPECT_TRUE(served_only_by("client", "http://203.0.113.1:30080/", 60, kAllPods));
    // externalTrafficPolicy Cluster: the endpoint may sit on another node, so
    // the node masquerades and the pod does not see the client's address.
    auto seen = lab().http("client", "http://203.0.113.1:30080/client", 5);
    for (const auto& o : seen) {
        ASSERT_TRUE(o.ok) << o.str();
        EXPECT_NE(o.answer, "203.0.113.100");
    }
    // The ClusterIP of a NodePort service works too.
    EXPECT_TRUE(served_only_by("pod2", "http://10.96.0.11/", 40, kAllPods));
}

TEST_F(ServiceTypes, LoadBalancerIngressAndItsNodePortFromTheClient) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web-lb
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.12
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30081
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.10
)"));
    EXPECT_TRUE(served_only_by("client", "http://198.51.100.10/", 60, kAllPods));
    EXPECT_TRUE(served_only_by("client", "http://203.0.113.1:30081/", 40, kAllPods));
    // From inside the cluster the ingress address works as well (kube-proxy
    // short-circuits it instead of going out to the load balancer).
    EXPECT_TRUE(served_only_by("pod3", "http://198.51.100.10/", 40, kAllPods));
}

TEST_F(ServiceTypes, ExternalIPsFromTheClient) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web-external
spec:
  clusterIP: 10.96.0.13
  externalIPs:
  - 192.0.2.10
  selector:
    app: web
  ports:
  - port: 8000
    targetPort: 8080
)"));
    EXPECT_TRUE(served_only_by("client", "http://192.0.2.10:8000/", 60, kAllPods));
    // Only the service's port is forwarded on that address.
    EXPECT_FALSE(lab().tcp_connect("client", "192.0.2.10", 80).ok);
}

TEST_F(ServiceTypes, MultiplePortsAndNamedTargetPorts) {
    // Two extra pods whose port named "web" has a different number each; a
    // service reaching both can only have resolved the name per pod.
    struct Cleanup {
        Lab& lab;
        ~Cleanup() {
            for (const char* pod : {"named-a", "named-b"}) {
                try {
                    lab.del_pod(pod);
                } catch (...) {
                }
            }
        }
    } cleanup{lab()};
    lab().add_pod("named-a", "10.244.1.21", {"--http", "8081 9090", "--udp", "", "--echo", "", "--sctp", ""});
    lab().add_pod("named-b", "10.244.1.22", {"--http", "8082 9090", "--udp", "", "--echo", "", "--sctp", ""});
    auto pods = lab_pods();
    for (auto [name, ip, port] : {std::tuple{"named-a", "10.244.1.21", 8081}, {"named-b", "10.244.1.22", 8082}}) {
        PodSpec p;
        p.name = name;
        p.ips = {ip};
        p.labels = {{"app", "named"}};
        p.ports = {{"web", port, "TCP"}, {"metrics", 9090, "TCP"}};
        pods.push_back(p);
    }
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: named
spec:
  clusterIP: 10.96.0.14
  selector:
    app: named
  ports:
  - name: http
    port: 80
    targetPort: web
  - name: metrics
    port: 9090
    targetPort: metrics
)", pods));
    EXPECT_TRUE(served_only_by("pod1", "http://10.96.0.14/", 30, {"named-a", "named-b"}));
    EXPECT_TRUE(served_only_by("pod1", "http://10.96.0.14:9090/", 30, {"named-a", "named-b"}));
}

TEST_F(ServiceTypes, HairpinAPodReachesItselfThroughItsService) {
    auto pods = lab_pods();
    pods[1].labels.push_back({"role", "solo"});
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: solo
spec:
  clusterIP: 10.96.0.15
  selector:
    role: solo
  ports:
  - port: 80
    targetPort: 8080
)", pods));
    auto counts = http_tally("pod2", "http://10.96.0.15/", 10);
    EXPECT_EQ(counts, (std::map<std::string, int>{{"You've hit pod2", 10}})) << show(counts);
}

TEST_F(ServiceTypes, NoEndpointsIsRejectedAtOnce) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: empty
spec:
  type: NodePort
  clusterIP: 10.96.0.16
  selector:
    app: nothing-matches
  ports:
  - name: http
    port: 80
    targetPort: 8080
    nodePort: 30099
  - name: dns
    port: 53
    protocol: UDP
    targetPort: 53
)"));
    // A reject, not a drop: the client learns at once instead of timing out.
    auto tcp = lab().tcp_connect("pod1", "10.96.0.16", 80, 3);
    EXPECT_EQ(tcp.error, "ECONNREFUSED") << tcp.str();
    EXPECT_LT(tcp.ms, 1000) << tcp.str();
    auto node_port = lab().tcp_connect("client", "203.0.113.1", 30099, 3);
    EXPECT_EQ(node_port.error, "ECONNREFUSED") << node_port.str();
    EXPECT_LT(node_port.ms, 1000) << node_port.str();
    auto udp = lab().udp("pod1", "10.96.0.16", 53, 1, 0, 3);
    EXPECT_EQ(udp[0].error, "ECONNREFUSED") << udp[0].str();
    EXPECT_LT(udp[0].ms, 1000) << udp[0].str();
}

TEST_F(ServiceTypes, UndefinedPortOfAClusterIPIsRejectedAtOnce) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.10
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)"));
    EXPECT_TRUE(lab().tcp_connect("pod1", "10.96.0.10", 80).ok);
    auto o = lab().tcp_connect("pod1", "10.96.0.10", 81, 3);
    EXPECT_EQ(o.error, "ECONNREFUSED") << o.str();
    EXPECT_LT(o.ms, 1000) << o.str();
}

}  // namespace
}  // namespace svcnat::e2e
