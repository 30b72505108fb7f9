// The gateway as one of the daemon's data paths: each valid state the
// daemon loads becomes a service snapshot that the workers pick up at their
// next burst (Gateway::install: built off the fast path, published with
// RCU). The daemon owns the loop, the manifest cache, reconcile and SIGHUP;
// this only turns a state into a snapshot, and nothing when the service
// ports did not change.
#pragma once

#include "control/sync/syncer.hpp"

namespace svcnat::dpdk {

class Gateway;

class GatewaySyncer final : public Syncer {
public:
    // The gateway outlives syncers (a config reload makes a new syncer).
    explicit GatewaySyncer(Gateway& gw) : gw_(gw) {}

    SyncReport sync(const SharedState& desired, bool full) override;
    // The gateway owns nothing outside the process.
    bool cleanup(std::string*) override { return true; }

private:
    Gateway& gw_;
    SharedState installed_;  // shared with the daemon's reconciler, not a copy
};

}  // namespace svcnat::dpdk
