#include "daemon_status.hpp"

namespace svcnat {

std::string describe_sync_error(const SyncError& e) {
    // Some kernel messages already start with the object's name.
    if (e.object.empty() || e.message.rfind(e.object, 0) == 0) return e.message;
    return e.object + ": " + e.message;
}

double unix_seconds(WallTime t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

DaemonStatus::DaemonStatus(std::chrono::nanoseconds health_timeout, std::shared_ptr<prometheus::Registry> registry)
    : health_timeout_(health_timeout),
      registry_(registry ? std::move(registry) : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_) {}

void DaemonStatus::set_health_timeout(std::chrono::nanoseconds t) {
    std::lock_guard lock(mu_);
    health_timeout_ = t;
}

void DaemonStatus::queued(WallTime now) {
    std::lock_guard lock(mu_);
    if (!health_.oldest_queued) health_.oldest_queued = now;
    metrics_.record_queued(unix_seconds(now));
}

void DaemonStatus::config_loaded(bool ok, const std::vector<std::string>& errors, bool state_programmed,
                                 WallTime /*now*/) {
    std::lock_guard lock(mu_);
    health_.config_ok = ok;
    health_.config_errors = errors;
    metrics_.record_config_load(ok, errors.size());
    // Rejected with a good state in place: the update was handled (refused),
    // not left pending. With nothing programmed yet it stays pending, so a
    // daemon that never managed to program anything turns unhealthy.
    if (!ok && state_programmed) health_.oldest_queued.reset();
}

void DaemonStatus::synced(const SyncReport& report, const ProgrammedCounts* counts, WallTime now) {
    std::lock_guard lock(mu_);
    metrics_.record_sync(report, counts, unix_seconds(now));
    health_.last_sync_failed = !report.ok;
    if (report.ok) {
        health_.last_updated = now;
        health_.oldest_queued.reset();
        health_.last_sync_error.clear();
    } else {
        std::string msg;
        for (const auto& e : report.errors) {
            if (!msg.empty()) msg += "; ";
            msg += describe_sync_error(e);
        }
        health_.last_sync_error = msg.empty() ? "sync failed" : msg;
    }
}

HealthSnapshot DaemonStatus::health() const {
    std::lock_guard lock(mu_);
    return health_;
}

HttpReply DaemonStatus::healthz(WallTime now) const {
    std::lock_guard lock(mu_);
    return healthz_reply(health_, now, health_timeout_);
}

HttpReply DaemonStatus::livez(WallTime now) const {
    std::lock_guard lock(mu_);
    return livez_reply(health_, now, health_timeout_);
}

bool DaemonStatus::healthy(WallTime now) const {
    std::lock_guard lock(mu_);
    return healthz_ok(health_, now, health_timeout_);
}

std::string DaemonStatus::metrics_text() const { return svcnat::metrics_text(*registry_); }

}  // namespace svcnat
