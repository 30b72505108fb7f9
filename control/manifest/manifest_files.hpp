// Which entries of a manifest directory are manifests: like `kubectl apply
// -f DIR`, the *.yaml, *.yml and *.json files, not hidden ones (editor swap
// files, the "..data" links of Kubernetes ConfigMap volumes). The loader
// reads these; the file watcher reacts to them.
#pragma once

#include <string_view>

namespace svcnat {

inline bool is_manifest_file_name(std::string_view name) {
    if (name.empty() || name.front() == '.') return false;
    return name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
}

}  // namespace svcnat
