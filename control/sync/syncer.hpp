// The contract between the control plane (`svcnat sync`, the daemon) and a
// data path that programs service state: hand over the desired state, get
// back what happened, in the model's terms. Kernel mode implements it
// (nft/kernel_syncer.hpp); tests use fakes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "control/model/resolved.hpp"

namespace svcnat {

struct SyncError {
    std::string object;   // service port at fault, e.g. "default/kubia:http" ("" if unknown)
    std::string message;  // the data path's error text, e.g. "File exists: ..."
};

struct SyncReport {
    bool ok = false;
    bool full = false;            // full reconcile (start, after error, periodic, forced)
    std::string full_reason;      // why an incremental sync became full, or ""
    bool sent = false;            // false: nothing changed, nothing was programmed
    double seconds = 0;           // wall time of the whole sync
    size_t service_changes = 0;   // service ports added/removed/modified since last commit
    size_t endpoint_changes = 0;  // endpoints added/removed
    // What the data path did, in its own words, for the log line
    // ("241 netlink messages, 8012345 bytes"); "" when nothing was sent.
    std::string detail;
    std::vector<SyncError> errors;
};

// A loaded state, immutable from then on. The reconciler keeps the last one
// that was programmed, and a data path that needs what it committed (to
// send only what changed) keeps the same object: one copy in memory, however
// many data paths there are.
using SharedState = std::shared_ptr<const ServiceState>;

class Syncer {
public:
    virtual ~Syncer() = default;
    // Programs the difference between what was last committed and `desired`
    // (everything when `full` or after a previous error). Never throws for
    // data-path errors: they come back in the report, and the next sync is full.
    virtual SyncReport sync(const SharedState& desired, bool full) = 0;
    // Removes what this syncer owns (svcnat's tables) and nothing else.
    virtual bool cleanup(std::string* error) = 0;
};

}  // namespace svcnat
