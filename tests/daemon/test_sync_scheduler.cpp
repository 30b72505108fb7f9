// Debounce and periodic reconcile, driven by a fake clock.
#include <gtest/gtest.h>

#include "control/daemon/sync_scheduler.hpp"

namespace svcnat {
namespace {

using namespace std::chrono_literals;
using Time = SyncScheduler::Time;

struct SchedulerTest : ::testing::Test {
    Time t0 = Time(1000s);
    SyncScheduler::Periods periods{2s, 30s, 100ms};
    SyncScheduler s{periods, t0};

    // Runs the startup sync successfully at t0.
    void startup() {
        auto job = s.take_due(t0);
        ASSERT_TRUE(job);
        EXPECT_EQ(job->reason, SyncReason::Startup);
        EXPECT_TRUE(job->full);
        s.finished(SyncOutcome::Ok, t0 + 10ms);
    }
};

TEST_F(SchedulerTest, StartupRunsAtOnceAndFull) { startup(); }

TEST_F(SchedulerTest, ChangesWithinTheWindowAreCoalesced) {
    startup();
    // First change soon after the startup sync: held back to min-sync-period.
    s.manifests_changed(t0 + 300ms);
    s.manifests_changed(t0 + 900ms);
    s.manifests_changed(t0 + 1900ms);
    EXPECT_EQ(s.next_due(), t0 + 2s);
    EXPECT_FALSE(s.take_due(t0 + 1999ms));
    auto job = s.take_due(t0 + 2s);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->reason, SyncReason::Change);
    EXPECT_FALSE(job->full);
    EXPECT_FALSE(job->reload_config);
    s.finished(SyncOutcome::Ok, t0 + 2s + 5ms);
    // Nothing left: only the periodic reconcile is due.
    EXPECT_EQ(s.next_due(), t0 + 2s + 5ms + 30s);
}

TEST_F(SchedulerTest, NeverMoreOftenThanMinSyncPeriod) {
    startup();
    Time last = t0;
    int runs = 0;
    // A change every 50 ms for 10 s: at most one sync per 2 s.
    for (Time now = t0 + 50ms; now < t0 + 10s; now += 50ms) {
        s.manifests_changed(now);
        if (auto job = s.take_due(now)) {
            EXPECT_GE(now - last, 2s);
            last = now;
            ++runs;
            s.finished(SyncOutcome::Ok, now);
        }
    }
    EXPECT_GE(runs, 4);
    EXPECT_LE(runs, 5);
}

TEST_F(SchedulerTest, QuietChangeWaitsOnlyTheSettleDelay) {
    startup();
    s.manifests_changed(t0 + 10s);
    EXPECT_EQ(s.next_due(), t0 + 10s + 100ms);
    EXPECT_TRUE(s.take_due(t0 + 10s + 100ms));
}

TEST_F(SchedulerTest, PeriodicReconcileIsFull) {
    startup();
    EXPECT_FALSE(s.take_due(t0 + 29s));
    auto job = s.take_due(t0 + 10ms + 30s);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->reason, SyncReason::Periodic);
    EXPECT_TRUE(job->full);
}

TEST_F(SchedulerTest, SignalAndConfigChangeReloadConfigAndSyncFull) {
    startup();
    s.forced(t0 + 5s);
    auto job = s.take_due(s.next_due());
    ASSERT_TRUE(job);
    EXPECT_EQ(job->reason, SyncReason::Signal);
    EXPECT_TRUE(job->reload_config);
    EXPECT_TRUE(job->full);
    s.finished(SyncOutcome::Ok, t0 + 6s);
    s.config_changed(t0 + 10s);
    s.manifests_changed(t0 + 10s + 10ms);
    job = s.take_due(s.next_due());
    ASSERT_TRUE(job);
    EXPECT_EQ(job->reason, SyncReason::ConfigChange);
    EXPECT_TRUE(job->reload_config);
}

TEST_F(SchedulerTest, FailedSyncRetriesFullWithBackoff) {
    startup();
    s.manifests_changed(t0 + 10s);
    auto job = s.take_due(t0 + 10s + 100ms);
    ASSERT_TRUE(job);
    s.finished(SyncOutcome::SyncFailed, t0 + 10s + 200ms);
    EXPECT_EQ(s.next_due(), t0 + 12s + 200ms);  // min-sync-period
    job = s.take_due(s.next_due());
    ASSERT_TRUE(job);
    EXPECT_EQ(job->reason, SyncReason::Retry);
    EXPECT_TRUE(job->full);
    Time now = t0 + 12s + 200ms;
    s.finished(SyncOutcome::SyncFailed, now);
    EXPECT_EQ(s.next_due(), now + 4s);  // doubled
    for (int i = 0; i < 10; ++i) {
        now = s.next_due();
        ASSERT_TRUE(s.take_due(now));
        s.finished(SyncOutcome::SyncFailed, now);
    }
    EXPECT_EQ(s.next_due(), now + 30s);  // capped at sync-period
    ASSERT_TRUE(s.take_due(s.next_due()));
    s.finished(SyncOutcome::Ok, s.next_due());
}

TEST_F(SchedulerTest, RejectedLoadIsNotRetried) {
    startup();
    s.manifests_changed(t0 + 10s);
    auto job = s.take_due(t0 + 10s + 100ms);
    ASSERT_TRUE(job);
    s.finished(SyncOutcome::LoadRejected, t0 + 10s + 150ms);
    EXPECT_EQ(s.next_due(), t0 + 10s + 150ms + 30s);
    // The next sync after a good load is still partial: the kernel was not touched.
    s.manifests_changed(t0 + 20s);
    job = s.take_due(t0 + 20s + 100ms);
    ASSERT_TRUE(job);
    EXPECT_FALSE(job->full);
}

TEST(SyncScheduler, RejectedStartupKeepsNextSyncFull) {
    Time t0(1000s);
    SyncScheduler s({1s, 30s, 100ms}, t0);
    ASSERT_TRUE(s.take_due(t0));
    s.finished(SyncOutcome::LoadRejected, t0);
    s.manifests_changed(t0 + 5s);
    auto job = s.take_due(t0 + 5s + 100ms);
    ASSERT_TRUE(job);
    EXPECT_TRUE(job->full);
}

TEST(SyncScheduler, ZeroMinSyncPeriodRunsImmediately) {
    Time t0(1000s);
    SyncScheduler s({0s, 30s, 100ms}, t0);
    ASSERT_TRUE(s.take_due(t0));
    s.finished(SyncOutcome::Ok, t0);
    s.manifests_changed(t0 + 1s);
    EXPECT_TRUE(s.take_due(t0 + 1s));
}

}  // namespace
}  // namespace svcnat
