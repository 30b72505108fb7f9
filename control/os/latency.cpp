#include "latency.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace svcnat {
namespace {

// glibc 2.36 has no wrapper for these; the layout is the kernel's (the
// first 48 bytes, SCHED_ATTR_SIZE_VER1 without the utilisation clamps).
struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

}  // namespace

bool request_short_slice(uint64_t slice_ns) {
    SchedAttr attr;
    std::memset(&attr, 0, sizeof attr);
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return false;
    // Only a normal (or batch) thread has a slice; a real-time one is left as it is.
    if (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH) return false;
    attr.size = sizeof attr;
    attr.sched_flags = 0;
    attr.sched_runtime = slice_ns;  // the nice value read above is written back unchanged
    return syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}

}  // namespace svcnat
