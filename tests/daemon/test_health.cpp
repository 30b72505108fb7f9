// /healthz and /livez: kube-proxy's rules and body, svcnat's detail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/daemon/daemon_status.hpp"
#include "control/daemon/health.hpp"

namespace svcnat {
namespace {

using namespace std::chrono_literals;

WallTime at(int64_t unix_s, int64_t ns = 0) {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(unix_s) +
                                                                   std::chrono::nanoseconds(ns)));
}

TEST(GoTimeString, MatchesGoFormatting) {
    EXPECT_EQ(go_time_string(at(0, 0) + 1s), "1970-01-01 00:00:01 +0000 UTC");
    EXPECT_EQ(go_time_string(at(1700000000, 120000000)), "2023-11-14 22:13:20.12 +0000 UTC");
    EXPECT_EQ(go_time_string(at(1700000000, 5)), "2023-11-14 22:13:20.000000005 +0000 UTC");
    EXPECT_EQ(go_time_string(WallTime{}), "0001-01-01 00:00:00 +0000 UTC");
}

TEST(Healthz, HealthyWhenNothingPending) {
    HealthSnapshot s;
    s.last_updated = at(1000);
    auto r = healthz_reply(s, at(1010), 60s);
    EXPECT_EQ(r.status, 200);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["lastUpdated"], j["currentTime"]);  // kube-proxy reports now while healthy
    EXPECT_EQ(j["nodeEligible"], true);
    EXPECT_EQ(j["svcnat"]["lastSyncOk"], true);
}

TEST(Healthz, UnhealthyWhenUpdateQueuedLongerThanTimeout) {
    HealthSnapshot s;
    s.last_updated = at(1000);
    s.oldest_queued = at(1001);
    EXPECT_EQ(healthz_reply(s, at(1061), 60s).status, 200);  // exactly at the limit: still fine
    auto r = healthz_reply(s, at(1062), 60s);
    EXPECT_EQ(r.status, 503);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["lastUpdated"], go_time_string(at(1000)));
    EXPECT_EQ(j["svcnat"]["updatePending"], true);
    EXPECT_EQ(livez_reply(s, at(1062), 60s).status, 503);
}

TEST(Healthz, LastSyncFailureIsUnhealthyButLive) {
    HealthSnapshot s;
    s.last_updated = at(1000);
    s.last_sync_failed = true;
    s.last_sync_error = "default/web:http: File exists";
    auto r = healthz_reply(s, at(1001), 60s);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(nlohmann::json::parse(r.body)["svcnat"]["lastSyncError"], "default/web:http: File exists");
    auto l = livez_reply(s, at(1001), 60s);
    EXPECT_EQ(l.status, 200);
    EXPECT_FALSE(nlohmann::json::parse(l.body).contains("nodeEligible"));
}

// A data path that cannot carry traffic (a gateway port without link) fails
// /healthz but not /livez; one that makes no progress (a stalled worker)
// fails both. Its problems are in the body.
TEST(Healthz, DataPathHealthDecidesWithTheSyncState) {
    HealthSnapshot s;
    s.last_updated = at(1000);
    s.data_path = DataPathHealth{false, true, {"port uplink: link down"}};
    auto r = healthz_reply(s, at(1001), 60s);
    EXPECT_EQ(r.status, 503);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["svcnat"]["dataPath"]["ok"], false);
    EXPECT_EQ(j["svcnat"]["dataPath"]["problems"][0], "port uplink: link down");
    EXPECT_EQ(j["lastUpdated"], go_time_string(at(1000))) << "unhealthy: the real time of the last update";
    EXPECT_EQ(livez_reply(s, at(1001), 60s).status, 200);

    s.data_path = DataPathHealth{false, false, {"worker 1: no poll for 1500 ms (limit 1000 ms)"}};
    EXPECT_EQ(healthz_reply(s, at(1001), 60s).status, 503);
    EXPECT_EQ(livez_reply(s, at(1001), 60s).status, 503);

    s.data_path = DataPathHealth{};
    EXPECT_EQ(healthz_reply(s, at(1001), 60s).status, 200);
    s.data_path.reset();
    EXPECT_FALSE(nlohmann::json::parse(healthz_reply(s, at(1001), 60s).body)["svcnat"].contains("dataPath"));
}

// DaemonStatus asks the probe on every request (it reads the data path
// live), and serves collectables' metrics after the registry's.
TEST(DaemonStatus, AsksTheDataPathProbeEachTimeAndServesCollectables) {
    DaemonStatus st(60s);
    SyncReport ok;
    ok.ok = true;
    st.synced(ok, nullptr, at(1000));
    int asked = 0;
    bool link = true;
    st.set_data_path_probe([&] {
        ++asked;
        return link ? DataPathHealth{} : DataPathHealth{false, true, {"port pods: link down"}};
    });
    EXPECT_EQ(st.healthz(at(1001)).status, 200);
    link = false;
    EXPECT_EQ(st.healthz(at(1002)).status, 503);
    EXPECT_FALSE(st.healthy(at(1002)));
    EXPECT_EQ(st.livez(at(1002)).status, 200);
    EXPECT_EQ(asked, 4);

    struct Fixed : prometheus::Collectable {
        std::vector<prometheus::MetricFamily> Collect() const override {
            prometheus::ClientMetric m;
            m.counter.value = 42;
            return {prometheus::MetricFamily{"svcnat_test_things_total", "Things", prometheus::MetricType::Counter, {m}}};
        }
    };
    st.add_collectable(std::make_shared<Fixed>());
    const std::string text = st.metrics_text();
    EXPECT_NE(text.find("svcnat_test_things_total 42"), std::string::npos) << text;
    EXPECT_LT(text.find("kubeproxy_sync_proxy_rules_duration_seconds"), text.find("svcnat_test_things_total"));
}

TEST(DaemonStatus, RejectedEditKeepsNodeHealthyAndShowsErrors) {
    DaemonStatus st(60s);
    SyncReport ok;
    ok.ok = true;
    st.queued(at(1000));
    st.config_loaded(true, {}, false, at(1000));
    st.synced(ok, nullptr, at(1000));
    EXPECT_EQ(st.healthz(at(1001)).status, 200);

    st.queued(at(1100));
    st.config_loaded(false, {"/etc/svcnat/web.yaml:7: spec.ports[0].port: Invalid value: 0"}, true, at(1100));
    auto r = st.healthz(at(1300));  // long after the timeout: the edit was refused, not left pending
    EXPECT_EQ(r.status, 200);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["svcnat"]["configOk"], false);
    ASSERT_EQ(j["svcnat"]["configErrors"].size(), 1u);
    EXPECT_EQ(j["svcnat"]["configErrors"][0], "/etc/svcnat/web.yaml:7: spec.ports[0].port: Invalid value: 0");
}

TEST(DaemonStatus, NeverProgrammedTurnsUnhealthyAfterTimeout) {
    DaemonStatus st(60s);
    st.queued(at(1000));
    st.config_loaded(false, {"a.yaml:1: kind: Required value"}, false, at(1000));
    EXPECT_EQ(st.healthz(at(1030)).status, 200);
    EXPECT_EQ(st.healthz(at(1061)).status, 503);
    EXPECT_FALSE(st.healthy(at(1061)));
}

TEST(DaemonStatus, SyncFailureThenRecovery) {
    DaemonStatus st(60s);
    SyncReport bad;
    bad.ok = false;
    bad.errors = {{"default/web:http", "Operation not permitted"}};
    st.queued(at(1000));
    st.synced(bad, nullptr, at(1000));
    EXPECT_EQ(st.healthz(at(1001)).status, 503);
    EXPECT_EQ(st.health().last_sync_error, "default/web:http: Operation not permitted");
    SyncReport ok;
    ok.ok = true;
    st.synced(ok, nullptr, at(1002));
    EXPECT_EQ(st.healthz(at(1003)).status, 200);
    EXPECT_FALSE(st.health().oldest_queued.has_value());
}

}  // namespace
}  // namespace svcnat
