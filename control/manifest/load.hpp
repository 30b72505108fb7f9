// Reading manifests: YAML (multi-document, libyaml event API) and JSON files,
// whole directories, `kind: List`. Returns the objects and every problem
// found, each with file and line.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/diagnostic.hpp"
#include "control/model/objects.hpp"

namespace svcnat {

struct LoadResult {
    // Only objects without errors (the API server would have refused the
    // others); for conflicts between objects the first in file order stays.
    Manifests manifests;
    std::vector<Diagnostic> diagnostics;  // errors, warnings and notices (skipped kinds)
    std::vector<std::string> files;       // files read, in order
    // Of those, the ones decoded by this load; the others came unchanged
    // from the daemon's cache (the reload log says how many).
    size_t files_decoded = 0;
    bool ok() const { return !has_errors(diagnostics); }
};

// Parse one buffer (file name used in messages only).
LoadResult load_text(std::string_view text, const std::string& file_name, const Settings& settings);

// The daemon's memory of decoded files between reloads: a file whose device,
// inode, size, mtime and ctime are unchanged is not read again, so that a
// reload after one file changed costs that file plus the cross-object checks
// (at 10,000 services, ms instead of a 0.5 s re-parse of everything). Files no
// longer found drop their objects; unreadable files are never cached. Errors
// read from the cache are the ones the file gave when it was decoded, so they
// keep their exact `file:line: field: message`. Not thread-safe: one loader.
class ManifestCache {
public:
    ManifestCache();
    ~ManifestCache();
    ManifestCache(const ManifestCache&) = delete;
    ManifestCache& operator=(const ManifestCache&) = delete;

    void clear();

    // True when `settings` are those of the last load_state() through this
    // cache that gave a valid state, and no file it read has changed,
    // appeared or gone since (a stat per file, a listing per directory):
    // loading again would give the same state. The daemon's periodic
    // reconcile then skips the load (10,000 services: ~0.2 s of CPU).
    bool unchanged(const Settings& settings) const;
    void remember_valid(const Settings& settings);  // by load_state(), after a valid load
    void forget_valid();

    struct Impl;

private:
    friend LoadResult load_paths(const std::vector<std::string>&, const Settings&, ManifestCache*);
    std::unique_ptr<Impl> impl_;
};

// Read files and directories (directories: *.yaml, *.yml, *.json, sorted by name,
// skipping hidden entries). Validates as the API server does, including
// cross-object checks on the values given (duplicate names, ClusterIPs,
// NodePorts). Does not allocate: load_state() (control/state) calls
// allocate() afterwards. Files are decoded in parallel (up to one thread per
// core); results and diagnostics come out in reading order regardless.
// With a cache, unchanged files are taken from it (see ManifestCache).
LoadResult load_paths(const std::vector<std::string>& paths, const Settings& settings,
                      ManifestCache* cache = nullptr);

}  // namespace svcnat
