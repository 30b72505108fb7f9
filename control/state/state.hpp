// From settings to desired state in one call: load the manifests, validate,
// allocate, work out this node's identity, resolve endpoints. Used by every
// subcommand and by the daemon on each (re)load.
#pragma once

#include "control/config/settings.hpp"
#include "control/manifest/load.hpp"
#include "control/model/resolved.hpp"

namespace svcnat {

struct StateResult {
    LoadResult load;     // objects + diagnostics (errors, warnings, notices)
    ServiceState state;  // valid only when load.ok()
    // Nothing was loaded: the cache says settings and files are those of
    // the last valid load (ManifestCache::unchanged), whose state stands.
    bool unchanged = false;
    bool ok() const { return load.ok(); }
};

// Node identity: --node-name (default host name); IPs from --node-ip, else the
// Node object of that name (InternalIP first), else none.
NodeInfo node_info(const Settings& settings, const Manifests& manifests);

// `cache` (the daemon's): decoded files kept between calls, see
// ManifestCache; with nothing changed since the last valid load, the
// result is only `unchanged`.
StateResult load_state(const Settings& settings, ManifestCache* cache = nullptr);

}  // namespace svcnat
