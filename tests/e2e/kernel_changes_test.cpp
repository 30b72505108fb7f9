// Kernel mode under change and the other address families: a UDP flow moves
// once its endpoint is gone (svcnat deletes the stale conntrack entries), an
// established TCP connection survives a new sync, IPv6 ClusterIPs, SCTP.
#include <gtest/gtest.h>

#include "kernel_fixture.hpp"

namespace svcnat::e2e {
namespace {

class Changes : public KernelModeTest {};

const char* kDnsService = R"(apiVersion: v1
kind: Service
metadata:
  name: dns
spec:
  clusterIP: 10.96.0.30
  selector:
    dns: "yes"
  ports:
  - name: dns
    port: 53
    protocol: UDP
    targetPort: dns
)";

// `svcnat sync --once` is a fresh process each time: it has no memory of the
// endpoints it programmed before, so it must find the UDP conntrack entries
// that point at endpoints no longer in use by itself (as kube-proxy's full
// sync does), or a client keeps talking to a removed pod until the entry
// times out.
TEST_F(Changes, UdpFlowMovesWhenItsEndpointIsRemoved) {
    auto pods = lab_pods();
    pods[0].labels.push_back({"dns", "yes"});
    pods[1].labels.push_back({"dns", "yes"});
    ASSERT_TRUE(apply(kDnsService, pods));

    // Same source port every time: one 5-tuple, one conntrack entry.
    const int sport = 40053;
    auto before = tally(lab().udp("pod3", "10.96.0.30", 53, 5, sport));
    ASSERT_EQ(before.size(), 1u) << show(before);
    const std::string first = before.begin()->first;  // "podN 10.244.1.13"
    ASSERT_TRUE(first == "pod1 10.244.1.13" || first == "pod2 10.244.1.13") << first;

    // The endpoint that answered leaves the service (its server keeps running,
    // so a stale conntrack entry would still get answers from it).
    const int gone = first[3] == '1' ? 0 : 1;
    pods[gone].labels.pop_back();
    ASSERT_TRUE(apply(kDnsService, pods));
    const std::string other = gone == 0 ? "pod2 10.244.1.13" : "pod1 10.244.1.13";
    auto after = tally(lab().udp("pod3", "10.96.0.30", 53, 5, sport));
    EXPECT_EQ(after, (std::map<std::string, int>{{other, 5}})) << show(after);
}

// The same under `svcnat run`, which remembers what it committed: the
// manifest edit alone must move the flow (within a few seconds).
TEST_F(Changes, UdpFlowMovesWhenItsEndpointIsRemovedUnderTheDaemon) {
    auto pods = lab_pods();
    pods[0].labels.push_back({"dns", "yes"});
    pods[1].labels.push_back({"dns", "yes"});
    write_manifests(kDnsService, pods);
    auto started = run_command({"/bin/bash", lab_script(), "spawn", lab().name(), "node", "svcnat-run", "--",
                                svcnat_binary(), "run", "--node-name", "node-a", "--cluster-cidr", "10.244.0.0/16",
                                "--min-sync-period", "100ms", manifests_->path()},
                               20);
    ASSERT_TRUE(started.ok()) << started.describe();
    struct StopDaemon {
        const Lab& lab;
        ~StopDaemon() { run_command({"/bin/bash", lab_script(), "stop", lab.name(), "svcnat-run"}, 20); }
    } stop{lab()};

    const int sport = 40054;
    std::map<std::string, int> before;
    for (int i = 0; i < 50 && before.size() != 1; ++i) {  // until the first sync is in (<= 10 s)
        before = tally(lab().udp("pod3", "10.96.0.30", 53, 3, sport, 0.2));
        if (before.size() == 1 && before.begin()->first.rfind("pod", 0) != 0) before.clear();
    }
    ASSERT_EQ(before.size(), 1u) << show(before);
    const std::string first = before.begin()->first;
    const int gone = first[3] == '1' ? 0 : 1;
    const std::string other = gone == 0 ? "pod2 10.244.1.13" : "pod1 10.244.1.13";

    pods[gone].labels.pop_back();
    write_manifests(kDnsService, pods);
    std::map<std::string, int> after;
    for (int i = 0; i < 50; ++i) {  // at most ~10 s for the daemon to notice and sync
        after = tally(lab().udp("pod3", "10.96.0.30", 53, 1, sport, 0.2));
        if (after.count(other)) break;
    }
    EXPECT_TRUE(after.count(other)) << "still " << show(after) << " after the endpoint left";
    // And it stays there.
    auto settled = tally(lab().udp("pod3", "10.96.0.30", 53, 5, sport));
    EXPECT_EQ(settled, (std::map<std::string, int>{{other, 5}})) << show(settled);
}

TEST_F(Changes, EstablishedConnectionSurvivesAResync) {
    auto pods = lab_pods();
    pods[0].labels.push_back({"echo", "yes"});
    const std::string echo_service = R"(apiVersion: v1
kind: Service
metadata:
  name: echo
spec:
  clusterIP: 10.96.0.31
  selector:
    echo: "yes"
  ports:
  - port: 7777
    targetPort: echo
)";
    const std::string web_service = R"(---
apiVersion: v1
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
)";
    ASSERT_TRUE(apply(echo_service + web_service, pods));

    Coprocess conn(lab().exec_argv("pod4", {kPython, lab().probe_script(), "hold", "10.96.0.31", "7777",
                                            "--timeout", "3"}));
    bool ok = false;
    ASSERT_EQ(conn.read_line(10, &ok).substr(0, 2), "OK");
    ASSERT_TRUE(conn.send_line("before"));
    EXPECT_EQ(conn.read_line(5, &ok), "pod1: before");

    // A different configuration: service web goes, service added comes, and
    // the echo service gains an endpoint. The open connection keeps its endpoint.
    pods[1].labels.push_back({"echo", "yes"});
    ASSERT_TRUE(apply(echo_service + R"(---
apiVersion: v1
kind: Service
metadata:
  name: added
spec:
  clusterIP: 10.96.0.32
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)", pods));
    EXPECT_TRUE(served_only_by("pod3", "http://10.96.0.32/", 40, {"pod1", "pod2", "pod3", "pod4"}));
    EXPECT_FALSE(lab().tcp_connect("pod3", "10.96.0.10", 80).ok) << "service web was removed";
    for (const char* word : {"after", "still-there"}) {
        ASSERT_TRUE(conn.send_line(word));
        EXPECT_EQ(conn.read_line(5, &ok), std::string("pod1: ") + word);
    }
    EXPECT_EQ(conn.stop(), 0);
}

TEST_F(Changes, IPv6ClusterIP) {
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: web6
spec:
  ipFamilyPolicy: SingleStack
  ipFamilies:
  - IPv6
  clusterIP: fd00:10:96::10
  clusterIPs:
  - fd00:10:96::10
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web6-empty
spec:
  ipFamilyPolicy: SingleStack
  ipFamilies:
  - IPv6
  clusterIP: fd00:10:96::11
  selector:
    app: nothing-matches
  ports:
  - port: 80
    targetPort: 8080
)", lab_pods(/*dual_stack=*/true)));
    EXPECT_TRUE(served_only_by("pod1", "http://[fd00:10:96::10]/", 60, {"pod1", "pod2", "pod3", "pod4"}));
    auto udp = lab().udp("pod2", "fd00:10:96::10", 53);
    EXPECT_FALSE(udp[0].ok) << "UDP 53 is not a port of web6: " << udp[0].str();
    auto empty = lab().tcp_connect("pod1", "fd00:10:96::11", 80, 3);
    EXPECT_EQ(empty.error, "ECONNREFUSED") << empty.str();
    EXPECT_LT(empty.ms, 1000) << empty.str();
}

TEST_F(Changes, SctpClusterIP) {
    if (!lab().has_sctp("pod1")) GTEST_SKIP() << "this kernel offers no SCTP sockets";
    ASSERT_TRUE(apply(R"(apiVersion: v1
kind: Service
metadata:
  name: sctp
spec:
  clusterIP: 10.96.0.33
  selector:
    app: web
  ports:
  - port: 9999
    protocol: SCTP
    targetPort: 9999
)"));
    auto counts = tally(lab().sctp("pod1", "10.96.0.33", 9999, 40));
    std::map<std::string, int> by_pod;
    for (const auto& [answer, n] : counts) by_pod[answer.substr(0, answer.find(' '))] += n;
    EXPECT_EQ(by_pod.size(), 4u) << show(counts);
    for (const auto& [pod, n] : by_pod) EXPECT_EQ(pod.rfind("pod", 0), 0u) << show(counts);
}

}  // namespace
}  // namespace svcnat::e2e
