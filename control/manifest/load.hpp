// Reading manifests: YAML (multi-document, libyaml event API) and JSON files,
// whole directories, `kind: List`. Returns the objects and every problem
// found, each with file and line.
#pragma once

#include <string>
#include <vector>

#include "../config/settings.hpp"
#include "../model/diagnostic.hpp"
#include "../model/objects.hpp"

namespace svcnat {

struct LoadResult {
    // Only objects without errors (the API server would have refused the
    // others); for conflicts between objects the first in file order stays.
    Manifests manifests;
    std::vector<Diagnostic> diagnostics;  // errors, warnings and notices (skipped kinds)
    std::vector<std::string> files;       // files read, in order
    bool ok() const { return !has_errors(diagnostics); }
};

// Parse one buffer (file name used in messages only).
LoadResult load_text(std::string_view text, const std::string& file_name, const Settings& settings);

// Read files and directories (directories: *.yaml, *.yml, *.json, sorted by name,
// skipping hidden entries). Validates as the API server does, including
// cross-object checks on the values given (duplicate names, ClusterIPs,
// NodePorts). Does not allocate: load_state() (control/state) calls
// allocate() afterwards.
LoadResult load_paths(const std::vector<std::string>& paths, const Settings& settings);

}  // namespace svcnat
