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

void DaemonStatus::set_data_path_probe(DataPathProbe probe) { probe_ = std::move(probe); }

void DaemonStatus::add_collectable(std::shared_ptr<prometheus::Collectable> c) { collectables_.push_back(std::move(c)); }

HealthSnapshot DaemonStatus::health() const {
    // The probe outside the lock: it reads the data path, not our state.
    std::optional<DataPathHealth> data_path;
    if (probe_) data_path = probe_();
    std::lock_guard lock(mu_);
    HealthSnapshot s = health_;
    s.data_path = std::move(data_path);
    return s;
}

std::chrono::nanoseconds DaemonStatus::health_timeout() const {
    std::lock_guard lock(mu_);
    return health_timeout_;
}

HttpReply DaemonStatus::healthz(WallTime now) const { return healthz_reply(health(), now, health_timeout()); }

HttpReply DaemonStatus::livez(WallTime now) const { return livez_reply(health(), now, health_timeout()); }

bool DaemonStatus::healthy(WallTime now) const { return healthz_ok(health(), now, health_timeout()); }

std::string DaemonStatus::metrics_text() const {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (const auto& c : collectables_) {
        auto more = c->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    return svcnat::metrics_text(families);
}

}  // namespace svcnat
