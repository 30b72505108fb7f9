// The UDP conntrack entries a commit makes stale (UDP has no teardown, so
// entries towards a removed endpoint keep steering clients there until they
// time out). Pure; the kernel syncer calls them after each commit.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "control/model/resolved.hpp"
#include "control/model/state_changes.hpp"
#include "nft/netlink/conntrack.hpp"

namespace svcnat::nft {

// UDP entries to delete after committing `after` over `before` (`changes`
// = compare_states(before, after)): replies from endpoints no longer used,
// and flows to service addresses whose service port went away or just got
// its first endpoint (those flows were rejected and their entries would
// black-hole the client).
std::vector<netlink::UdpConntrackTarget> stale_udp_targets(const ServiceState& before, const ServiceState& after,
                                                          const StateChanges& changes);

// For a start without committed state (svcnat restarted, or `sync --once`):
// which existing UDP entries the new ruleset would not have created. An
// entry is stale when it was sent to one of our UDP service addresses and
// is DNATed to an endpoint that is no longer usable for that port, or was
// not DNATed at all (the port had no endpoint then) while it has one now.
// Entries to addresses that are not service addresses are never touched.
class UdpStaleEntries {
public:
    // Keeps a reference to `state`. The index is built on the first
    // is_stale() call, so a cold start with an empty conntrack table pays
    // only for a scan of the ports.
    explicit UdpStaleEntries(const ServiceState& state);
    bool empty() const { return !ipv4_ && !ipv6_; }
    bool has_ipv4() const { return ipv4_; }
    bool has_ipv6() const { return ipv6_; }
    bool is_stale(const netlink::UdpFlow& flow) const;

private:
    using Address = std::pair<IPAddr, uint16_t>;
    void build_index() const;
    const ServiceState& state_;
    mutable bool indexed_ = false;
    mutable std::map<Address, std::set<Address>> frontends_;  // service address:port -> usable endpoints
    bool ipv4_ = false, ipv6_ = false;
};

}  // namespace svcnat::nft
