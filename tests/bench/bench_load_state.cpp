// Stage timings of load_state() (not a test): load_paths, allocate, resolve,
// each timed separately over a manifest directory, plus the daemon's cached
// reload (ManifestCache) unchanged and after one file was touched.
// Usage: bench_load_state [runs=3] PATH...
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "control/manifest/load.hpp"
#include "control/model/allocate.hpp"
#include "control/model/resolve.hpp"
#include "control/state/state.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    using namespace svcnat;
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_load_state RUNS PATH...\n");
        return 2;
    }
    const int runs = std::max(1, std::atoi(argv[1]));
    Settings settings;
    settings.node_name = "node-a";
    for (int i = 2; i < argc; ++i) settings.manifests.push_back(argv[i]);
    std::vector<double> load, alloc, res, total, cached_same, cached_one;
    for (int r = 0; r < runs; ++r) {
        auto t = Clock::now();
        auto loaded = load_paths(settings.manifests, settings);
        load.push_back(ms_since(t));
        auto t1 = Clock::now();
        AllocationOptions ao;
        ao.service_cidrs = settings.service_cidrs;
        allocate(loaded.manifests, ao, loaded.diagnostics);
        alloc.push_back(ms_since(t1));
        if (!loaded.ok()) {
            for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
            return 1;
        }
        auto t2 = Clock::now();
        ServiceState state = resolve(loaded.manifests, node_info(settings, loaded.manifests), &loaded.diagnostics);
        res.push_back(ms_since(t2));
        total.push_back(ms_since(t));
        if (r == 0)
            std::printf("%zu services, %zu slices, %zu files, %zu ports\n", loaded.manifests.services.size(),
                        loaded.manifests.endpointSlices.size(), loaded.files.size(), state.ports.size());
    }
    std::printf("load_paths %.1f ms, allocate %.1f ms, resolve %.1f ms, total %.1f ms (median of %d)\n", median(load),
                median(alloc), median(res), median(total), runs);
    ManifestCache cache;
    auto first = load_state(settings, &cache);
    size_t decoded = first.load.files_decoded;
    for (int r = 0; r < runs; ++r) {
        auto t = Clock::now();
        auto again = load_state(settings, &cache);
        cached_same.push_back(ms_since(t));
        // Touch the first file read (new mtime): only it is parsed again.
        const std::string& f = first.load.files.front();
        struct timeval tv[2];
        gettimeofday(&tv[0], nullptr);
        tv[0].tv_sec += r + 1;
        tv[1] = tv[0];
        utimes(f.c_str(), tv);
        t = Clock::now();
        auto one = load_state(settings, &cache);
        cached_one.push_back(ms_since(t));
        if (!one.ok()) return 1;
        decoded += again.load.files_decoded + one.load.files_decoded;
    }
    std::printf("cached load_state: nothing changed %.1f ms, one file touched %.1f ms (median of %d; %zu files parsed)\n",
                median(cached_same), median(cached_one), runs, decoded);
    return 0;
}
