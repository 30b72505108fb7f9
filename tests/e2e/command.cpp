#include "command.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace svcnat::e2e {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int decode_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -1;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// In the child after fork: own process group, the given fds as 0/1/2, exec.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in, int out, int err) {
    setpgid(0, 0);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    auto args = c_argv(argv);
    execvp(args[0], args.data());
    const char* msg = "exec failed\n";
    (void)!write(2, msg, strlen(msg));
    _exit(127);
}

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

std::vector<std::string> CommandResult::lines() const {
    std::vector<std::string> result;
    size_t start = 0;
    while (start < out.size()) {
        size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        result.push_back(out.substr(start, end - start));
        start = end + 1;
    }
    return result;
}

std::string CommandResult::describe() const {
    std::string s = "status " + std::to_string(status) + (timed_out ? " (timed out)" : "") + " after " +
                    std::to_string(seconds) + " s";
    if (!out.empty()) s += "\nstdout:\n" + out;
    if (!err.empty()) s += "\nstderr:\n" + err;
    return s;
}

CommandResult run_command(const std::vector<std::string>& argv, double timeout_s, const std::string& input) {
    if (argv.empty()) throw std::invalid_argument("run_command: empty argv");
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + strerror(errno));

    const auto start = Clock::now();
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
    if (pid == 0) exec_child(argv, in_pipe[0], out_pipe[1], err_pipe[1]);
    setpgid(pid, pid);  // also here: no race with a kill before the child ran setpgid
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);

    // Small inputs only (manifests, commands): write all, then close stdin.
    size_t written = 0;
    while (written < input.size()) {
        ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
    }
    close(in_pipe[1]);

    CommandResult result;
    set_nonblock(out_pipe[0]);
    set_nonblock(err_pipe[0]);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    while (open_fds > 0) {
        double left = timeout_s - seconds_since(start);
        if (left <= 0) {
            result.timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        int r = poll(fds, 2, static_cast<int>(left * 1000) + 1);
        if (r < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    result.status = decode_status(wstatus);
    result.seconds = seconds_since(start);
    return result;
}

Coprocess::Coprocess(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::invalid_argument("Coprocess: empty argv");
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + strerror(errno));
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
    if (pid_ == 0) exec_child(argv, in_pipe[0], out_pipe[1], 2);
    setpgid(pid_, pid_);
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_fd_ = in_pipe[1];
    out_fd_ = out_pipe[0];
    set_nonblock(out_fd_);
}

Coprocess::~Coprocess() { stop(0.5); }

bool Coprocess::send_line(const std::string& line) {
    if (in_fd_ < 0) return false;
    std::string data = line + "\n";
    return write(in_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

std::string Coprocess::read_line(double timeout_s, bool* ok) {
    const auto start = Clock::now();
    for (;;) {
        size_t nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (ok) *ok = true;
            return line;
        }
        double left = timeout_s - seconds_since(start);
        if (out_fd_ < 0 || left <= 0) break;
        pollfd p{out_fd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
        char buf[4096];
        ssize_t n = read(out_fd_, buf, sizeof buf);
        if (n > 0) {
            buffer_.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(out_fd_);
            out_fd_ = -1;
        }
    }
    if (ok) *ok = false;
    return "";
}

int Coprocess::stop(double grace_s) {
    if (pid_ <= 0) return status_;
    if (in_fd_ >= 0) close(in_fd_);
    in_fd_ = -1;
    const auto start = Clock::now();
    int wstatus = 0;
    pid_t r = 0;
    while ((r = waitpid(pid_, &wstatus, WNOHANG)) == 0 && seconds_since(start) < grace_s) usleep(20000);
    if (r == 0) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, &wstatus, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
    status_ = decode_status(wstatus);
    pid_ = -1;
    return status_;
}

}  // namespace svcnat::e2e
