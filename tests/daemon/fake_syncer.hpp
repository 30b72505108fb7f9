// A Syncer that programs a pretend kernel: the committed state is replaced
// only when a sync succeeds, like the real netlink batch (all or nothing).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "control/sync/syncer.hpp"

namespace svcnat::test {

struct FakeKernel {
    std::mutex mu;
    std::optional<ServiceState> committed;
    std::vector<bool> full_flags;  // one per sync call
    int fail_next = 0;             // syncs to fail before succeeding again
    bool cleaned_up = false;
    int syncers_made = 0;

    std::optional<ServiceState> snapshot() {
        std::lock_guard l(mu);
        return committed;
    }
    size_t calls() {
        std::lock_guard l(mu);
        return full_flags.size();
    }
};

class FakeSyncer : public Syncer {
public:
    explicit FakeSyncer(std::shared_ptr<FakeKernel> k) : k_(std::move(k)) {}
    SyncReport sync(const SharedState& desired_state, bool full) override {
        const ServiceState& desired = *desired_state;
        std::lock_guard l(k_->mu);
        SyncReport r;
        r.full = full || first_;
        k_->full_flags.push_back(r.full);
        r.seconds = 0.002;
        if (k_->fail_next > 0) {
            --k_->fail_next;
            r.errors = {{"default/web:http", "Operation not permitted"}};
            return r;
        }
        first_ = false;
        r.ok = true;
        r.sent = !k_->committed || !(k_->committed->ports == desired.ports) || r.full;
        r.detail = std::to_string(desired.ports.size() * 3) + " pretend messages";
        r.service_changes = k_->committed ? 0 : desired.ports.size();
        k_->committed = desired;
        return r;
    }
    bool cleanup(std::string*) override {
        std::lock_guard l(k_->mu);
        k_->committed.reset();
        k_->cleaned_up = true;
        return true;
    }

private:
    std::shared_ptr<FakeKernel> k_;
    bool first_ = true;
};

}  // namespace svcnat::test
