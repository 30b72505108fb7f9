#include "merge.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace svcnat::manifest {

namespace {

// Reading order: files as loaded, then lines, so that each object's
// problems (including the cross-object ones found last) read top-down.
void sort_diagnostics(LoadResult& result) {
    std::unordered_map<std::string_view, size_t> ranks;
    for (size_t i = 0; i < result.files.size(); ++i) ranks.emplace(result.files[i], i);
    auto file_rank = [&](const std::string& f) {
        auto it = ranks.find(f);
        return it == ranks.end() ? result.files.size() : it->second;
    };
    std::vector<std::pair<size_t, Diagnostic*>> keyed;
    keyed.reserve(result.diagnostics.size());
    for (auto& d : result.diagnostics) keyed.emplace_back(file_rank(d.file), &d);
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return a.second->line < b.second->line;
    });
    std::vector<Diagnostic> sorted;
    sorted.reserve(keyed.size());
    for (auto& [rank, d] : keyed) sorted.push_back(std::move(*d));
    result.diagnostics = std::move(sorted);
}

}  // namespace

LoadResult Merger::finish() {
    cross_check(services_, staged_, service_cidrs_, result.manifests, result.diagnostics);
    sort_diagnostics(result);
    return std::move(result);
}

}  // namespace svcnat::manifest
