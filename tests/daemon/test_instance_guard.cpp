#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <string>

#include "control/daemon/instance_guard.hpp"

namespace svcnat {
namespace {

// Unique per test run: the abstract names are shared by everything in the
// network namespace.
std::string table(const char* suffix) { return "guard-test-" + std::to_string(getpid()) + "-" + suffix; }

TEST(InstanceGuard, SecondInstanceOnTheSameTableIsRefusedWithThePidAndNamespace) {
    InstanceGuard first(table("a"));
    try {
        InstanceGuard second(table("a"));
        FAIL() << "second guard acquired";
    } catch (const LockError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("pid " + std::to_string(getpid())), std::string::npos) << msg;
        EXPECT_NE(msg.find("'" + table("a") + "'"), std::string::npos) << msg;
        EXPECT_NE(msg.find(InstanceGuard::network_namespace()), std::string::npos) << msg;
    }
    // Another table is independent.
    EXPECT_NO_THROW(InstanceGuard other(table("b")));
}

TEST(InstanceGuard, ReleasedOnDestruction) {
    { InstanceGuard first(table("c")); }
    EXPECT_NO_THROW(InstanceGuard again(table("c")));
}

TEST(InstanceGuard, ReleasedWhenTheHolderDies) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const std::string name = table("d");  // before fork: the name has our PID in it
    const pid_t child = fork();
    if (child == 0) {
        InstanceGuard held(name);
        (void)!write(ready[1], "x", 1);
        pause();  // killed below, without running any destructor
        _exit(0);
    }
    char c;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    EXPECT_THROW(InstanceGuard while_held(name), LockError);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    EXPECT_NO_THROW(InstanceGuard after(name));
    close(ready[0]);
    close(ready[1]);
}

}  // namespace
}  // namespace svcnat
