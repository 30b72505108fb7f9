#include "instance_guard.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svcnat {
namespace {

// The abstract address: a leading NUL, then the name (not NUL-terminated).
socklen_t address_of(const std::string& table, sockaddr_un& addr) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    const std::string name = "svcnat/table/" + table;
    const size_t len = std::min(name.size(), sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path + 1, name.data(), len);
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len);
}

// The holder's PID: it listens, so a connection gets its credentials.
std::string holder_pid(const sockaddr_un& addr, socklen_t len) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "unknown";
    std::string pid = "unknown";
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
        ucred cred{};
        socklen_t cl = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) pid = std::to_string(cred.pid);
    }
    close(fd);
    return pid;
}

}  // namespace

std::string InstanceGuard::network_namespace() {
    char buf[64] = {};
    const ssize_t n = readlink("/proc/self/ns/net", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "this network namespace";
}

InstanceGuard::InstanceGuard(const std::string& table) {
    sockaddr_un addr;
    const socklen_t len = address_of(table, addr);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw LockError(fmt::format("instance guard: socket: {}", std::strerror(errno)));
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
        const int err = errno;
        close(fd_);
        fd_ = -1;
        if (err == EADDRINUSE)
            throw LockError(fmt::format(
                "another svcnat (pid {}) already programs nftables table '{}' in network namespace {}; "
                "stop it first, or use a different --table",
                holder_pid(addr, len), table, network_namespace()));
        throw LockError(fmt::format("instance guard for table '{}': bind: {}", table, std::strerror(err)));
    }
    listen(fd_, 4);  // only so that a second instance can learn our PID
}

InstanceGuard::~InstanceGuard() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace svcnat
