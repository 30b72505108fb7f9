// Cluster DNS as a data path: a Syncer that turns each desired state's
// discovery view into a new answer table and swaps it into the server, so
// the daemon reloads names and kernel rules in the same step (svcnat run
// --dns-bind-address), or names alone (svcnat dns). A state whose
// discovery view did not change keeps the table (and its SOA serial).
#pragma once

#include <memory>

#include "control/config/settings.hpp"
#include "control/sync/syncer.hpp"
#include "server.hpp"

namespace svcnat::dns {

// The zone's settings for one state: domain, TTL and pod mode from the
// settings; the NS glue is the kube-system/kube-dns Service's ClusterIPs,
// or else the specific (non-wildcard) addresses the server listens on.
ZoneOptions zone_options(const DnsSettings& settings, const DiscoveryState& state, uint32_t serial);

// The server's options from the settings: the bind addresses, the
// upstream, and as many UDP workers as CPUs (at most 4) unless given.
ServerOptions server_options(const DnsSettings& settings);

class DnsSyncer final : public Syncer {
public:
    // The server outlives syncers: the daemon makes a new syncer after a
    // config reload, and the sockets must stay bound across it.
    DnsSyncer(const DnsSettings& settings, std::shared_ptr<Server> server);

    SyncReport sync(const SharedState& desired, bool full) override;
    bool cleanup(std::string*) override { return true; }  // nothing outside the process

private:
    DnsSettings settings_;
    std::shared_ptr<Server> server_;
    uint64_t fingerprint_ = 0;
    bool built_ = false;
    SharedState built_from_;  // the state of the last sync
};

}  // namespace svcnat::dns
