// e2e: the namespace helper itself (root only).
#include <gtest/gtest.h>

#include <csignal>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/netns.hpp"

using svcnat::testing::NetNamespace;

namespace {

bool exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

ino_t net_inode(const char* link) {
    struct stat st;
    return stat(link, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

TEST(NetnsHelper, CreatesUniqueNamespaceAndRemovesItEvenOnFailure) {
    if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root";
    std::string path;
    try {
        NetNamespace a("netlink-helper");
        NetNamespace b("netlink-helper");
        EXPECT_NE(a.name(), b.name());
        EXPECT_NE(a.name().find(std::to_string(getpid())), std::string::npos);
        path = a.path();
        ASSERT_TRUE(exists(path));
        throw std::runtime_error("test failure midway");
    } catch (const std::runtime_error&) {
    }
    EXPECT_FALSE(exists(path)) << "namespace must be deleted when the owner goes away";
}

// A test process killed midway leaves its namespaces; the next one to use
// the same prefix deletes those of processes that no longer exist, and no
// others.
TEST(NetnsHelper, NamespacesOfDeadTestProcessesAreSweptAway) {
    if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root";
    // A pid that exists (init) and one that cannot (above pid_max's limit).
    const std::string dead = "netlink-sweep-4194305-0", alive = "netlink-sweep-1-0";
    ASSERT_TRUE(svcnat::testing::run_command("ip netns add " + dead).ok());
    ASSERT_TRUE(svcnat::testing::run_command("ip netns add " + alive).ok());
    {
        NetNamespace ns("netlink-sweep");
        EXPECT_FALSE(exists("/run/netns/" + dead));
        EXPECT_TRUE(exists("/run/netns/" + alive));
    }
    svcnat::testing::run_command("ip netns del " + alive);
    EXPECT_FALSE(exists("/run/netns/" + alive));
}

TEST(NetnsHelper, RunEntersTheNamespaceAndPropagatesExceptions) {
    if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root";
    NetNamespace ns("netlink-helper");
    const ino_t outside = net_inode("/proc/self/ns/net");
    const ino_t target = net_inode(ns.path().c_str());
    ino_t inside = 0;
    ns.run([&] { inside = net_inode("/proc/thread-self/ns/net"); });
    EXPECT_EQ(inside, target);
    EXPECT_NE(inside, outside);
    EXPECT_EQ(net_inode("/proc/thread-self/ns/net"), outside) << "the caller's thread must not move";
    EXPECT_THROW(ns.run([] { throw std::logic_error("boom"); }), std::logic_error);

    // exec() runs inside too: only lo exists there, and it is up.
    auto links = ns.exec("ip -o link show");
    ASSERT_TRUE(links.ok()) << links.output;
    EXPECT_NE(links.output.find("lo:"), std::string::npos);
    EXPECT_EQ(links.output.find("eth0"), std::string::npos);
    EXPECT_FALSE(ns.exec("exit 3").ok());
    EXPECT_EQ(ns.exec("exit 3").status, 3);
    EXPECT_THROW(ns.exec_or_throw("false"), std::runtime_error);
}

TEST(NetnsHelper, SpawnedProcessesAreKilledByPid) {
    if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root";
    pid_t survivor_check;
    {
        NetNamespace ns("netlink-helper");
        pid_t a = ns.spawn("sleep 30");
        survivor_check = ns.spawn("sleep 30");
        ASSERT_EQ(::kill(a, 0), 0);
        ns.kill(a);
        EXPECT_EQ(::kill(a, 0), -1);
        EXPECT_EQ(errno, ESRCH);
        ASSERT_EQ(::kill(survivor_check, 0), 0);
    }
    EXPECT_EQ(::kill(survivor_check, 0), -1) << "destructor must stop what spawn() started";
}
