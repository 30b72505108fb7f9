// Load-time measurement (not a test): generates N services, each with an
// EndpointSlice of M endpoints, writes them to one temporary file and times
// load_paths on it, next to two baselines on the same text: libyaml's bare
// event parse (the floor) and the document trees alone.
// Usage: bench_load [services=10000] [endpoints=10] [runs=3]
#include <unistd.h>
#include <yaml.h>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "control/manifest/load.hpp"
#include "control/manifest/yaml_tree.hpp"

namespace {

std::string generate(int services, int endpoints) {
    std::string out;
    out.reserve(static_cast<size_t>(services) * (700 + 150 * endpoints));
    for (int i = 0; i < services; ++i) {
        std::string name = "svc-" + std::to_string(i);
        out += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
               "\n  namespace: bench\n  labels:\n    app: " + name + "\nspec:\n  type: ClusterIP\n  clusterIP: 10.96." +
               std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "\n  selector:\n    app: " + name +
               "\n  ports:\n  - name: http\n    protocol: TCP\n    port: 80\n    targetPort: 8080\n";
        out += "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name +
               "-abcde\n  namespace: bench\n  labels:\n    kubernetes.io/service-name: " + name +
               "\naddressType: IPv4\nports:\n- name: http\n  protocol: TCP\n  port: 8080\nendpoints:\n";
        for (int e = 0; e < endpoints; ++e) {
            int n = i * endpoints + e;
            out += "- addresses:\n  - 10." + std::to_string(128 + n / 65536) + "." + std::to_string((n / 256) % 256) +
                   "." + std::to_string(n % 256) + "\n  conditions:\n    ready: true\n  nodeName: node-" +
                   std::to_string(e % 8) + "\n  zone: zone-" + std::to_string(e % 3) + "\n";
        }
    }
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// libyaml's event parser alone: what any libyaml-based loader must pay.
size_t parse_events(const std::string& text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return 0;
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    size_t events = 0;
    yaml_event_t event;
    while (yaml_parser_parse(&parser, &event)) {
        bool end = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        ++events;
        if (end) break;
    }
    yaml_parser_delete(&parser);
    return events;
}

size_t build_trees(const std::string& text) {
    svcnat::yaml::StreamReader reader(text);
    svcnat::yaml::Document doc;
    size_t docs = 0;
    while (reader.next(doc)) ++docs;
    return docs;
}

}  // namespace

int main(int argc, char** argv) {
    int services = argc > 1 ? std::atoi(argv[1]) : 10000;
    int endpoints = argc > 2 ? std::atoi(argv[2]) : 10;
    int runs = argc > 3 ? std::atoi(argv[3]) : 3;
    if (services <= 0 || services > 200000 || endpoints <= 0 || endpoints > 1000 || runs <= 0 || runs > 20) {
        std::fprintf(stderr, "usage: bench_load [services<=200000] [endpoints<=1000] [runs<=20]\n");
        return 2;
    }
    std::string text = generate(services, endpoints);
    auto path = std::filesystem::temp_directory_path() / ("svcnat-bench-load-" + std::to_string(getpid()) + ".yaml");
    std::ofstream(path) << text;
    svcnat::Settings settings;
    double best = 1e9, best_events = 1e9, best_trees = 1e9;
    for (int r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        size_t events = parse_events(text);
        best_events = std::min(best_events, seconds_since(t0));
        auto t1 = std::chrono::steady_clock::now();
        size_t docs = build_trees(text);
        best_trees = std::min(best_trees, seconds_since(t1));
        std::printf("run %d: libyaml events %zu, trees %zu\n", r + 1, events, docs);
    }
    for (int r = 0; r < runs; ++r) {
        auto start = std::chrono::steady_clock::now();
        auto result = svcnat::load_paths({path.string()}, settings);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!result.ok()) {
            std::fprintf(stderr, "unexpected: %s\n", result.diagnostics.front().str().c_str());
            std::filesystem::remove(path);
            return 1;
        }
        best = std::min(best, s);
        std::printf("run %d: %.3f s (%zu services, %zu slices)\n", r + 1, s, result.manifests.services.size(),
                    result.manifests.endpointSlices.size());
    }
    std::filesystem::remove(path);
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("%d services x %d endpoints, %.1f MB (best of %d)\n", services, endpoints, mb, runs);
    std::printf("  libyaml event parse only: %.3f s\n", best_events);
    std::printf("  document trees only:      %.3f s\n", best_trees);
    std::printf("  load_paths (full):        %.3f s, %.1f MB/s\n", best, mb / best);
    return 0;
}
