#include "haproxy_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <sstream>
#include <vector>

#include "runtime_api.hpp"

namespace svcnat::ingress {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr size_t kLogLinesKept = 20;

// In the child, between fork and exec: only async-signal-safe calls. Its
// signal mask and SIGPIPE disposition are svcnat's (blocked for the
// daemon's signalfd, ignored): HAProxy gets the defaults back; it dies with
// svcnat (PR_SET_PDEATHSIG) and keeps no descriptor of svcnat's.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int out_fd, pid_t parent) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    close_range(3, ~0U, 0);
    execve(argv[0], argv, envp);
    const char msg[] = "svcnat: cannot execute haproxy\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
}

// argv or envp for execve, made before fork (the child must not allocate).
std::vector<char*> exec_args(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    return args;
}

std::vector<std::string> current_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    return env;
}

// Runs argv to the end; its exit status and what it printed.
int run_capture(const std::vector<std::string>& argv, std::string& output) {
    const auto args = exec_args(argv);
    const std::vector<std::string> env = haproxy_environment(current_environment());
    const auto envp = exec_args(env);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) exec_child(args.data(), envp.data(), fds[1], parent);
    close(fds[1]);
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) output.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::vector<std::string> haproxy_environment(const std::vector<std::string>& inherited) {
    static constexpr std::string_view kVar = "GLIBC_TUNABLES=";
    const std::string tunable = "glibc.malloc.trim_threshold=" + std::to_string(kHeapKeptBytes);
    std::vector<std::string> env = inherited;
    for (std::string& e : env) {
        if (!e.starts_with(kVar)) continue;
        if (e.find("glibc.malloc.trim_threshold=") == std::string::npos)
            e += (e.size() > kVar.size() ? ":" : "") + tunable;
        return env;
    }
    env.push_back(std::string(kVar) + tunable);
    return env;
}

bool parse_show_proc(const std::string& text, MasterState& out) {
    // #<PID> <type> <reloads> <uptime> <version>
    // 22255  master 1 [failed: 0] ...
    // # workers
    // 22289  worker 0 ...
    // # old workers ...
    std::istringstream in(text);
    bool master = false, in_workers = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# workers", 0) == 0) {
            in_workers = true;
            continue;
        }
        if (line.rfind("#", 0) == 0) {
            in_workers = false;
            continue;
        }
        std::istringstream f(line);
        long pid = 0;
        std::string type;
        if (!(f >> pid >> type)) continue;
        if (type == "master") {
            std::string failed;
            f >> out.reloads;
            std::getline(f, failed);
            const auto at = failed.find("failed:");
            out.failed = at == std::string::npos ? 0 : std::stoull(failed.substr(at + 7));
            master = true;
        } else if (type == "worker" && in_workers && out.worker == 0) {
            out.worker = static_cast<pid_t>(pid);
        }
    }
    return master;
}

std::string check_configuration(const std::string& executable, const std::string& config_file) {
    std::string output;
    const int rc = run_capture({executable, "-c", "-q", "-f", config_file}, output);
    if (rc == 0) return {};
    return output.empty() ? "haproxy -c exited with status " + std::to_string(rc) : output;
}

bool HaproxyProcess::start(std::string* error) {
    stop();
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        *error = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    const std::vector<std::string> argv = {exe_, "-W", "-S", paths_.master_socket() + ",mode,600", "-f", paths_.config()};
    const auto args = exec_args(argv);
    const std::vector<std::string> env = haproxy_environment(current_environment());
    const auto envp = exec_args(env);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) exec_child(args.data(), envp.data(), fds[1], parent);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        *error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    pid_ = pid;
    log_reader_ = std::thread([this, fd = fds[0]] { read_log(fd); });
    return wait_for_worker(0, std::chrono::seconds(30), error);
}

void HaproxyProcess::read_log(int fd) {
    std::string pending;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (line.empty()) continue;
            spdlog::info("haproxy: {}", line);
            std::lock_guard lock(log_mutex_);
            last_log_ += line + "\n";
            // Keep the last lines only.
            size_t lines = 0;
            for (size_t i = last_log_.size(); i-- > 0;)
                if (last_log_[i] == '\n' && ++lines > kLogLinesKept) {
                    last_log_.erase(0, i + 1);
                    break;
                }
        }
    }
    close(fd);
}

std::string HaproxyProcess::last_log_lines() const {
    std::lock_guard lock(log_mutex_);
    return last_log_;
}

bool HaproxyProcess::wait_for_worker(pid_t not_this, std::chrono::milliseconds timeout, std::string* error) {
    const CliSocket master(paths_.master_socket(), std::chrono::seconds(2));
    const CliSocket admin(paths_.admin_socket(), std::chrono::seconds(2));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string why;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!alive()) {
            *error = "haproxy exited: " + last_log_lines();
            return false;
        }
        MasterState m;
        std::string e;
        if (parse_show_proc(master.ask("show proc", &e), m) && m.worker != 0 && m.worker != not_this) {
            // The admin socket must be the new worker's before anything is
            // sent to it.
            const std::string info = admin.ask("show info", &e);
            if (info.find("Pid: " + std::to_string(m.worker) + "\n") != std::string::npos) return true;
        }
        why = e;
        std::this_thread::sleep_for(kPoll);
    }
    *error = "no haproxy worker answered within " + std::to_string(timeout.count()) + " ms" +
             (why.empty() ? "" : " (" + why + ")");
    return false;
}

bool HaproxyProcess::reload(std::string* error) {
    const CliSocket master(paths_.master_socket(), std::chrono::seconds(2));
    MasterState before;
    std::string e;
    if (!parse_show_proc(master.ask("show proc", &e), before)) {
        *error = "haproxy master does not answer: " + e;
        return false;
    }
    // The master re-executes itself: its answer is the connection closing.
    (void)master.ask("reload", &e);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!alive()) {
            *error = "haproxy exited while reloading: " + last_log_lines();
            return false;
        }
        MasterState now;
        if (parse_show_proc(master.ask("show proc", &e), now)) {
            if (now.failed > before.failed) {
                *error = "haproxy refused the new configuration, the previous one is still served: " + last_log_lines();
                return false;
            }
            if (now.reloads > before.reloads && now.worker != 0 && now.worker != before.worker)
                return wait_for_worker(before.worker, std::chrono::seconds(30), error);
        }
        std::this_thread::sleep_for(kPoll);
    }
    *error = "haproxy did not finish reloading within 60 s";
    return false;
}

bool HaproxyProcess::alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    if (r == pid_) {
        if (WIFEXITED(status)) spdlog::warn("haproxy (pid {}) exited with status {}", pid_, WEXITSTATUS(status));
        else if (WIFSIGNALED(status)) spdlog::warn("haproxy (pid {}) was killed by signal {}", pid_, WTERMSIG(status));
    }
    pid_ = 0;
    if (log_reader_.joinable()) log_reader_.join();
    return false;
}

void HaproxyProcess::stop() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        for (int i = 0; i < 250 && alive(); ++i) std::this_thread::sleep_for(kPoll);
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = 0;
        }
    }
    if (log_reader_.joinable()) log_reader_.join();
}

}  // namespace svcnat::ingress
