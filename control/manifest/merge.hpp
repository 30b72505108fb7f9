// The files' objects joined in reading order (so "the first object wins"
// keeps meaning first in file order), then the cross-object checks, and the
// diagnostics sorted as a reader reads: file by file, top-down.
#pragma once

#include <string>
#include <vector>

#include "decode_file.hpp"
#include "load.hpp"

namespace svcnat::manifest {

// Files owned by this load are moved from; cached ones are copied.
class Merger {
public:
    // `service_cidrs`: the configured ranges (--service-cidr); ServiceCIDR
    // objects among the files add theirs.
    explicit Merger(std::vector<CIDR> service_cidrs) : service_cidrs_(std::move(service_cidrs)) {}

    void add(const std::string& file, ParsedFile& f, bool owned) {
        if (f.readable) result.files.push_back(file);
        take(result.diagnostics, f.diagnostics, owned);
        take(services_, f.services, owned);
        for_each_object_list([&](auto list) { take(staged_.*list, f.staged.*list, owned); });
    }
    void add_error(Diagnostic d) { result.diagnostics.push_back(std::move(d)); }
    LoadResult finish();

private:
    template <class T>
    static void take(std::vector<T>& to, std::vector<T>& from, bool owned) {
        if (owned && to.empty()) to = std::move(from);
        else if (owned) to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
        else to.insert(to.end(), from.begin(), from.end());
    }
    std::vector<CIDR> service_cidrs_;
    LoadResult result;
    std::vector<manifest::StagedService> services_;
    Manifests staged_;
};

}  // namespace svcnat::manifest
