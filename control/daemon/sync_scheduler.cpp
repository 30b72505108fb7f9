#include "sync_scheduler.hpp"

#include <algorithm>

namespace svcnat {

std::string_view to_string(SyncReason r) {
    switch (r) {
        case SyncReason::Startup: return "startup";
        case SyncReason::Change: return "manifests changed";
        case SyncReason::ConfigChange: return "config file changed";
        case SyncReason::Signal: return "SIGHUP";
        case SyncReason::Periodic: return "periodic";
        case SyncReason::Retry: return "retry";
    }
    return "?";
}

SyncScheduler::SyncScheduler(Periods periods, Time now) : periods_(periods), next_periodic_(now) {
    first_change_ = now;  // the startup sync is a change due immediately
    change_reason_ = SyncReason::Startup;
}

void SyncScheduler::set_periods(Periods periods) { periods_ = periods; }

SyncScheduler::Time SyncScheduler::not_before() const {
    return last_start_ ? *last_start_ + periods_.min_sync : Time::min();
}

std::optional<SyncScheduler::Time> SyncScheduler::change_due() const {
    if (!first_change_) return std::nullopt;
    if (startup_) return *first_change_;
    return std::max(*first_change_ + settle(), not_before());
}

void SyncScheduler::manifests_changed(Time now) {
    if (!first_change_) {
        first_change_ = now;
        change_reason_ = SyncReason::Change;
    }
}

void SyncScheduler::config_changed(Time now) {
    manifests_changed(now);
    if (change_reason_ == SyncReason::Change) change_reason_ = SyncReason::ConfigChange;
    reload_config_ = true;
}

void SyncScheduler::forced(Time now) {
    manifests_changed(now);
    if (change_reason_ != SyncReason::Startup) change_reason_ = SyncReason::Signal;
    reload_config_ = true;
    full_next_ = true;
}

SyncScheduler::Time SyncScheduler::next_due() const {
    Time due = next_periodic_;
    if (auto c = change_due()) due = std::min(due, *c);
    if (retry_at_) due = std::min(due, std::max(*retry_at_, not_before()));
    return due;
}

std::optional<SyncJob> SyncScheduler::take_due(Time now) {
    if (now < next_due()) return std::nullopt;
    SyncJob job;
    const auto c = change_due();
    if (c && now >= *c) {
        job.reason = change_reason_;
    } else if (retry_at_ && now >= *retry_at_) {
        job.reason = SyncReason::Retry;
    } else {
        job.reason = SyncReason::Periodic;
    }
    // Whatever triggered it, this sync reads everything, so it also serves
    // every other pending request.
    const bool periodic_due = now >= next_periodic_;
    job.full = full_next_ || periodic_due || reload_config_ || job.reason == SyncReason::Retry;
    job.reload_config = reload_config_;
    first_change_.reset();
    reload_config_ = false;
    startup_ = false;
    retry_at_.reset();
    last_start_ = now;
    return job;
}

void SyncScheduler::finished(SyncOutcome outcome, Time now) {
    next_periodic_ = now + periods_.sync;
    switch (outcome) {
        case SyncOutcome::Ok:
        case SyncOutcome::LoadRejected:
            // A rejected load did not touch the kernel: nothing to retry.
            if (outcome == SyncOutcome::Ok) full_next_ = false;
            retry_backoff_ = Duration{0};
            break;
        case SyncOutcome::SyncFailed: {
            full_next_ = true;
            const Duration floor = std::max<Duration>(periods_.min_sync, std::chrono::milliseconds(100));
            retry_backoff_ = retry_backoff_ == Duration{0} ? floor : std::min(retry_backoff_ * 2, periods_.sync);
            retry_backoff_ = std::max(retry_backoff_, floor);
            retry_at_ = now + retry_backoff_;
            break;
        }
    }
}

}  // namespace svcnat
