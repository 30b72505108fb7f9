// Kernel mode, where svcnat once differed from kube-proxy on real cluster
// data (issue "kube-proxy parity"): EndpointSlices written for selector
// Services (a cluster export has no Pods), traffic to unallocated ClusterIPs,
// a load balancer's own address as a source under loadBalancerSourceRanges,
// what --masquerade-all marks, and several service ranges per family
// (--service-cidr lists and ServiceCIDR objects). Each test sends real
// traffic; each failed against the code before the change.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "kernel_fixture.hpp"

namespace svcnat::e2e {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The source tree: lab.sh lives in <root>/scripts/lab/.
std::string source_root() {
    return std::filesystem::path(lab_script()).parent_path().parent_path().parent_path().string();
}

// Counts, in the client namespace (the node's upstream router), packets
// that arrive for the given prefixes: traffic the node let out instead of
// dropping. A table of the lab's own, in the lab's namespace.
class UpstreamCounter {
public:
    UpstreamCounter(const Lab& lab, const std::vector<std::string>& v4, const std::vector<std::string>& v6) : lab_(lab) {
        run({"nft", "add", "table", "inet", kTable});
        run({"nft", "add", "chain", "inet", kTable, "seen", "{ type filter hook prerouting priority -300 ; }"});
        for (const auto& p : v4) run({"nft", "add", "rule", "inet", kTable, "seen", "ip", "daddr", p, "counter"});
        for (const auto& p : v6) run({"nft", "add", "rule", "inet", kTable, "seen", "ip6", "daddr", p, "counter"});
    }
    ~UpstreamCounter() { lab_.exec("client", {"nft", "delete", "table", "inet", kTable}); }

    long packets() const {
        auto r = lab_.exec("client", {"nft", "list", "chain", "inet", kTable, "seen"});
        long total = 0;
        static const std::regex counter("packets ([0-9]+)");
        for (std::sregex_iterator it(r.out.begin(), r.out.end(), counter), end; it != end; ++it)
            total += std::stol((*it)[1]);
        return total;
    }

private:
    static constexpr const char* kTable = "svcnat-e2e-upstream";
    void run(const std::vector<std::string>& argv) const {
        auto r = lab_.exec("client", argv);
        if (!r.ok()) throw std::runtime_error("nft in the client namespace failed: " + r.describe());
    }
    const Lab& lab_;
};

class Parity : public KernelModeTest {};

// 1. A cluster export: Services (with selectors) and their EndpointSlices,
// no Pods. Served exactly as the slices say: pod4 is in the lab but listed
// not-ready, so it gets nothing.
TEST_F(Parity, ClusterExportWithoutPodsServesItsEndpointSlices) {
    manifests_->write("node.yaml", node_yaml());
    manifests_->write("cluster-export.yaml", read_file(source_root() + "/conf/examples/export/cluster-export.yaml"));
    auto r = sync_once();
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(served_only_by("pod4", "http://10.96.120.7/", 40, {"pod1", "pod2", "pod3"}));
    EXPECT_TRUE(served_only_by("pod4", "http://[fd00:10:96::7807]/", 30, {"pod1", "pod2"}));
    EXPECT_TRUE(served_only_by("client", "http://203.0.113.1:30180/", 40, {"pod1", "pod2", "pod3"}));

    auto get = lab().exec("node", {svcnat_binary(), "get", "endpoints", "-n", "shop", "--node-name", "node-a", "-o",
                                   "wide", "-f", manifests_->path()});
    ASSERT_TRUE(get.ok()) << get.describe();
    EXPECT_NE(get.out.find("web-nodeport   10.244.1.11:8080,10.244.1.12:8080,10.244.1.13:8080"), std::string::npos)
        << get.out;
}

// Pods that a selector matches and slices written for the same Service:
// the union, each backend once.
TEST_F(Parity, PodsAndEndpointSlicesTogetherCountEachBackendOnce) {
    auto pods = lab_pods();
    pods[3].labels = {{"app", "other"}};  // pod4 reaches the service only through the slice
    write_manifests(documents({R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  clusterIP: 10.96.0.40
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
)",
                               endpoint_slice_yaml("web-extra", "web",
                                                   {{"10.244.1.12"}, {"10.244.1.13", "node-b"}, {"10.244.1.14"}},
                                                   {{"http", 8080, "TCP"}})}),
                    pods);
    auto r = sync_once();
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(served_only_by("client", "http://10.96.0.40/", 60, {"pod1", "pod2", "pod3", "pod4"}));

    auto get = lab().exec("node", {svcnat_binary(), "describe", "svc", "web", "--node-name", "node-a", "-f",
                                   manifests_->path()});
    ASSERT_TRUE(get.ok()) << get.describe();
    EXPECT_NE(get.out.find("10.244.1.11:8080,10.244.1.12:8080,10.244.1.13:8080 + 1 more..."), std::string::npos)
        << get.out;
    // The ruleset has one endpoint per backend: four, not six.
    auto rules = lab().exec("node", {"nft", "list", "map", "ip", "svcnat", "endpoints"});
    if (rules.ok()) {
        for (const char* ip : {"10.244.1.12", "10.244.1.13"}) {
            size_t n = 0;
            for (size_t at = rules.out.find(ip); at != std::string::npos; at = rules.out.find(ip, at + 1)) ++n;
            EXPECT_LE(n, 1u) << ip << " bound " << n << " times:\n" << rules.out;
        }
    }
}

// 2. Inside a service range, an address no Service holds is dropped, from a
// pod (forwarded) and from the node itself (locally generated), both
// families; before, it went out of the default route (and, with the range
// routed back to the cluster, looped).
TEST_F(Parity, UnallocatedClusterIPsAreDroppedNotForwarded) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ipFamilyPolicy: RequireDualStack
  clusterIPs: [10.96.0.41, "fd00:10:96::41"]
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)",
                      lab_pods(true)));
    UpstreamCounter upstream(lab(), {"10.96.0.0/12"}, {"fd00:10:96::/112"});
    for (const auto& where : {"pod1", "node"})
        for (const auto& host : {"10.96.0.99", "fd00:10:96::99"}) {
            auto o = lab().tcp_connect(where, host, 80, 1);
            EXPECT_EQ(o.error, "timeout") << where << " -> " << host << ": " << o.str();
            // Dropped on output, a datagram of the node's own fails at once.
            const std::string dropped = std::string(where) == "node" ? "EPERM" : "timeout";
            EXPECT_EQ(lab().udp(where, host, 53, 1, 0, 1).at(0).error, dropped) << where << " -> " << host;
        }
    EXPECT_EQ(upstream.packets(), 0) << "packets to unallocated ClusterIPs left the node";
    // The allocated ClusterIP still serves, and its undefined ports are
    // still rejected (the reject comes before the drop).
    EXPECT_TRUE(served_only_by("pod1", "http://[fd00:10:96::41]/", 20, {"pod1", "pod2", "pod3", "pod4"}));
    auto undefined = lab().tcp_connect("pod1", "10.96.0.41", 81, 3);
    EXPECT_EQ(undefined.error, "ECONNREFUSED") << undefined.str();
}

// 3. loadBalancerSourceRanges that hold the node also let the service's own
// LoadBalancer address in as a source (a node that holds the LB address, a
// hairpinning cloud LB).
TEST_F(Parity, LoadBalancerOwnAddressIsAnAllowedSource) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: fenced
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.42
  loadBalancerSourceRanges: [203.0.113.0/25]
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30142
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.42
)"));
    auto add = lab().exec("node", {"ip", "addr", "add", "198.51.100.42/32", "dev", "ext0"});
    ASSERT_TRUE(add.ok()) << add.describe();
    auto from_lb = tally(lab().http("node", "http://198.51.100.42/", 20, 1, "198.51.100.42"));
    lab().exec("node", {"ip", "addr", "del", "198.51.100.42/32", "dev", "ext0"});
    EXPECT_TRUE(answered_only_by(from_lb, {"pod1", "pod2", "pod3", "pod4"}));
    // The ranges still fence everyone else in.
    EXPECT_TRUE(served_only_by("client", "http://198.51.100.42/", 20, {"pod1", "pod2", "pod3", "pod4"}));
    EXPECT_EQ(lab().tcp_connect("pod1", "198.51.100.42", 80, 1).error, "timeout");
}

// 4. --masquerade-all marks traffic to ClusterIPs (and what eTP Cluster
// marks anyway); a pod short-circuited from the NodePort or LB address of an
// eTP Local service keeps its own address, as with kube-proxy.
TEST_F(Parity, MasqueradeAllLeavesShortCircuitedPodsTheirAddress) {
    // pod4 is the client and no endpoint (a pod reaching itself is
    // masqueraded anyway: hairpin); pod3 is on another node.
    auto pods = lab_pods();
    pods[2].node = "node-b";
    pods[3].labels = {{"app", "client"}};
    write_manifests(R"(apiVersion: v1
kind: Service
metadata:
  name: local-web
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.43
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 30143
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.43
)",
                    pods);
    auto r = sync_once({"--masquerade-all"});
    ASSERT_TRUE(r.ok()) << r.describe();
    for (const auto& url : {"http://203.0.113.1:30143/client", "http://198.51.100.43/client"}) {
        auto seen = http_tally("pod4", url, 10);
        EXPECT_EQ(seen, (std::map<std::string, int>{{"10.244.1.14", 10}})) << url << ": " << show(seen);
    }
    // Short-circuited means the cluster path: every endpoint, not only local ones.
    EXPECT_TRUE(served_only_by("pod4", "http://198.51.100.43/", 40, {"pod1", "pod2", "pod3"}));
    // Traffic to the ClusterIP is masqueraded under --masquerade-all.
    auto cluster = http_tally("pod4", "http://10.96.0.43/client", 10);
    EXPECT_EQ(cluster.count("10.244.1.14"), 0u) << show(cluster);
    // External clients of an eTP Local service keep their address, as always.
    auto external = http_tally("client", "http://198.51.100.43/client", 10);
    EXPECT_EQ(external, (std::map<std::string, int>{{"203.0.113.100", 10}})) << show(external);
}

// 5. Several service ranges per family: a --service-cidr list and a
// ServiceCIDR object (networking.k8s.io/v1) together. ClusterIPs in every
// range are served, an unallocated address of any range is dropped, and an
// allocated ClusterIP comes from the first range of its family.
TEST_F(Parity, SeveralServiceCIDRsFromFlagsAndServiceCIDRObjects) {
    for (const auto& route : {std::vector<std::string>{"ip", "route", "add", "10.200.0.0/16", "via", "203.0.113.1"},
                              {"ip", "route", "add", "10.201.0.0/24", "via", "203.0.113.1"},
                              {"ip", "-6", "route", "add", "fd00:10:97::/112", "via", "2001:db8:ff::1"}}) {
        auto r = lab().exec("client", route);
        ASSERT_TRUE(r.ok() || r.err.find("File exists") != std::string::npos) << r.describe();
    }
    write_manifests(R"(apiVersion: networking.k8s.io/v1
kind: ServiceCIDR
metadata:
  name: extra
spec:
  cidrs: [10.201.0.0/24, "fd00:10:97::/112"]
---
apiVersion: v1
kind: Service
metadata:
  name: in-flag-range
spec:
  clusterIP: 10.200.0.10
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: in-object-range
spec:
  ipFamilyPolicy: RequireDualStack
  clusterIPs: [10.201.0.10, "fd00:10:97::10"]
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: allocated
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)",
                    lab_pods(true));
    auto r = sync_once({"--service-cidr", "10.200.0.0/16"});
    ASSERT_TRUE(r.ok()) << r.describe();
    const std::vector<std::string> all{"pod1", "pod2", "pod3", "pod4"};
    EXPECT_TRUE(served_only_by("client", "http://10.200.0.10/", 30, all));
    EXPECT_TRUE(served_only_by("client", "http://10.201.0.10/", 30, all));
    EXPECT_TRUE(served_only_by("client", "http://[fd00:10:97::10]/", 30, all));

    auto get = lab().exec("node", {svcnat_binary(), "get", "svc", "allocated", "--node-name", "node-a",
                                   "--service-cidr", "10.96.0.0/12,fd00:10:96::/112,10.200.0.0/16", "-o", "json",
                                   "-f", manifests_->path()});
    ASSERT_TRUE(get.ok()) << get.describe();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(get.out, m, std::regex(R"re("clusterIP": "10\.([0-9]+)\.)re"))) << get.out;
    const int second = std::stoi(m[1]);
    EXPECT_TRUE(second >= 96 && second <= 111) << "allocated outside the first range (10.96.0.0/12):\n" << get.out;

    UpstreamCounter upstream(lab(), {"10.200.0.0/16", "10.201.0.0/24"}, {"fd00:10:97::/112"});
    for (const auto& host : {"10.200.0.99", "10.201.0.99", "fd00:10:97::99"})
        EXPECT_EQ(lab().tcp_connect("pod1", host, 80, 1).error, "timeout") << host;
    EXPECT_EQ(upstream.packets(), 0) << "packets to unallocated addresses of the extra ranges left the node";
}

}  // namespace
}  // namespace svcnat::e2e
