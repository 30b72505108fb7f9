// Several data paths fed the same state in one step (kernel rules and DNS
// answers under `svcnat run --dns-bind-address`): each is synced in turn,
// and their reports are merged, so the daemon logs and counts one sync.
#pragma once

#include <memory>
#include <vector>

#include "syncer.hpp"

namespace svcnat {

class SyncerSet final : public Syncer {
public:
    explicit SyncerSet(std::vector<std::unique_ptr<Syncer>> parts) : parts_(std::move(parts)) {}

    SyncReport sync(const SharedState& desired, bool full) override {
        SyncReport merged;
        merged.ok = true;
        for (auto& p : parts_) {
            SyncReport r = p->sync(desired, full);
            merged.ok = merged.ok && r.ok;
            merged.full = merged.full || r.full;
            if (!r.full_reason.empty()) merged.full_reason += (merged.full_reason.empty() ? "" : "; ") + r.full_reason;
            merged.sent = merged.sent || r.sent;
            merged.seconds += r.seconds;
            // The first data path (the kernel's) counts service and endpoint changes.
            if (&p == &parts_.front()) {
                merged.service_changes = r.service_changes;
                merged.endpoint_changes = r.endpoint_changes;
            }
            if (!r.detail.empty()) merged.detail += (merged.detail.empty() ? "" : "; ") + r.detail;
            merged.errors.insert(merged.errors.end(), r.errors.begin(), r.errors.end());
        }
        return merged;
    }

    bool cleanup(std::string* error) override {
        bool ok = true;
        for (auto& p : parts_) ok = p->cleanup(error) && ok;
        return ok;
    }

private:
    std::vector<std::unique_ptr<Syncer>> parts_;
};

}  // namespace svcnat
