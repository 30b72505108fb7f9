// The gateway's side of the daemon, on the real pipeline (net_ring ports,
// workers polled from the test thread): GatewaySyncer installs a snapshot
// only when the service ports change; the health probe follows the ports'
// link and the workers' heartbeats; the metrics collector reports what the
// pipeline counted. No root needed.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <map>
#include <thread>

#include "dpdk/gateway/gateway_health.hpp"
#include "dpdk/gateway/gateway_metrics.hpp"
#include "dpdk/gateway/gateway_syncer.hpp"
#include "pipeline_fixture.hpp"
#include "tests/daemon/metrics_text.hpp"

namespace svcnat::dpdk {
namespace {

using namespace pipeline;
using namespace std::chrono_literals;

const ::testing::Environment* const eal_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

TEST(WorkerStalls, NotYetPollingAndTooLongAreProblemsAClockBehindIsNot) {
    const uint64_t hz = 1'000'000'000;  // 1 tick per ns: ms = 1e6 ticks
    const uint64_t now = 10'000 * 1'000'000ull;
    EXPECT_TRUE(worker_stalls({now - 5'000'000, now - 999'000'000}, now, hz, 1000).empty());
    EXPECT_TRUE(worker_stalls({now + 3'000'000}, now, hz, 1000).empty()) << "another core's TSC a little ahead";
    EXPECT_EQ(worker_stalls({0, now - 1'500'000'000}, now, hz, 1000),
              (std::vector<std::string>{"worker 0: not polling yet",
                                        "worker 1: no poll for 1500 ms (limit 1000 ms)"}));
}

class GatewayDaemonTest : public PipelineTest {};

TEST_F(GatewayDaemonTest, SyncerInstallsOnlyWhenServicePortsChange) {
    start(1);
    GatewaySyncer syncer(*gw_);
    const uint64_t installs = gw_->reloads();
    auto r = syncer.sync(std::make_shared<const ServiceState>(two_backends()), true);
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.sent);
    EXPECT_EQ(r.service_changes, 2u);
    EXPECT_EQ(gw_->reloads(), installs + 1);
    // The same ports again, periodic (full) or not: nothing to rebuild.
    r = syncer.sync(std::make_shared<const ServiceState>(two_backends()), true);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.sent);
    EXPECT_EQ(gw_->reloads(), installs + 1);
    // One endpoint fewer: a new snapshot, and new flows go to the survivor.
    ServiceState one = two_backends();
    for (auto& sp : one.ports) sp.endpoints.pop_back();
    r = syncer.sync(std::make_shared<const ServiceState>(one), false);
    EXPECT_TRUE(r.sent);
    EXPECT_EQ(r.service_changes, 2u);
    EXPECT_EQ(r.endpoint_changes, 2u);
    EXPECT_EQ(gw_->reloads(), installs + 2);
    for (uint16_t sport = 41000; sport < 41020; ++sport) inject(*client_, 0, build_l4(syn(sport)));
    poll_all();
    for (const Seen& f : backend_->take()) EXPECT_EQ(f.ip()->dst_addr, ip4(kBackendA));
}

TEST_F(GatewayDaemonTest, HealthFollowsTheWorkersHeartbeats) {
    worker_stall_ms_ = 50;
    start(2);
    DataPathHealth h = gateway_health(*gw_);
    EXPECT_FALSE(h.ok) << "no worker has polled yet";
    EXPECT_EQ(h.problems, (std::vector<std::string>{"worker 0: not polling yet", "worker 1: not polling yet"}));
    poll_all(1);
    h = gateway_health(*gw_);
    EXPECT_TRUE(h.ok && h.alive) << ::testing::PrintToString(h.problems);
    // Worker 0 keeps polling, worker 1 does not.
    const auto until = std::chrono::steady_clock::now() + 120ms;
    while (std::chrono::steady_clock::now() < until) {
        gw_->worker(0).poll_once();
        std::this_thread::sleep_for(5ms);
    }
    h = gateway_health(*gw_);
    EXPECT_FALSE(h.ok);
    EXPECT_FALSE(h.alive);
    ASSERT_EQ(h.problems.size(), 1u);
    EXPECT_EQ(h.problems[0].rfind("worker 1: no poll for ", 0), 0u) << h.problems[0];
    poll_all(1);
    EXPECT_TRUE(gateway_health(*gw_).ok);
}

// Values by series of the collector's output.
std::map<std::string, double> series(const std::vector<prometheus::MetricFamily>& families) {
    std::map<std::string, double> out;
    for (const auto& f : families)
        for (const auto& m : f.metric) {
            std::string key = f.name;
            for (const auto& l : m.label) key += "," + l.name + "=" + l.value;
            out[key] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
        }
    return out;
}

TEST_F(GatewayDaemonTest, MetricsReportWhatThePipelineCounted) {
    worker_stall_ms_ = 1000;
    start(1);
    // One UDP flow: 3 queries, 3 answers; one SYN to a port no service has.
    inject(*client_, 0, build_l4(syn(5000, IPPROTO_UDP)));
    poll_all();
    auto fwd = backend_->take();
    ASSERT_EQ(fwd.size(), 1u);
    for (int i = 0; i < 3; ++i) inject(*backend_, 0, build_l4(answer(fwd[0])));
    inject(*client_, 0, build_l4(syn(5000, IPPROTO_UDP)));
    inject(*client_, 0, build_l4(syn(5000, IPPROTO_UDP)));
    auto stray = syn(40000);
    stray.dst_port = 81;
    inject(*client_, 0, build_l4(stray));
    poll_all();
    // The sweep folds flow traffic into the service counters (every 20 ms here).
    std::this_thread::sleep_for(40ms);
    poll_all();
    const auto families = GatewayMetrics(*gw_).Collect();
    const auto m = series(families);
    EXPECT_EQ(m.at("svcnat_gateway_forwarded_packets_total,direction=to_backend"), 3);
    EXPECT_EQ(m.at("svcnat_gateway_forwarded_packets_total,direction=to_client"), 3);
    EXPECT_EQ(m.at("svcnat_gateway_drops_total,reason=no_service"), 1);
    EXPECT_EQ(m.at("svcnat_gateway_flows_created_total,family=ipv4"), 1);
    EXPECT_EQ(m.at("svcnat_gateway_flows_created_total,family=ipv6"), 0);
    EXPECT_EQ(m.at("svcnat_gateway_flows_active,family=ipv4"), 1);
    EXPECT_EQ(m.at("svcnat_gateway_snat_leases,address=10.0.0.1,state=used"), 1);
    EXPECT_EQ(m.at("svcnat_gateway_snat_leases,address=10.0.0.1,state=free"), 64511);
    EXPECT_EQ(m.at("svcnat_gateway_service_packets_total,service=default/dns"), 6);
    EXPECT_EQ(m.at("svcnat_gateway_service_flows_total,service=default/dns"), 1);
    double backend_packets = 0;
    for (const auto& [k, v] : m)
        if (k.rfind("svcnat_gateway_backend_packets_total,service=default/dns,", 0) == 0) backend_packets += v;
    EXPECT_EQ(backend_packets, 6);
    EXPECT_EQ(m.at("svcnat_gateway_port_up,port=client"), 1);
    EXPECT_GT(m.at("svcnat_gateway_worker_loop_iterations_total,worker=0"), 0);
    EXPECT_EQ(m.at("svcnat_gateway_vip_ports"), 2) << "198.51.100.10 TCP 80 and UDP 53";
    const std::string text = prometheus::TextSerializer().Serialize(families);
    const std::string problems = svcnat::test::promtool_problems(text);
    if (problems != "skip") {
        EXPECT_EQ(problems, "") << text;
    }
}

TEST(ServiceAndBackend, SplitsTheStatName) {
    EXPECT_EQ(service_and_backend("default/web:http 10.0.0.11:8080"),
              (std::pair<std::string, std::string>{"default/web:http", "10.0.0.11:8080"}));
    EXPECT_EQ(service_and_backend("default/web:http [2001:db8::1]:8080").second, "[2001:db8::1]:8080");
    EXPECT_EQ(service_and_backend("other"), (std::pair<std::string, std::string>{"other", "other"}));
}

}  // namespace
}  // namespace svcnat::dpdk
