// One svcnat per nftables table and network namespace: what must be
// exclusive is "who programs table T in this namespace", so that is the key.
// The guard is an abstract unix socket named "svcnat/table/T" bound in the
// namespace: abstract names belong to the network namespace (two
// namespaces never collide, two lock directories cannot split one), and the
// kernel frees the name when the process dies, even by SIGKILL (no stale
// file blocks a restart).
#pragma once

#include <stdexcept>
#include <string>

namespace svcnat {

struct LockError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class InstanceGuard {
public:
    // Throws LockError naming the holder's PID and the namespace.
    explicit InstanceGuard(const std::string& table);
    ~InstanceGuard();
    InstanceGuard(const InstanceGuard&) = delete;
    InstanceGuard& operator=(const InstanceGuard&) = delete;

    // "net:[4026531840]": the namespace as /proc/self/ns/net names it.
    static std::string network_namespace();

private:
    int fd_ = -1;
};

}  // namespace svcnat
