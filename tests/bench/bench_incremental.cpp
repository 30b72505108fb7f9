// Incremental sync benchmark (not a test): loads S x E manifests, does a cold
// sync through the real Syncer, then times single changes end to end, from
// the changed ServiceState to the committed kernel state:
//   add-endpoint (N -> N+1 endpoints), remove-endpoint (back to N),
//   replace-endpoint (a pod replaced: one address changes, N stays),
//   add-service, remove-service (E endpoints), no-op (nothing is sent).
// Run as root inside a network namespace of its own; scripts/bench-sync does:
//   ip netns exec NS bench_incremental --node-name node-a
//      --cluster-cidr 10.128.0.0/10 --node-ip 203.0.113.1 [--runs N] DIR
// Prints one line per operation: median and minimum in ms, and the netlink
// messages and bytes of the batch (0 for the no-op: nothing is sent).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/model/allocate.hpp"
#include "control/model/resolve.hpp"
#include "control/state/state.hpp"
#include "nft/kernel_syncer.hpp"

namespace svcnat {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Peak resident set so far (VmHWM), in MiB.
double peak_rss_mib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    return 0;
}

struct Sample {
    double ms = 0;
    SyncReport report;
    nft::KernelSyncStats stats;
};

struct Op {
    std::string name;
    std::vector<Sample> samples;
};

IPAddr nth_ip(uint32_t base, uint32_t n) {
    std::string s = std::to_string((base >> 24) & 255) + "." + std::to_string(((base >> 16) + (n >> 16)) & 255) + "." +
                    std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255);
    return *IPAddr::parse(s);
}

ResolvedEndpoint new_endpoint(uint32_t n, uint16_t port) {
    ResolvedEndpoint e;
    e.ip = nth_ip(0x0AC80000u, n);  // 10.200.x.y: outside the generator's pod range
    e.port = port;
    e.nodeName = "node-bench";
    return e;
}

// Keeps the invariants resolve() gives: endpoints sorted by (ip, port),
// ports sorted by (ns, name, portName, protocol, port).
void insert_sorted(std::vector<ResolvedEndpoint>& eps, const ResolvedEndpoint& e) {
    auto it = std::lower_bound(eps.begin(), eps.end(), e, [](const auto& a, const auto& b) {
        return std::tie(a.ip, a.port) < std::tie(b.ip, b.port);
    });
    eps.insert(it, e);
}

void insert_sorted(std::vector<ResolvedServicePort>& ports, ResolvedServicePort sp) {
    auto key = [](const ResolvedServicePort& p) { return std::tie(p.ns, p.name, p.portName, p.protocol, p.port); };
    auto it = std::lower_bound(ports.begin(), ports.end(), sp, [&](const auto& a, const auto& b) { return key(a) < key(b); });
    ports.insert(it, std::move(sp));
}

void print_op(const Op& op) {
    std::vector<double> v;
    for (const auto& s : op.samples) v.push_back(s.ms);
    std::sort(v.begin(), v.end());
    const double median = v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
    size_t sent = 0, messages = 0, bytes = 0, full = 0, failed = 0;
    double plan = 0, encode = 0, kernel = 0;
    for (const auto& s : op.samples) {
        sent += s.report.sent;
        messages = std::max(messages, s.stats.messages);
        bytes = std::max(bytes, s.stats.bytes);
        full += s.report.full;
        failed += !s.report.ok;
        plan += s.stats.plan_seconds * 1000;
        encode += s.stats.encode_seconds * 1000;
        kernel += s.stats.kernel_seconds * 1000;
    }
    const double n = static_cast<double>(std::max<size_t>(op.samples.size(), 1));
    std::printf("  %-16s %4zu %9.2f %8.2f   %7zu %9zu %6zu   %6.2f %6.2f %6.2f%s%s\n", op.name.c_str(), op.samples.size(),
                median, v.empty() ? 0 : v.front(), messages, bytes, sent, plan / n, encode / n, kernel / n,
                full ? "  FULL SYNCS!" : "", failed ? "  FAILED!" : "");
}

int run(int argc, char** argv) {
    po::options_description extra("benchmark options");
    extra.add_options()("runs", po::value<int>()->default_value(15), "repetitions per operation");
    ParsedCommand cmd;
    try {
        cmd = parse_command_line(argc, argv, extra, "bench_incremental [options] MANIFEST_DIR...");
    } catch (const ConfigError& e) {
        std::cerr << "bench_incremental: " << e.what() << "\n";
        return 2;
    }
    if (cmd.help) {
        std::cout << cmd.help_text;
        return 0;
    }
    const int runs = std::max(1, cmd.extra.at("runs").as<int>());
    const Settings& settings = cmd.settings;

    // Cold: the phases of load_state(), then the first (full) sync.
    auto t = Clock::now();
    auto loaded = load_paths(settings.manifests, settings);
    const double load_ms = ms_since(t);
    t = Clock::now();
    AllocationOptions alloc;
    alloc.service_cidrs = settings.service_cidrs;
    alloc.node_port_first = settings.node_port_range.first;
    alloc.node_port_last = settings.node_port_range.last;
    allocate(loaded.manifests, alloc, loaded.diagnostics);
    if (!loaded.ok()) {
        for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
        return 1;
    }
    ServiceState state = resolve(loaded.manifests, node_info(settings, loaded.manifests), &loaded.diagnostics);
    const double resolve_ms = ms_since(t);
    loaded = {};  // the daemon keeps the state, not the objects
    auto syncer = nft::make_kernel_syncer(settings);
    t = Clock::now();
    auto cold = syncer->sync(std::make_shared<const ServiceState>(state), true);
    const double cold_ms = ms_since(t);
    if (!cold.ok) {
        for (const auto& e : cold.errors) std::cerr << e.object << ": " << e.message << "\n";
        return 1;
    }
    size_t endpoints = 0;
    for (const auto& sp : state.ports) endpoints += sp.endpoints.size();
    std::printf("incremental sync at %zu service ports, %zu endpoints (svcnat Syncer, end to end: changed state -> committed)\n",
                state.ports.size(), endpoints);
    std::printf("cold: load %.0f ms, allocate+resolve %.0f ms, sync %.0f ms (plan %.0f, encode %.0f, kernel %.0f), "
                "%zu messages, %zu bytes; peak RSS %.0f MiB\n",
                load_ms, resolve_ms, cold_ms, syncer->last_stats().plan_seconds * 1000,
                syncer->last_stats().encode_seconds * 1000, syncer->last_stats().kernel_seconds * 1000,
                syncer->last_stats().messages, syncer->last_stats().bytes, peak_rss_mib());
    if (state.ports.empty()) return 0;

    auto timed = [&](Op& op) {
        // The daemon hands each sync a freshly loaded state (shared with
        // the syncer, which keeps it): copy outside the timed part.
        auto next = std::make_shared<const ServiceState>(state);
        auto start = Clock::now();
        auto r = syncer->sync(next, false);
        op.samples.push_back({ms_since(start), r, syncer->last_stats()});
        if (!r.ok)
            for (const auto& e : r.errors) std::cerr << op.name << ": " << e.object << ": " << e.message << "\n";
    };
    Op add_ep{"add-endpoint", {}}, del_ep{"remove-endpoint", {}}, replace_ep{"replace-endpoint", {}}, add_svc{"add-service", {}}, del_svc{"remove-service", {}},
        noop{"no-op", {}};
    const size_t eps_per_service = std::max<size_t>(1, endpoints / state.ports.size());
    for (int r = 0; r < runs; ++r) {
        // One endpoint more, then the same one less, on a different port each round.
        auto& sp = state.ports[(static_cast<size_t>(r) * 7919) % state.ports.size()];
        const auto ep = new_endpoint(static_cast<uint32_t>(r), sp.endpoints.empty() ? 8080 : sp.endpoints[0].port);
        insert_sorted(sp.endpoints, ep);
        timed(add_ep);
        std::erase(sp.endpoints, ep);
        timed(del_ep);
        // A pod replaced: one endpoint's address changes, the count stays.
        auto& rp = state.ports[(static_cast<size_t>(r) * 7919 + 17) % state.ports.size()];
        if (!rp.endpoints.empty()) {
            auto moved = rp.endpoints.back();
            rp.endpoints.pop_back();
            moved.ip = nth_ip(0x0AC80000u, 50000 + static_cast<uint32_t>(r));
            insert_sorted(rp.endpoints, moved);
            timed(replace_ep);
        }

        // A new ClusterIP service with E endpoints, then gone again.
        ResolvedServicePort svc;
        svc.ns = "bench-new";
        svc.name = "svc-" + std::to_string(r);
        svc.portName = "http";
        svc.port = 80;
        svc.clusterIPs = {nth_ip(0x0A640000u, static_cast<uint32_t>(r) + 1)};  // 10.100.x.y
        for (size_t i = 0; i < eps_per_service; ++i)
            insert_sorted(svc.endpoints, new_endpoint(static_cast<uint32_t>(100000 + r * 1000 + i), 8080));
        insert_sorted(state.ports, svc);
        timed(add_svc);
        std::erase_if(state.ports, [&](const auto& p) { return p.ns == svc.ns && p.name == svc.name; });
        timed(del_svc);

        timed(noop);
    }
    std::printf("  %-16s %4s %9s %8s   %7s %9s %6s   %6s %6s %6s\n", "operation", "runs", "median ms", "min ms",
                "messages", "bytes", "sent", "plan", "encode", "kernel");
    for (const Op* op : {&add_ep, &del_ep, &replace_ep, &add_svc, &del_svc, &noop}) print_op(*op);
    std::printf("  (messages/bytes: largest batch of the runs; sent: runs that sent a batch; plan/encode/kernel: mean ms)\n");
    std::printf("peak RSS %.0f MiB\n", peak_rss_mib());
    return 0;
}

}  // namespace
}  // namespace svcnat

int main(int argc, char** argv) { return svcnat::run(argc, argv); }
