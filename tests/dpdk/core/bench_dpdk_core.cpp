// Per-packet cost of the pure gateway core (Google Benchmark):
// `build/tests/dpdk/core/bench_dpdk_core`. Not a test: numbers for GATEWAY.md.
#include <benchmark/benchmark.h>

#include <random>

#include "control/lb/maglev.hpp"
#include "dpdk/core/nat.hpp"
#include "dpdk/core/parse.hpp"
#include "dpdk/core/service_table.hpp"
#include "dpdk/core/snat_pool.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

std::vector<uint8_t> sample_frame(size_t payload) {
    test::FrameSpec s;
    s.tcp_flags = kTcpAck | kTcpPsh;
    s.payload.assign(payload, 0x5a);
    return test::build_ipv4(s);
}

void BM_Parse(benchmark::State& st) {
    const auto f = sample_frame(static_cast<size_t>(st.range(0)));
    for (auto _ : st) {
        auto r = parse_frame(std::span<const uint8_t>(f));
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_Parse)->Arg(0)->Arg(1400);

void BM_FullNatRewrite(benchmark::State& st) {
    auto f = sample_frame(static_cast<size_t>(st.range(0)));
    auto p = parse_frame(std::span<const uint8_t>(f)).pkt;
    const Ipv4Tuple a{p.src_ip4, p.dst_ip4, p.src_port, p.dst_port};
    const Ipv4Tuple b{test::raw32(0x0a000001), test::raw32(0x0af40001), test::raw16(1024), test::raw16(8080)};
    bool flip = false;
    for (auto _ : st) {
        rewrite_tuple(std::span<uint8_t>(f), p, flip ? a : b);
        flip = !flip;
        benchmark::DoNotOptimize(f.data());
    }
}
BENCHMARK(BM_FullNatRewrite)->Arg(0)->Arg(1400);

void BM_FlowHashAndMaglevLookup(benchmark::State& st) {
    std::vector<lb::MaglevBackend> b;
    for (int i = 0; i < st.range(0); ++i) b.push_back({"10.244.0." + std::to_string(i) + ":80", 1});
    const auto t = lb::MaglevTable::build(b);
    std::mt19937 rng(1);
    std::vector<FlowKey4> keys(4096);
    for (auto& k : keys) k = make_flow_key4(static_cast<uint32_t>(rng()), 1, static_cast<uint16_t>(rng()), 80, kProtoTcp);
    size_t i = 0;
    for (auto _ : st) {
        benchmark::DoNotOptimize(t.lookup(flow_hash(keys[i++ & 4095])));
    }
}
BENCHMARK(BM_FlowHashAndMaglevLookup)->Arg(10)->Arg(1000);

void BM_MaglevBuild(benchmark::State& st) {
    std::vector<lb::MaglevBackend> b;
    for (int i = 0; i < st.range(0); ++i) b.push_back({"10.244." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":80", 1});
    for (auto _ : st) benchmark::DoNotOptimize(lb::MaglevTable::build(b));
}
BENCHMARK(BM_MaglevBuild)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_SnatAllocateRelease(benchmark::State& st) {
    SnatPool4::Config c;
    c.addrs = {test::raw32(0x0a000001), test::raw32(0x0a000002)};
    c.n_lcores = 4;
    SnatPool4 pool(c);
    for (auto _ : st) {
        auto l = pool.allocate(2);
        pool.release(2, *l);
    }
}
BENCHMARK(BM_SnatAllocateRelease);


}  // namespace
}  // namespace svcnat::dpdk

BENCHMARK_MAIN();
