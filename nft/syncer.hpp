// The contract between kernel mode and its callers (`svcnat sync`, the daemon,
// benchmarks): hand over the desired state, get back what happened.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "../control/config/settings.hpp"
#include "../control/model/resolved.hpp"

namespace svcnat {

struct SyncError {
    std::string object;   // service port or endpoint at fault, e.g. "default/kubia:http" ("" if unknown)
    std::string message;  // kernel error text (errno and extended ack), e.g. "File exists: ..."
};

struct SyncReport {
    bool ok = false;
    bool full = false;            // full reconcile (start, after error, periodic, forced)
    std::string full_reason;      // why an incremental sync became full (e.g. a set outgrew its size), or ""
    bool sent = false;            // false: nothing changed, no batch sent
    double seconds = 0;           // wall time of the whole sync
    // Where the time went (parts of `seconds`): working out the change
    // (build + diff, or per-port fragments), encoding the batch, and the
    // kernel (sendmsg through the last reply).
    double plan_seconds = 0;
    double encode_seconds = 0;
    double kernel_seconds = 0;
    size_t messages = 0;          // netlink messages in the batch
    size_t bytes = 0;             // bytes sent
    size_t service_changes = 0;   // service ports added/removed/modified since last commit
    size_t endpoint_changes = 0;  // endpoints added/removed
    size_t no_local_endpoints = 0;  // eTP/iTP Local service ports with no local endpoint
    std::vector<SyncError> errors;
};

class Syncer {
public:
    virtual ~Syncer() = default;
    // Programs the difference between what was last committed and `desired`
    // (everything when `full` or after a previous error). Never throws for
    // kernel errors: they come back in the report, and the next sync is full.
    virtual SyncReport sync(const ServiceState& desired, bool full) = 0;
    // Removes svcnat's tables (and nothing else).
    virtual bool cleanup(std::string* error) = 0;
};

// What a syncer remembers after a commit. `Incremental` (the daemon) keeps
// a copy of the committed state and the per-port index that makes the next
// change cost only what changed. `OneShot` (`sync --once`) will make no next
// sync worth the wait: at 10,000 services the copy and the index take ~0.1 s
// and ~20 MB after the kernel has already committed. A later sync on a
// one-shot syncer still works, by rebuilding and diffing.
enum class SyncerMode { Incremental, OneShot };

// The netlink implementation (libnftnl + libmnl) in the current network namespace.
std::unique_ptr<Syncer> make_nft_syncer(const Settings& settings, SyncerMode mode);
inline std::unique_ptr<Syncer> make_nft_syncer(const Settings& settings) {
    return make_nft_syncer(settings, SyncerMode::Incremental);
}

}  // namespace svcnat
