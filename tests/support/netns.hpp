// Network namespaces for tests that need root: create one with a unique
// name, run code or commands inside it, and remove it on every path out.
// Reusable by any test suite (link netns_testing_dep).
//
//   if (!svcnat::testing::NetNamespace::have_root()) GTEST_SKIP() << "needs root";
//   svcnat::testing::NetNamespace ns("netlink");
//   ns.run([&] { NetlinkSocket s; ... });          // in-process, inside ns
//   auto out = ns.exec("nft list ruleset");        // a command, inside ns
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace svcnat::testing {

struct CommandResult {
    int status = -1;     // exit code (128 + signal when killed, -1 if it could not run)
    std::string output;  // stdout and stderr together
    bool ok() const { return status == 0; }
};

// Runs `command` through /bin/sh in the current namespace, waits for it.
CommandResult run_command(const std::string& command);

class NetNamespace {
public:
    // `ip netns add <prefix>-<pid>-<n>`; throws std::runtime_error on failure.
    explicit NetNamespace(std::string_view prefix);
    // Stops the processes started with spawn() (by PID), then `ip netns del`.
    ~NetNamespace();
    NetNamespace(const NetNamespace&) = delete;
    NetNamespace& operator=(const NetNamespace&) = delete;

    const std::string& name() const { return name_; }
    // /run/netns/<name>
    std::string path() const;

    // Runs fn on a new thread that has entered the namespace (setns), waits,
    // and rethrows what fn threw. Sockets opened in fn belong to the
    // namespace. gtest EXPECT_* work inside fn.
    void run(const std::function<void()>& fn) const;

    // `ip netns exec <name> sh -c <command>`, waits.
    CommandResult exec(const std::string& command) const;
    // Like exec() but throws std::runtime_error (with the output) on failure.
    std::string exec_or_throw(const std::string& command) const;

    // Starts `command` in the namespace in the background; returns its PID.
    // It is killed (SIGTERM, then SIGKILL after 2 s) in the destructor or by kill().
    pid_t spawn(const std::string& command);
    void kill(pid_t pid);

    static bool have_root();

private:
    std::string name_;
    std::vector<pid_t> children_;
};

}  // namespace svcnat::testing
