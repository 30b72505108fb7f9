// Kernel mode's Syncer: keeps the kernel's svcnat tables equal to the model,
// one nf_tables transaction per sync, through the netlink transport in
// nft/netlink/ (libnftnl + libmnl). Never runs `nft`.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "control/config/settings.hpp"
#include "control/model/resolved.hpp"
#include "control/sync/syncer.hpp"
#include "nft/change_planner.hpp"
#include "nft/ruleset.hpp"

namespace svcnat::nft {

namespace netlink {
class NetlinkSocket;
class Batch;
struct BatchResult;
}  // namespace netlink

// What a kernel syncer remembers after a commit. `Incremental` (the daemon)
// keeps the committed state (shared with the reconciler, not a copy) and
// the per-port counts that make the next change cost only what changed.
// `OneShot` (`sync --once`) will make no next sync worth the wait: at 10,000
// services the counts take ~0.1 s after the kernel has already committed. A
// later sync on a one-shot syncer still works, by rebuilding and diffing.
enum class SyncerMode { Incremental, OneShot };

// What the last sync sent and where its time went: the parts of
// SyncReport::seconds that only kernel mode has.
struct KernelSyncStats {
    size_t messages = 0;        // netlink messages in the batch (0: none sent)
    size_t bytes = 0;           // bytes sent
    double plan_seconds = 0;    // working out the change (build + diff, or per-port fragments)
    double encode_seconds = 0;  // writing the batch
    double kernel_seconds = 0;  // sendmsg through the last reply
    std::string planner_declined;  // why the change planner left the change to rebuild + diff, or ""
};

class KernelSyncer final : public Syncer {
public:
    KernelSyncer(const Settings& settings, SyncerMode mode);
    ~KernelSyncer() override;

    SyncReport sync(const SharedState& desired, bool full) override;
    bool cleanup(std::string* error) override;

    const KernelSyncStats& last_stats() const { return stats_; }

private:
    using Clock = std::chrono::steady_clock;
    SyncReport sync_changed_ports(ChangePlanner::Plan& plan, const SharedState& desired, Clock::time_point start);
    SyncReport sync_rebuilt(const SharedState& desired, bool full, std::string full_reason, Clock::time_point start);
    SyncReport unchanged(Clock::time_point start);
    bool commit(netlink::Batch& batch, SyncReport& report, Clock::time_point encode_start);
    void remember(std::unique_ptr<Ruleset> ruleset, const SharedState& desired);
    void forget_stale_udp(const ServiceState& desired, SyncReport& report);
    netlink::NetlinkSocket& socket();

    Settings settings_;
    SyncerMode mode_;
    std::unique_ptr<netlink::NetlinkSocket> socket_;
    std::unique_ptr<Ruleset> committed_;             // the ruleset the kernel holds
    SharedState committed_state_;                    // the state it was built from (Incremental mode)
    bool need_full_ = true;
    ChangePlanner planner_;
    KernelSyncStats stats_;
};

inline std::unique_ptr<KernelSyncer> make_kernel_syncer(const Settings& settings,
                                                        SyncerMode mode = SyncerMode::Incremental) {
    return std::make_unique<KernelSyncer>(settings, mode);
}

}  // namespace svcnat::nft
