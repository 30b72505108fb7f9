// The HAProxy CLI client against a stand-in that speaks the same protocol
// (prompt mode, "\n> " after every answer, payload commands), the master's
// "show proc" as HAProxy 2.6 prints it, and which answers mean success.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "control/ingress/haproxy_process.hpp"
#include "control/ingress/runtime_api.hpp"

namespace svcnat::ingress {
namespace {

using ::testing::ElementsAre;

TEST(ShowProc, MasterWorkersAndFailedReloads) {
    MasterState m;
    ASSERT_TRUE(parse_show_proc("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
                                "22255           master          3 [failed: 1]   0d00h00m05s     2.6.12\n"
                                "# workers\n"
                                "22289           worker          0               0d00h00m01s     2.6.12\n"
                                "# old workers\n"
                                "22257           worker          1               0d00h00m43s     2.6.12\n"
                                "# programs\n\n",
                                m));
    EXPECT_EQ(m.reloads, 3u);
    EXPECT_EQ(m.failed, 1u);
    EXPECT_EQ(m.worker, 22289);
    MasterState none;
    EXPECT_FALSE(parse_show_proc("Unknown command\n", none));
}

TEST(HaproxyEnvironment, KeepsFreedHeapUnlessTheOperatorSaidOtherwise) {
    const std::string ours = "glibc.malloc.trim_threshold=" + std::to_string(kHeapKeptBytes);
    EXPECT_THAT(haproxy_environment({"PATH=/usr/bin", "LANG=C"}),
                ElementsAre("PATH=/usr/bin", "LANG=C", "GLIBC_TUNABLES=" + ours));
    // Other tunables are kept, ours added after them.
    EXPECT_THAT(haproxy_environment({"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "HOME=/root"}),
                ElementsAre("GLIBC_TUNABLES=glibc.malloc.arena_max=2:" + ours, "HOME=/root"));
    EXPECT_THAT(haproxy_environment({"GLIBC_TUNABLES="}), ElementsAre("GLIBC_TUNABLES=" + ours));
    // The operator's own threshold wins.
    EXPECT_THAT(haproxy_environment({"GLIBC_TUNABLES=glibc.malloc.trim_threshold=0"}),
                ElementsAre("GLIBC_TUNABLES=glibc.malloc.trim_threshold=0"));
    // A variable that only starts like it is not it.
    EXPECT_THAT(haproxy_environment({"GLIBC_TUNABLESX=1"}), ElementsAre("GLIBC_TUNABLESX=1", "GLIBC_TUNABLES=" + ours));
}

TEST(CommandSucceeded, ByCommandKind) {
    EXPECT_TRUE(command_succeeded("add server b/s 10.0.0.1:80", "New server registered."));
    EXPECT_FALSE(command_succeeded("add server b/s 10.0.0.1:80", "Already exists a server with the same name in backend."));
    EXPECT_TRUE(command_succeeded("del server b/s", "Server deleted."));
    EXPECT_FALSE(command_succeeded("del server b/s", "Server still has connections attached to it, cannot remove it."));
    EXPECT_TRUE(command_succeeded("prepare map /m", "New version created: 4"));
    EXPECT_TRUE(command_succeeded("enable server b/s", ""));
    EXPECT_TRUE(command_succeeded("add map @4 /m <<\na b", "+ + +"));
    EXPECT_FALSE(command_succeeded("set server b/s weight 0", "No such server."));
}

// A stand-in CLI: answers each line (a payload as one command) in prompt mode.
class FakeCli {
public:
    explicit FakeCli(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
        ::unlink(path_.c_str());
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(fd_, 4), 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeCli() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        ::unlink(path_.c_str());
    }
    std::vector<std::string> received;

private:
    void serve() {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string in;
        char buf[4096];
        bool prompt = false;
        for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;) {
            in.append(buf, static_cast<size_t>(n));
            for (size_t nl; (nl = in.find('\n')) != std::string::npos;) {
                std::string line = in.substr(0, nl);
                if (line.ends_with(" <<")) {  // a payload ends with an empty line
                    const size_t end = in.find("\n\n", nl);
                    if (end == std::string::npos) break;
                    line = in.substr(0, end);
                    in.erase(0, end + 2);
                } else {
                    in.erase(0, nl + 1);
                }
                std::string answer;
                if (line == "prompt") prompt = true;
                else if (line.rfind("add server", 0) == 0) answer = "New server registered.\n";
                else if (line.rfind("prepare map", 0) == 0) answer = "New version created: 7\n";
                else if (line.rfind("add map", 0) == 0) answer = "+ + \n";
                received.push_back(line);
                const std::string out = answer + (prompt ? "\n> " : "");
                (void)!::write(c, out.data(), out.size());
            }
        }
        ::close(c);
    }
    std::string path_;
    int fd_ = -1;
    std::thread thread_;
};

TEST(CliSocket, PipelinesCommandsAndSplitsAnswers) {
    const std::string path = std::filesystem::temp_directory_path() / ("svcnat-cli-" + std::to_string(getpid()));
    FakeCli fake(path);
    CliSocket cli(path, std::chrono::seconds(5));
    std::vector<std::string> answers;
    std::string error;
    ASSERT_TRUE(cli.run({"add server b/s1 10.0.0.1:80", "enable server b/s1", "add map @7 /m <<\nk1 v1\nk2 v2",
                         "commit map @7 /m"},
                        answers, &error))
        << error;
    EXPECT_THAT(answers, ElementsAre("New server registered.", "", "+ +", ""));
    EXPECT_THAT(fake.received, ElementsAre("prompt", "add server b/s1 10.0.0.1:80", "enable server b/s1",
                                           "add map @7 /m <<\nk1 v1\nk2 v2", "commit map @7 /m"));
}

TEST(CliSocket, NoSocketIsAnError) {
    CliSocket cli("/nonexistent/svcnat-admin.sock", std::chrono::milliseconds(200));
    std::vector<std::string> answers;
    std::string error;
    EXPECT_FALSE(cli.run({"show info"}, answers, &error));
    EXPECT_NE(error.find("/nonexistent/svcnat-admin.sock"), std::string::npos) << error;
}

}  // namespace
}  // namespace svcnat::ingress
