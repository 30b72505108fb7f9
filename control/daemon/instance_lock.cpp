#include "instance_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace svcnat {

namespace {

std::string read_small_file(int fd) {
    char buf[64] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

InstanceLock::InstanceLock(const std::string& lock_dir, const std::string& table) {
    if (table.empty() || table.find('/') != std::string::npos)
        throw LockError(fmt::format("invalid table name '{}' for a lock file", table));
    std::error_code ec;
    std::filesystem::create_directories(lock_dir, ec);
    if (ec) throw LockError(fmt::format("cannot create lock directory {}: {}", lock_dir, ec.message()));
    path_ = (std::filesystem::path(lock_dir) / (table + ".lock")).string();
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw LockError(fmt::format("cannot open lock file {}: {}", path_, strerror(errno)));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::string holder = read_small_file(fd_);
        close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            throw LockError(fmt::format(
                "another svcnat instance (pid {}) is already managing nftables table '{}' (lock {} is held); "
                "stop it first, or use a different --table",
                holder.empty() ? "unknown" : holder, table, path_));
        throw LockError(fmt::format("cannot lock {}: {}", path_, strerror(err)));
    }
    std::string pid = fmt::format("{}\n", getpid());
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The lock itself is what matters; the PID is for the message above.
    }
}

InstanceLock::~InstanceLock() {
    if (fd_ < 0) return;
    // Empty the file before releasing so no later reader sees a stale PID;
    // the file itself stays (removing it would race with a new owner).
    if (ftruncate(fd_, 0) != 0) {
    }
    close(fd_);
}

}  // namespace svcnat
