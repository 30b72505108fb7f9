// The lab on its own, without svcnat: if these fail, the kernel-mode tests
// would only be testing a broken topology. Checks routing between pods (v4
// and v6), the servers' answers, the external client's reach, pod churn, and
// that `down` leaves no namespace or process behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "lab.hpp"

namespace svcnat::e2e {
namespace {

class LabTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root()) return;
        lab_ = std::make_unique<Lab>("e2e-lab");
        try {
            lab_->up({.pods = 2, .ipv6 = true});
        } catch (const std::exception& e) {
            error_ = e.what();
        }
    }
    static void TearDownTestSuite() { lab_.reset(); }
    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        ASSERT_TRUE(error_.empty()) << error_;
    }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::string error_;
};

TEST_F(LabTest, NodeReachesEveryPodServer) {
    EXPECT_EQ(lab_->http_get("node", "http://10.244.1.11:8080/"), "You've hit pod1");
    EXPECT_EQ(lab_->http_get("node", "http://10.244.1.12:80/"), "You've hit pod2");
    EXPECT_EQ(lab_->http_get("node", "http://10.244.1.12:9090/healthz"), "ok");
    EXPECT_EQ(lab_->http_get("node", "http://[fd00:10:244:1::11]:8080/"), "You've hit pod1");
}

TEST_F(LabTest, PodsReachEachOtherThroughTheNodeWithTheirOwnAddress) {
    EXPECT_EQ(lab_->http_get("pod1", "http://10.244.1.12:8080/client"), "10.244.1.11");
    EXPECT_EQ(lab_->http_get("pod2", "http://[fd00:10:244:1::11]:8080/client"), "fd00:10:244:1::12");
    auto udp = lab_->udp("pod2", "10.244.1.11", 53, 3);
    ASSERT_EQ(udp.size(), 3u);
    for (const auto& o : udp) EXPECT_EQ(o.str(), "pod1 10.244.1.12");
    auto udp6 = lab_->udp("pod1", "fd00:10:244:1::12", 5353);
    ASSERT_EQ(udp6.size(), 1u);
    EXPECT_EQ(udp6[0].str(), "pod2 fd00:10:244:1::11");
}

TEST_F(LabTest, ClosedPortIsRefusedAtOnce) {
    auto o = lab_->tcp_connect("pod1", "10.244.1.12", 81);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.error, "ECONNREFUSED") << o.str();
    EXPECT_LT(o.ms, 500);
}

TEST_F(LabTest, ClientReachesTheNodeButNotPodsDirectly) {
    // Connecting to a closed port of the node gets a reset: the link works.
    auto node = lab_->tcp_connect("client", "203.0.113.1", 1);
    EXPECT_EQ(node.error, "ECONNREFUSED") << node.str();
    // The client has no route to pod IPs; only services are routed to the node.
    auto pod = lab_->tcp_connect("client", "10.244.1.11", 8080);
    EXPECT_EQ(pod.error, "ENETUNREACH") << pod.str();
}

TEST_F(LabTest, EchoKeepsOneConnection) {
    Coprocess conn(lab_->exec_argv("pod2", {kPython, lab_->probe_script(), "hold", "10.244.1.11", "7777"}));
    bool ok = false;
    EXPECT_EQ(conn.read_line(5, &ok).substr(0, 2), "OK");
    for (const char* word : {"one", "two"}) {
        ASSERT_TRUE(conn.send_line(word));
        EXPECT_EQ(conn.read_line(5, &ok), std::string("pod1: ") + word);
    }
    EXPECT_EQ(conn.stop(), 0);
}

TEST_F(LabTest, PodsComeAndGo) {
    lab_->add_pod("extra", "10.244.1.50", {"--http", "8088", "--udp", "", "--echo", "", "--sctp", ""});
    EXPECT_EQ(lab_->http_get("node", "http://10.244.1.50:8088/"), "You've hit extra");
    EXPECT_EQ(lab_->http_get("node", "http://[fd00:10:244:1::50]:8088/"), "You've hit extra");
    // Only the asked-for port is served.
    EXPECT_EQ(lab_->tcp_connect("node", "10.244.1.50", 8080).error, "ECONNREFUSED");
    EXPECT_THROW(lab_->add_pod("extra", "10.244.1.51"), std::runtime_error);
    EXPECT_THROW(lab_->add_pod("other", "10.244.1.50"), std::runtime_error);
    lab_->del_pod("extra");
    EXPECT_FALSE(lab_->tcp_connect("node", "10.244.1.50", 8088, 0.5).ok);
    EXPECT_THROW(lab_->ns("extra"), std::runtime_error);
    // The failed add of "other" left nothing behind either.
    EXPECT_THROW(lab_->ns("other"), std::runtime_error);
}

// Running, not a zombie (an unreaped zombie is already gone for our purpose).
bool process_running(const std::string& pid) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::string namespaces_of(const std::string& lab) {
    auto r = run_command({"ip", "netns", "list"}, 10);
    std::string found;
    for (const auto& line : r.lines())
        if (line.rfind("svcnat-" + lab + ".", 0) == 0) found += line + "\n";
    return found;
}

TEST(LabLifecycle, DownRemovesNamespacesAndProcesses) {
    if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
    Lab lab("e2e-down");
    lab.up({.pods = 1});
    auto spawned = run_command({"/bin/bash", lab_script(), "spawn", lab.name(), "node", "sleeper", "--", "sleep", "300"}, 10);
    ASSERT_TRUE(spawned.ok()) << spawned.describe();
    auto pids = run_command({"ip", "netns", "pids", lab.ns("pod1")}, 10).lines();
    pids.push_back(spawned.lines().at(0));
    ASSERT_EQ(pids.size(), 2u);
    EXPECT_FALSE(namespaces_of(lab.name()).empty());

    lab.down();
    EXPECT_EQ(namespaces_of(lab.name()), "");
    for (const auto& pid : pids) EXPECT_FALSE(process_running(pid)) << "process " << pid << " survived";
    EXPECT_FALSE(std::filesystem::exists("/run/svcnat-lab/" + lab.name()));
}

}  // namespace
}  // namespace svcnat::e2e
