// One daemon per nftables table: an flock()ed file "<lock_dir>/<table>.lock"
// holding the owner's PID. The kernel drops the lock when the process dies
// (even by SIGKILL), so a stale file never blocks a restart.
#pragma once

#include <stdexcept>
#include <string>

namespace svcnat {

struct LockError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class InstanceLock {
public:
    // Throws LockError with a message naming the holder's PID.
    InstanceLock(const std::string& lock_dir, const std::string& table);
    ~InstanceLock();
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace svcnat
