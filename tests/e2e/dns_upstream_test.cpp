// Cluster DNS's upstream side end to end: `svcnat dns` on the lab's node
// with a real upstream, Knot, serving the test zone example.test on the
// client (203.0.113.100); queries from the client. What the upstream
// received is read from Knot's own counters (mod-stats through knotc), so
// "one upstream query" is the upstream's word, not svcnat's. Covers the
// cache (hits, TTL countdown, negative answers with their SOA), coalescing
// of a burst of identical questions, TCP after a truncated answer,
// serve-stale and health checks when the upstream stops answering, and the
// CoreDNS-named metrics (checked by promtool and against what was sent).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "../daemon/metrics_text.hpp"
#include "lab.hpp"
#include "manifests.hpp"

namespace svcnat::e2e {
namespace {

using json = nlohmann::json;

// The external test zone: short TTLs where a test waits for expiry, 100
// addresses for a name whose answer does not fit UDP.
std::string zone_file() {
    std::string z = R"($ORIGIN example.test.
$TTL 300
@ 3600 IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 60
@ IN NS ns.example.test.
ns IN A 192.0.2.53
api IN A 192.0.2.10
api IN AAAA 2001:db8::10
burst IN A 192.0.2.12
metrics IN A 192.0.2.13
stale 2 IN A 192.0.2.14
popular 20 IN A 192.0.2.15
)";
    for (int i = 1; i <= 100; ++i) z += "big IN A 198.51.100." + std::to_string(i) + "\n";
    return z;
}

std::string knot_conf(const std::string& dir) {
    return "server:\n    rundir: " + dir + "\n    listen: 203.0.113.100@53\n    udp-workers: 1\n    tcp-workers: 1\n"
           "    background-workers: 1\ncontrol:\n    listen: " + dir + "/knot.sock\ndatabase:\n    storage: " + dir +
           "\nmod-stats:\n  - id: default\n    query-type: on\ntemplate:\n  - id: default\n    storage: " + dir +
           "\n    global-module: mod-stats/default\nzone:\n  - domain: example.test\n    file: example.test.zone\n";
}

// How a question is sent: transport, EDNS, how long to wait, copies at once.
struct How {
    bool tcp = false, edns = false;
    double timeout = 2;
    int burst = 0;
};

class DnsUpstream : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root()) return;
        setup_error_.clear();
        lab_ = std::make_unique<Lab>("e2e-dnsup");
        try {
            lab_->up({.pods = 2});  // pod1 is a Pod of the manifests (autopath), pod2 is not
            knot_dir_ = std::make_unique<ManifestDir>();
            knot_dir_->write("example.test.zone", zone_file());
            knot_dir_->write("knot.conf", knot_conf(knot_dir_->path()));
            lab_->spawn("client", "knot", {"knotd", "-c", knot_dir_->path() + "/knot.conf"});
            manifests_ = std::make_unique<ManifestDir>();
            manifests_->write("svc.yaml", R"(apiVersion: v1
kind: Service
metadata: {name: kubia, namespace: default}
spec:
  clusterIP: 10.107.64.45
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: pod1, namespace: default}
spec: {nodeName: node-a, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.1.11}
)");
            lab_->spawn("node", "svcnat",
                        {svcnat_binary(), "dns", "--dns-bind-address", "203.0.113.1", "--dns-upstream",
                         "203.0.113.100", "--dns-cache-min-ttl", "1", "--dns-cache-serve-stale", "1h",
                         "--dns-forward-health-check", "200ms", "--dns-cache-prefetch", "2", "--dns-autopath", "--metrics-bind-address", "203.0.113.1:9153",
                         manifests_->path()});
            for (const std::string pod : {"pod1", "pod2"}) lab_->kubelet_resolv(pod, "203.0.113.1");
            wait_until_serving();
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        lab_.reset();
        manifests_.reset();
        knot_dir_.reset();
    }
    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    }

    static void wait_until_serving() {
        for (int i = 0; i < 100; ++i) {
            auto k = query({"ns.example.test A"}, {.timeout = 0.5});
            auto s = query({"kubia.default.svc.cluster.local A"}, {.timeout = 0.5});
            if (upstream_queries() >= 1 && s.size() == 1 && s[0].value("rcode", "") == "NOERROR") return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("svcnat dns or Knot did not answer within 10 s");
    }

    // dnspython from the client to svcnat's DNS.
    static std::vector<json> query(const std::vector<std::string>& lines, How how) {
        std::vector<std::string> extra;
        if (how.tcp) extra.push_back("--tcp");
        if (how.edns) extra.push_back("--edns");
        if (how.burst) extra.insert(extra.end(), {"--burst", std::to_string(how.burst)});
        std::vector<json> out;
        for (const auto& l : lab_->dns_query("client", "203.0.113.1", lines, how.timeout, extra))
            out.push_back(json::parse(l, nullptr, false));
        return out;
    }
    static json ask(const std::string& line, How how = {}) {
        auto r = query({line}, how);
        return r.size() == 1 ? r[0] : json{};
    }

    // What Knot says it answered: queries in all (mod-stats), or of one
    // counter such as "request-protocol[tcp4]".
    static long knot_counter(const std::string& which) {
        auto r = run_command({"knotc", "-s", knot_dir_->path() + "/knot.sock", "stats"}, 10);
        std::smatch m;
        const std::string text = r.out;
        const std::regex re("mod-stats\\." + std::regex_replace(which, std::regex(R"([\[\]])"), R"(\$&)") + " = (\\d+)");
        return std::regex_search(text, m, re) ? std::stol(m[1]) : 0;
    }
    static long upstream_queries() { return knot_counter("server-operation[query]"); }

    static void signal_knot(int sig) {
        run_command({"pkill", "-" + std::to_string(sig), "-f", "knotd -c " + knot_dir_->path()}, 5);
    }

    static std::string metrics() { return lab_->http_get("client", "http://203.0.113.1:9153/metrics", 3); }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::unique_ptr<ManifestDir> manifests_, knot_dir_;
    static inline std::string setup_error_;
};

int ttl_of(const json& answer_line) {
    // "api.example.test. 297 IN A 192.0.2.10"
    std::istringstream in(answer_line.get<std::string>());
    std::string name;
    int ttl = -1;
    in >> name >> ttl;
    return ttl;
}

TEST_F(DnsUpstream, RepeatedQuestionsAreAnsweredFromTheCacheWithTtlsCountingDown) {
    const long before = upstream_queries();
    json first = ask("api.example.test A");
    ASSERT_EQ(first.value("rcode", ""), "NOERROR") << first.dump();
    ASSERT_EQ(first["answer"].size(), 1u);
    EXPECT_EQ(ttl_of(first["answer"][0]), 300);
    EXPECT_TRUE(first["flags"].dump().find("RA") != std::string::npos);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(ask("API.Example.TEST A").value("rcode", ""), "NOERROR");
    EXPECT_EQ(upstream_queries() - before, 1) << "the upstream saw more than the first question";
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    json later = ask("api.example.test A");
    ASSERT_EQ(later["answer"].size(), 1u);
    EXPECT_LE(ttl_of(later["answer"][0]), 298);
    EXPECT_GE(ttl_of(later["answer"][0]), 296);
    EXPECT_EQ(upstream_queries() - before, 1);
    // Another type is another question.
    EXPECT_EQ(ask("api.example.test AAAA")["answer"].size(), 1u);
    EXPECT_EQ(upstream_queries() - before, 2);
}

TEST_F(DnsUpstream, NegativeAnswersAreCachedForTheSoaMinimum) {
    const long before = upstream_queries();
    for (int i = 0; i < 3; ++i) {
        json r = ask("nothing-here.example.test A");
        EXPECT_EQ(r.value("rcode", ""), "NXDOMAIN") << r.dump();
        ASSERT_EQ(r["authority"].size(), 1u) << r.dump();
        EXPECT_NE(r["authority"][0].get<std::string>().find("SOA ns.example.test."), std::string::npos);
        EXPECT_LE(ttl_of(r["authority"][0]), 60);
    }
    // NODATA too: a name with an A but no TXT.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(ask("api.example.test TXT")["answer"].size(), 0u);
    EXPECT_EQ(upstream_queries() - before, 2);
}

TEST_F(DnsUpstream, ABurstOfIdenticalQuestionsIsOneUpstreamQuery) {
    const long before = upstream_queries();
    // The upstream holds still while 100 copies arrive: every one of them
    // waits on the one query in flight, none hits the cache.
    signal_knot(SIGSTOP);
    std::thread resume([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        signal_knot(SIGCONT);
    });
    json r = ask("burst.example.test A", {.timeout = 5, .burst = 100});
    resume.join();
    EXPECT_EQ(r.value("answers", 0), 100) << r.dump();
    EXPECT_EQ(r["rcodes"].value("NOERROR", 0), 100) << r.dump();
    EXPECT_EQ(upstream_queries() - before, 1);
}

TEST_F(DnsUpstream, ATruncatedUpstreamAnswerIsFetchedOverTcp) {
    const long before = upstream_queries(), tcp_before = knot_counter("request-protocol[tcp4]");
    // Over UDP the upstream's answer is truncated (100 addresses); the
    // forwarder fetches it over TCP and caches it. The UDP client gets TC=1
    // (it does not fit 1232 bytes either) and asks again over TCP: a hit.
    json udp = ask("big.example.test A", {.edns = true});
    EXPECT_NE(udp["flags"].dump().find("TC"), std::string::npos) << udp.dump();
    json tcp = ask("big.example.test A", {.tcp = true});
    ASSERT_EQ(tcp["answer"].size(), 100u) << tcp.dump();
    EXPECT_NE(tcp.dump().find("198.51.100.100"), std::string::npos);
    EXPECT_EQ(knot_counter("request-protocol[tcp4]") - tcp_before, 1);
    EXPECT_EQ(upstream_queries() - before, 2);  // the UDP attempt and the TCP one
}

long metric(const std::string& text, const std::string& name, const std::string& labels_contain = "") {
    long total = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
        if (!labels_contain.empty() && line.find(labels_contain) == std::string::npos) continue;
        total += static_cast<long>(std::stod(line.substr(line.rfind(' ') + 1)));
    }
    return total;
}

TEST_F(DnsUpstream, PopularEntriesAreFetchedAgainBeforeTheyExpire) {
    const long before = upstream_queries();
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(ask("popular.example.test A")["answer"].size(), 1u);  // cached for 20 s
    EXPECT_EQ(upstream_queries() - before, 1);
    // Asked twice in the last 10 % of its TTL (the last 2 s): prefetched
    // then, before it expires.
    std::this_thread::sleep_until(start + std::chrono::milliseconds(18600));
    auto two = query({"popular.example.test A", "popular.example.test A"}, {});
    ASSERT_EQ(two.size(), 2u);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(upstream_queries() - before, 2) << "no prefetch within the last 10 % of the TTL";
    // Past the first answer's expiry, the prefetched one answers.
    std::this_thread::sleep_until(start + std::chrono::milliseconds(21000));
    json r = ask("popular.example.test A");
    ASSERT_EQ(r["answer"].size(), 1u);
    EXPECT_GT(ttl_of(r["answer"][0]), 10);
    EXPECT_EQ(upstream_queries() - before, 2);
    EXPECT_GE(metric(metrics(), "coredns_cache_prefetch_total"), 1);
}

TEST_F(DnsUpstream, MetricsHaveCoreDnsNamesAndCountWhatWasSent) {
    const std::string before = metrics();
    ASSERT_FALSE(before.empty());
    const long upstream_before = upstream_queries();
    for (int i = 0; i < 10; ++i) ASSERT_EQ(ask("metrics.example.test A").value("rcode", ""), "NOERROR");
    for (int i = 0; i < 4; ++i) ASSERT_EQ(ask("kubia.default.svc.cluster.local A").value("rcode", ""), "NOERROR");
    const std::string after = metrics();
    auto delta = [&](const std::string& name, const std::string& labels = "") {
        return metric(after, name, labels) - metric(before, name, labels);
    };
    EXPECT_EQ(delta("coredns_dns_requests_total", "type=\"A\""), 14);
    EXPECT_EQ(delta("coredns_dns_requests_total", "proto=\"udp\""), 14);
    EXPECT_EQ(delta("coredns_dns_responses_total", "rcode=\"NOERROR\""), 14);
    EXPECT_EQ(delta("coredns_dns_responses_total", "plugin=\"kubernetes\""), 4);
    EXPECT_EQ(delta("coredns_dns_responses_total", "plugin=\"cache\""), 9);
    EXPECT_EQ(delta("coredns_dns_responses_total", "plugin=\"forward\""), 1);
    EXPECT_EQ(delta("coredns_cache_hits_total", "type=\"success\""), 9);
    EXPECT_EQ(delta("coredns_cache_misses_total"), 1);
    EXPECT_EQ(delta("coredns_dns_request_duration_seconds_count", "type=\"A\""), 14);
    EXPECT_EQ(delta("coredns_forward_requests_total", "to=\"203.0.113.100:53\""), upstream_queries() - upstream_before);
    EXPECT_GE(metric(after, "coredns_cache_entries", "type=\"success\""), 3);
    EXPECT_GE(metric(after, "coredns_cache_entries", "type=\"denial\""), 1);
    EXPECT_EQ(metric(after, "coredns_build_info"), 1);
    // promtool, Prometheus's own checker, on the whole page (http_get
    // dropped its last newline).
    EXPECT_EQ(test::promtool_problems(after + "\n"), "");
}

TEST_F(DnsUpstream, AutopathAnswersAPodsExternalLookupInTwoQueriesInsteadOfEight) {
    // glibc with kubelet's resolv.conf (ndots:5): api.example.test is
    // tried under the three search domains first, A and AAAA each.
    auto lookup = [&](const std::string& pod) {
        const std::string before = metrics();
        auto r = lab_->exec(pod, {"getent", "ahosts", "api.example.test"}, 20);
        const std::string after = metrics();
        EXPECT_TRUE(r.ok()) << pod << ": " << r.describe();
        EXPECT_NE(r.out.find("192.0.2.10"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("2001:db8::10"), std::string::npos) << r.out;
        return std::pair{metric(after, "coredns_dns_requests_total") - metric(before, "coredns_dns_requests_total"),
                         metric(after, "coredns_autopath_success_total") -
                             metric(before, "coredns_autopath_success_total")};
    };
    const auto [known_queries, known_autopath] = lookup("pod1");
    EXPECT_EQ(known_queries, 2);  // A and AAAA of the first candidate, answered with CNAME + records
    EXPECT_EQ(known_autopath, 2);
    const auto [stranger_queries, stranger_autopath] = lookup("pod2");  // not a Pod of the manifests
    EXPECT_EQ(stranger_queries, 8);
    EXPECT_EQ(stranger_autopath, 0);
}

TEST_F(DnsUpstream, StaleAnswersWhenTheUpstreamStopsAndFreshOnesWhenItIsBack) {
    ASSERT_EQ(ask("stale.example.test A")["answer"].size(), 1u);  // cached for 2 s
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    signal_knot(SIGSTOP);
    // The upstream is asked (2 attempts of 2 s), then the expired entry
    // answers with RFC 8767's 30 s TTL, within glibc's 5 s timeout.
    json r = ask("stale.example.test A", {.timeout = 6});
    ASSERT_EQ(r.value("rcode", ""), "NOERROR") << r.dump();
    ASSERT_EQ(r["answer"].size(), 1u);
    EXPECT_EQ(ttl_of(r["answer"][0]), 30);
    // Two timeouts in a row marked it down: the next answer is immediate.
    const auto start = std::chrono::steady_clock::now();
    r = ask("stale.example.test A", {.timeout = 6});
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r["answer"].size(), 1u) << r.dump();
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    // A name never cached fails (SERVFAIL), it is not invented.
    EXPECT_EQ(ask("never-asked.example.test A", {.timeout = 6}).value("rcode", ""), "SERVFAIL");
    signal_knot(SIGCONT);
    // The health check (every 200 ms, 1 s to answer) brings the upstream
    // back; answers are fresh again.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    r = ask("stale.example.test A");
    ASSERT_EQ(r["answer"].size(), 1u) << r.dump();
    EXPECT_LE(ttl_of(r["answer"][0]), 2);
    const std::string m = metrics();
    EXPECT_GE(metric(m, "coredns_cache_served_stale_total"), 2);
    EXPECT_GE(metric(m, "coredns_forward_healthcheck_failures_total"), 1);
}

}  // namespace
}  // namespace svcnat::e2e
