// request_short_slice(): the calling thread gets the slice it asked for
// and keeps its nice value; other threads are not touched.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

#include "control/os/latency.hpp"

namespace svcnat {
namespace {

struct Attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

Attr attr_of(pid_t tid) {
    Attr a{};
    EXPECT_EQ(syscall(SYS_sched_getattr, tid, &a, sizeof a, 0), 0);
    return a;
}

TEST(ShortSlice, TheCallingThreadGetsItAndKeepsItsNice) {
    const uint64_t before_main = attr_of(0).runtime;
    bool asked = false;
    Attr after{};
    std::thread t([&] {
        // A thread that was made nicer stays as nice (the call writes back
        // what it read, changing only the slice).
        ASSERT_EQ(setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 7), 0);
        asked = request_short_slice(200'000);
        after = attr_of(0);
    });
    t.join();
    if (!asked) GTEST_SKIP() << "this kernel refuses sched_setattr";
    EXPECT_EQ(after.nice, 7);
    if (after.runtime == 0) GTEST_SKIP() << "this kernel (before 6.12) keeps no slice for SCHED_OTHER";
    EXPECT_EQ(after.runtime, 200'000u);
    EXPECT_EQ(attr_of(0).runtime, before_main) << "only the calling thread changes";
}

}  // namespace
}  // namespace svcnat
