#include "gateway_syncer.hpp"

#include <chrono>

#include "control/model/state_changes.hpp"
#include "gateway.hpp"

namespace svcnat::dpdk {

namespace {

size_t count_vips(const ServiceState& s) {
    size_t n = 0;
    for (const auto& p : s.ports) n += p.loadBalancerIPs.size() + p.externalIPs.size();
    return n;
}

}  // namespace

SyncReport GatewaySyncer::sync(const SharedState& desired, bool full) {
    const auto start = std::chrono::steady_clock::now();
    SyncReport report;
    report.full = full || !installed_;
    const StateChanges changes = compare_states(installed_ ? *installed_ : ServiceState{}, *desired);
    report.service_changes = changes.service_port_changes();
    report.endpoint_changes = changes.endpoint_changes;
    // The snapshot depends on the service ports only, and lives in this
    // process: nothing outside can drift from it, so a full reconcile
    // (periodic, SIGHUP) that finds the ports unchanged leaves it alone.
    // Rebuilding would cost every Maglev table (≈5 ms each at M = 65537).
    // After a failed install, installed_ is empty: the next sync installs.
    if (installed_ && changes.empty()) {
        report.ok = true;
        installed_ = desired;
        return report;
    }
    std::string error;
    report.sent = true;
    if (!gw_.install(*desired, &error)) {
        report.errors.push_back({"", "service snapshot: " + error});
        installed_.reset();  // the next sync installs whatever it gets
    } else {
        report.ok = true;
        installed_ = desired;
        report.detail = std::to_string(count_vips(*desired)) + " VIP addresses of " +
                        std::to_string(desired->ports.size()) + " service ports, snapshot " +
                        std::to_string(gw_.reloads());
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace svcnat::dpdk
