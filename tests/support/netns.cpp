#include "netns.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <sched.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace svcnat::testing {
namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Namespaces of test processes that were killed or crashed (destructors did
// not run) would stay forever: delete those named `<prefix>-<pid>-<n>` whose
// pid no longer exists. Once per prefix and process.
void remove_namespaces_of_dead_tests(const std::string& prefix) {
    static std::mutex mutex;
    static std::set<std::string> swept;
    std::lock_guard lock(mutex);
    if (!swept.insert(prefix).second) return;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= prefix.size() + 1 || name.compare(0, prefix.size() + 1, prefix + "-") != 0) continue;
        const std::string rest = name.substr(prefix.size() + 1);  // "<pid>-<n>"
        const size_t dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos) continue;
        if (rest.find_first_not_of("0123456789-") != std::string::npos) continue;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        if (pid <= 0 || pid == getpid()) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
        run_command("ip netns del " + shell_quote(name));
    }
}

int decode_status(int status) {
    if (status == -1) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        result.output = std::string("popen: ") + std::strerror(errno);
        return result;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
    result.status = decode_status(pclose(pipe));
    return result;
}

bool NetNamespace::have_root() { return geteuid() == 0; }

NetNamespace::NetNamespace(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    remove_namespaces_of_dead_tests(std::string(prefix));
    name_ = std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    CommandResult r = run_command("ip netns add " + shell_quote(name_));
    if (!r.ok()) throw std::runtime_error("ip netns add " + name_ + ": " + r.output);
    // Loopback is down in a new namespace; most tests want it.
    run_command("ip -n " + shell_quote(name_) + " link set lo up");
}

NetNamespace::~NetNamespace() {
    while (!children_.empty()) kill(children_.back());
    run_command("ip netns del " + shell_quote(name_));
}

std::string NetNamespace::path() const { return "/run/netns/" + name_; }

void NetNamespace::run(const std::function<void()>& fn) const {
    std::exception_ptr failure;
    const std::string where = path();
    std::thread worker([&] {
        try {
            int fd = open(where.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw std::runtime_error("open " + where + ": " + std::strerror(errno));
            // Network namespaces are per thread: only this worker moves.
            int rc = setns(fd, CLONE_NEWNET);
            int saved = errno;
            close(fd);
            if (rc != 0) throw std::runtime_error("setns " + where + ": " + std::strerror(saved));
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure) std::rethrow_exception(failure);
}

CommandResult NetNamespace::exec(const std::string& command) const {
    return run_command("ip netns exec " + shell_quote(name_) + " sh -c " + shell_quote(command));
}

std::string NetNamespace::exec_or_throw(const std::string& command) const {
    CommandResult r = exec(command);
    if (!r.ok())
        throw std::runtime_error("in " + name_ + ": `" + command + "` exited " + std::to_string(r.status) + ": " + r.output);
    return r.output;
}

pid_t NetNamespace::spawn(const std::string& command) {
    int fd = open(path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + path() + ": " + std::strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Own process group, so kill() also reaches what the shell starts.
        setpgid(0, 0);
        if (setns(fd, CLONE_NEWNET) != 0) _exit(127);
        execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(fd);
    setpgid(pid, pid);  // also from the parent, to win the race with kill()
    children_.push_back(pid);
    return pid;
}

void NetNamespace::kill(pid_t pid) {
    std::erase(children_, pid);
    if (pid <= 0) return;
    ::kill(-pid, SIGTERM);
    ::kill(pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

}  // namespace svcnat::testing
