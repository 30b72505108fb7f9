// e2e: UDP conntrack deletion against entries made by real traffic.
// Two namespaces joined by a veth pair: "client" (192.0.2.1) sends UDP to
// two service VIPs; "svc" (192.0.2.2) DNATs them to local UDP echo servers:
//   198.51.100.10:5353 -> 192.0.2.2:5354    (deleted by original destination)
//   198.51.100.20:53   -> 192.0.2.2:6000    (deleted by reply source)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>

#include "nft/netlink/conntrack.hpp"
#include "tests/support/netns.hpp"

using namespace svcnat::nft::netlink;
using svcnat::IPAddr;
using svcnat::testing::NetNamespace;
using svcnat::testing::run_command;

namespace {

constexpr const char* kServer = R"(import select, socket, time
socks = []
for port in (5354, 6000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks.append(s)
end = time.time() + 60
while time.time() < end:
    ready, _, _ = select.select(socks, [], [], 0.5)
    for s in ready:
        data, peer = s.recvfrom(1500)
        s.sendto(data, peer)
)";

constexpr const char* kClient = R"(import socket
replies = 0
for dst in (("198.51.100.10", 5353), ("198.51.100.20", 53)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"ping", dst)
    try:
        s.recvfrom(100)
        replies += 1
    except OSError:
        pass
print(replies)
)";

constexpr const char* kRules = R"(table ip ctlab {
    chain pre {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr 198.51.100.10 udp dport 5353 dnat to 192.0.2.2:5354
        ip daddr 198.51.100.20 udp dport 53 dnat to 192.0.2.2:6000
    }
}
)";

// Debian's interpreter directly: version-manager shims on PATH add seconds
// to every start.
std::string python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

class NftnetConntrack : public ::testing::Test {
protected:
    void SetUp() override {
        if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root (creates network namespaces)";
        if (!run_command("command -v python3 && command -v conntrack").ok())
            GTEST_SKIP() << "needs python3 and conntrack";
        char tmpl[] = "/tmp/netlink-ct-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        write(dir_ + "/server.py", kServer);
        write(dir_ + "/client.py", kClient);
        write(dir_ + "/rules.nft", kRules);

        svc_.emplace("netlink-svc");
        client_.emplace("netlink-cl");
        client_->exec_or_throw("ip link add veth-c type veth peer name veth-s netns " + svc_->name());
        client_->exec_or_throw("ip addr add 192.0.2.1/24 dev veth-c && ip link set veth-c up && "
                               "ip route add default via 192.0.2.2");
        svc_->exec_or_throw("ip addr add 192.0.2.2/24 dev veth-s && ip link set veth-s up");
        svc_->exec_or_throw("nft -f " + dir_ + "/rules.nft");
        svc_->spawn(python() + " " + dir_ + "/server.py");
        // Bounded wait for the echo server to bind port 6000 (0x1770).
        for (int i = 0; i < 100 && !svc_->exec("grep -q ':1770 ' /proc/net/udp").ok(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    void TearDown() override {
        client_.reset();
        svc_.reset();  // kills the server by PID, deletes the namespace
        if (!dir_.empty()) run_command("rm -rf " + dir_);
    }
    static void write(const std::string& path, const char* text) { std::ofstream(path) << text; }

    int send_traffic() {
        std::string out = client_->exec_or_throw(python() + " " + dir_ + "/client.py");
        return std::atoi(out.c_str());
    }
    // conntrack's own listing, to check with a tool other than the one tested.
    size_t entries_to(const std::string& vip) const {
        std::string out = svc_->exec("conntrack -L -p udp 2>/dev/null | grep -c 'dst=" + vip + " ' || true").output;
        return std::stoul(out);
    }

    std::string dir_;
    std::optional<NetNamespace> svc_;
    std::optional<NetNamespace> client_;
};

}  // namespace

TEST_F(NftnetConntrack, DeletesByServiceAddressAndByEndpoint) {
    EXPECT_EQ(send_traffic(), 2) << "both services should answer through DNAT";
    ASSERT_EQ(entries_to("198.51.100.10"), 1u);
    ASSERT_EQ(entries_to("198.51.100.20"), 1u);

    svc_->run([&] {
        // Targets that match nothing delete nothing.
        UdpConntrackTarget unrelated[] = {
            {UdpConntrackTarget::Match::OriginalDestination, *IPAddr::parse("198.51.100.10"), 5354},
            {UdpConntrackTarget::Match::ReplySource, *IPAddr::parse("192.0.2.2"), 5353},
            {UdpConntrackTarget::Match::OriginalDestination, *IPAddr::parse("2001:db8::10"), 5353},
        };
        ConntrackDeletion none = delete_udp_conntrack(unrelated);
        EXPECT_TRUE(none.ok) << (none.errors.empty() ? "" : none.errors[0]);
        EXPECT_EQ(none.deleted, 0u);
        EXPECT_GE(none.examined, 2u);

        UdpConntrackTarget vip[] = {
            {UdpConntrackTarget::Match::OriginalDestination, *IPAddr::parse("198.51.100.10"), 5353}};
        ConntrackDeletion by_vip = delete_udp_conntrack(vip);
        EXPECT_TRUE(by_vip.ok);
        EXPECT_EQ(by_vip.matched, 1u);
        EXPECT_EQ(by_vip.deleted, 1u);
    });
    EXPECT_EQ(entries_to("198.51.100.10"), 0u);
    EXPECT_EQ(entries_to("198.51.100.20"), 1u) << "the other service's entry must stay";

    svc_->run([&] {
        UdpConntrackTarget endpoint[] = {
            {UdpConntrackTarget::Match::ReplySource, *IPAddr::parse("192.0.2.2"), 6000}};
        ConntrackDeletion by_endpoint = delete_udp_conntrack(endpoint);
        EXPECT_TRUE(by_endpoint.ok);
        EXPECT_EQ(by_endpoint.deleted, 1u);
    });
    EXPECT_EQ(entries_to("198.51.100.20"), 0u);

    // New traffic creates fresh entries: deletion did not break anything.
    EXPECT_EQ(send_traffic(), 2);
    EXPECT_EQ(entries_to("198.51.100.10"), 1u);
}
