#include "reconciler.hpp"

#include <malloc.h>

#include <spdlog/spdlog.h>

#include <chrono>

namespace svcnat {

namespace {

WallTime wall_now() { return std::chrono::system_clock::now(); }

// jemalloc's control interface: present when the executable links jemalloc
// (control/cli/allocator.cpp), null otherwise (tests, sanitizer builds).
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t) __attribute__((weak));

// Returns freed heap pages to the kernel: jemalloc keeps them for reuse
// (and would purge them only as later allocations happen), glibc keeps the
// top of its heap.
void return_free_pages() {
    if (mallctl) {
        mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
        return;
    }
    malloc_trim(0);
}

std::string join_limited(const std::vector<std::string>& names, size_t limit) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > limit) s += fmt::format(" and {} more", names.size() - limit);
    return s;
}

}  // namespace

StateDiff diff_states(const ServiceState& before, const ServiceState& after) {
    const StateChanges changes = compare_states(before, after);
    StateDiff d;
    for (const auto* sp : changes.added) d.added.push_back(sp->key());
    for (const auto* sp : changes.removed) d.removed.push_back(sp->key());
    for (const auto& [was, now] : changes.changed) d.changed.push_back(now->key());
    return d;
}

std::string describe_diff(const StateDiff& d, size_t limit) {
    std::string s;
    auto part = [&](const char* what, const std::vector<std::string>& v) {
        if (v.empty()) return;
        if (!s.empty()) s += "; ";
        s += fmt::format("{} {}: {}", what, v.size(), join_limited(v, limit));
    };
    part("added", d.added);
    part("removed", d.removed);
    part("changed", d.changed);
    return s.empty() ? "no service port changes" : s;
}

void Reconciler::reject(const std::vector<std::string>& errors, bool quiet_if_unchanged) {
    // The periodic reconcile re-reads the same broken files every
    // sync-period: say the same errors again only at debug level.
    const auto level = quiet_if_unchanged && errors == config_errors_ ? spdlog::level::debug : spdlog::level::err;
    for (const auto& e : errors) spdlog::log(level, "config error: {}", e);
    config_errors_ = errors;
    status_.config_loaded(false, errors, programmed_ != nullptr, wall_now());
}

SyncOutcome Reconciler::reconcile(const Settings& settings, bool full, SyncReason reason) {
    const SyncOutcome outcome = load_and_sync(settings, full, reason);
    // Each reload builds the whole parsed and resolved model (≈ 60 MB at
    // 10,000 services × 10 endpoints) and frees it again; give those pages
    // back so that the daemon's RSS is what it keeps, not its peak.
    return_free_pages();
    return outcome;
}

SyncOutcome Reconciler::load_and_sync(const Settings& settings, bool full, SyncReason reason) {
    StateResult loaded;
    try {
        loaded = loader_(settings);
    } catch (const std::exception& e) {
        // The loader reports problems as diagnostics; anything thrown is
        // unexpected, but must not end the daemon or touch the kernel.
        reject({std::string("loading manifests: ") + e.what()});
        return SyncOutcome::LoadRejected;
    }

    if (loaded.unchanged) {
        // Settings and files as at the last valid load (the loader's
        // cache checked): its state is the desired one; no re-resolving.
        if (!last_valid_) {  // the loader says so only after a valid load
            reject({"internal: the loader reported no change before any valid load"});
            return SyncOutcome::LoadRejected;
        }
        return sync_valid(last_valid_, full, reason, 0, last_valid_files_);
    }

    std::vector<std::string> errors, warnings;
    for (const auto& d : loaded.load.diagnostics) {
        if (d.severity == Severity::Error) errors.push_back(d.str());
        else if (d.severity == Severity::Warning) warnings.push_back(d.str());
    }
    // Warnings repeat on every periodic reload; say them once per change.
    if (warnings != last_warnings_)
        for (const auto& w : warnings) spdlog::warn("{}", w);
    last_warnings_ = warnings;

    if (!loaded.ok()) {
        const bool periodic_repeat = reason == SyncReason::Periodic && errors == config_errors_;
        spdlog::log(periodic_repeat ? spdlog::level::debug : spdlog::level::err, "manifests rejected ({} error{}); {}",
                    errors.size(), errors.size() == 1 ? "" : "s",
                    programmed_ ? "keeping the last good state programmed" : "nothing programmed yet");
        reject(errors, reason == SyncReason::Periodic);
        return SyncOutcome::LoadRejected;
    }
    last_valid_ = std::make_shared<const ServiceState>(std::move(loaded.state));
    last_valid_files_ = loaded.load.files.size();
    return sync_valid(last_valid_, full, reason, loaded.load.files_decoded, last_valid_files_);
}

SyncOutcome Reconciler::sync_valid(const SharedState& desired, bool full, SyncReason reason, size_t files_decoded,
                                   size_t files) {
    if (!config_errors_.empty()) spdlog::info("manifests valid again");
    config_errors_.clear();
    status_.config_loaded(true, {}, programmed_ != nullptr, wall_now());

    SyncReport report = syncer_->sync(desired, full);
    if (!report.ok) {
        status_.synced(report, nullptr, wall_now());
        for (const auto& e : report.errors) spdlog::error("sync failed: {}", describe_sync_error(e));
        if (report.errors.empty()) spdlog::error("sync failed (no detail from the kernel)");
        spdlog::warn("the kernel keeps the last committed ruleset; retrying with a full sync");
        return SyncOutcome::SyncFailed;
    }

    const ProgrammedCounts counts = count_programmed(*desired);
    status_.synced(report, &counts, wall_now());
    // The state programmed last time again (nothing changed): no diff to walk.
    const StateDiff diff = desired == programmed_ ? StateDiff{}
                           : programmed_          ? diff_states(*programmed_, *desired)
                                                  : diff_states({}, *desired);
    const std::string summary = fmt::format(
        "sync ({}, {}): {} in {:.1f} ms; {} services, {} service ports, {} endpoints; "
        "changes: {} service ports, {} endpoints; {}; {} of {} files decoded",
        report.full ? "full" : "partial", to_string(reason),
        report.sent ? report.detail : std::string("nothing to send"),
        report.seconds * 1000, counts.services, counts.service_ports, counts.endpoints, report.service_changes,
        report.endpoint_changes, describe_diff(diff), files_decoded, files);
    // Periodic syncs that find nothing to do are routine: keep them at debug.
    if (report.sent || !diff.empty() || reason != SyncReason::Periodic) spdlog::info("{}", summary);
    else spdlog::debug("{}", summary);
    programmed_ = desired;
    return SyncOutcome::Ok;
}

}  // namespace svcnat
