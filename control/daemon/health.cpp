#include "health.hpp"

#include <fmt/format.h>
#include <time.h>

#include <nlohmann/json.hpp>

namespace svcnat {

namespace {

nlohmann::json svcnat_detail(const HealthSnapshot& s) {
    nlohmann::json d;
    d["lastSyncOk"] = !s.last_sync_failed;
    if (!s.last_sync_error.empty()) d["lastSyncError"] = s.last_sync_error;
    d["configOk"] = s.config_ok;
    d["configErrors"] = s.config_errors;
    d["updatePending"] = s.oldest_queued.has_value();
    if (s.data_path) {
        d["dataPath"] = {{"ok", s.data_path->ok}, {"alive", s.data_path->alive}, {"problems", s.data_path->problems}};
    }
    return d;
}

// kube-proxy reports "now" as lastUpdated while healthy (compatibility with
// releases where it meant "the sync loop ran"); the real value otherwise.
WallTime reported_last_updated(const HealthSnapshot& s, bool healthy, WallTime now) {
    if (healthy) return now;
    return s.last_updated.value_or(WallTime{});
}

}  // namespace

std::string go_time_string(WallTime t) {
    using namespace std::chrono;
    if (t == WallTime{}) return "0001-01-01 00:00:00 +0000 UTC";  // Go's zero time
    const auto ns_total = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(ns_total / 1'000'000'000);
    long frac = static_cast<long>(ns_total % 1'000'000'000);
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    struct tm tm {};
    gmtime_r(&secs, &tm);
    std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac != 0) {
        std::string f = fmt::format("{:09}", frac);
        f.erase(f.find_last_not_of('0') + 1);  // Go's .999999999 drops trailing zeros
        out += "." + f;
    }
    return out + " +0000 UTC";
}

bool proxier_healthy(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout) {
    if (!s.oldest_queued) return true;
    return now - *s.oldest_queued <= timeout;
}

bool healthz_ok(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout) {
    return proxier_healthy(s, now, timeout) && s.node_eligible && !s.last_sync_failed &&
           (!s.data_path || s.data_path->ok);
}

namespace {

bool livez_ok(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout) {
    return proxier_healthy(s, now, timeout) && (!s.data_path || s.data_path->alive);
}

}  // namespace

HttpReply healthz_reply(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout) {
    const bool ok = healthz_ok(s, now, timeout);
    nlohmann::json j;
    j["lastUpdated"] = go_time_string(reported_last_updated(s, ok, now));
    j["currentTime"] = go_time_string(now);
    j["nodeEligible"] = s.node_eligible;
    j["svcnat"] = svcnat_detail(s);
    return {ok ? 200 : 503, j.dump()};
}

HttpReply livez_reply(const HealthSnapshot& s, WallTime now, std::chrono::nanoseconds timeout) {
    const bool ok = livez_ok(s, now, timeout);
    nlohmann::json j;
    j["lastUpdated"] = go_time_string(reported_last_updated(s, ok, now));
    j["currentTime"] = go_time_string(now);
    j["svcnat"] = svcnat_detail(s);
    return {ok ? 200 : 503, j.dump()};
}

}  // namespace svcnat
