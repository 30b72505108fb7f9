#include "runtime_api.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svcnat::ingress {

namespace {

constexpr std::string_view kPrompt = "\n> ";

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

int connect_unix(const std::string& path, std::string* error) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        *error = path + ": socket path too long";
        return -1;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        *error = path + ": " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

bool CliSocket::run(const std::vector<std::string>& commands, std::vector<std::string>& answers,
                    std::string* error) const {
    answers.clear();
    Fd fd(connect_unix(path_, error));
    if (fd.get() < 0) return false;
    // "prompt" first: every answer then ends with the prompt, which is how
    // answers are told apart on one connection.
    std::string out = "prompt\n";
    for (const auto& c : commands) {
        out += c;
        out += '\n';
        if (c.find(" <<\n") != std::string::npos || c.ends_with(" <<")) out += '\n';  // end of the payload
    }
    size_t written = 0, expected = commands.size() + 1;  // the answer to "prompt" too
    std::string in;
    size_t consumed = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (answers.size() < expected) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            *error = path_ + ": no answer within " + std::to_string(timeout_.count()) + " ms";
            return false;
        }
        pollfd p{fd.get(), static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0) {
            if (errno == EINTR) continue;
            *error = std::string("poll: ") + std::strerror(errno);
            return false;
        }
        if ((p.revents & POLLOUT) && written < out.size()) {
            const ssize_t n = ::send(fd.get(), out.data() + written, out.size() - written, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                *error = path_ + ": " + std::strerror(errno);
                return false;
            }
            if (n > 0) written += static_cast<size_t>(n);
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
            if (n == 0) {
                *error = path_ + ": connection closed after " + std::to_string(answers.size()) + " answers";
                return false;
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                *error = path_ + ": " + std::strerror(errno);
                return false;
            }
            if (n > 0) in.append(buf, static_cast<size_t>(n));
            // Split off every complete answer.
            for (size_t at; (at = in.find(kPrompt, consumed)) != std::string::npos;) {
                answers.push_back(in.substr(consumed, at - consumed));
                consumed = at + kPrompt.size();
            }
        }
    }
    // The first answer is the prompt's own (empty); drop it. Answers keep
    // their text without the leading newline HAProxy puts before a prompt.
    answers.erase(answers.begin());
    for (auto& a : answers)
        while (!a.empty() && (a.back() == '\n' || a.back() == ' ')) a.pop_back();
    return true;
}

std::string CliSocket::ask(const std::string& command, std::string* error) const {
    // One command without prompt mode: HAProxy answers and closes. (The
    // master's prompt is "master> ", so run()'s splitting is the worker's.)
    Fd fd(connect_unix(path_, error));
    if (fd.get() < 0) return {};
    const std::string out = command + "\n";
    if (::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        *error = path_ + ": " + std::strerror(errno);
        return {};
    }
    ::shutdown(fd.get(), SHUT_WR);  // the master answers once our side is done
    std::string in;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            *error = path_ + ": no answer within " + std::to_string(timeout_.count()) + " ms";
            return {};
        }
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        char buf[65536];
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
        if (n > 0) in.append(buf, static_cast<size_t>(n));
    }
    while (!in.empty() && (in.back() == '\n' || in.back() == ' ')) in.pop_back();
    return in;
}

bool command_succeeded(const std::string& command, const std::string& answer) {
    auto starts = [&](std::string_view p) { return command.rfind(p, 0) == 0; };
    if (starts("add server")) return answer.find("New server registered.") != std::string::npos;
    if (starts("del server")) return answer.find("Server deleted.") != std::string::npos;
    if (starts("prepare map")) return answer.find("New version created:") != std::string::npos;
    // enable/disable/set server, add/commit map, set map: silence is success
    // (a payload's continuation marks "+" aside).
    for (char c : answer)
        if (c != '+' && c != ' ' && c != '\n') return false;
    return true;
}

bool replace_map(const CliSocket& cli, const std::string& map_file, const std::string& entries_text, std::string* error) {
    const std::string prepared = cli.ask("prepare map " + map_file, error);
    const auto at = prepared.find("New version created:");
    if (at == std::string::npos) {
        if (error->empty()) *error = "prepare map " + map_file + ": " + prepared;
        return false;
    }
    const std::string version = std::to_string(std::stoul(prepared.substr(at + 20)));
    std::vector<std::string> commands;
    if (!entries_text.empty()) {
        std::string payload = "add map @" + version + " " + map_file + " <<\n" + entries_text;
        if (payload.back() == '\n') payload.pop_back();
        commands.push_back(std::move(payload));
    }
    commands.push_back("commit map @" + version + " " + map_file);
    std::vector<std::string> answers;
    if (!cli.run(commands, answers, error)) return false;
    for (size_t i = 0; i < commands.size(); ++i)
        if (!command_succeeded(commands[i], answers[i])) {
            *error = commands[i].substr(0, commands[i].find('\n')) + ": " + answers[i];
            return false;
        }
    return true;
}

}  // namespace svcnat::ingress
