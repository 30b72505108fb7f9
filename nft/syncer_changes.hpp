// What changed between two ServiceStates, in the terms a sync reports and
// acts on: counts for SyncReport, and the UDP conntrack entries to forget.
// Pure functions; the syncer calls them around each commit.
#pragma once

#include <cstddef>
#include <vector>

#include "../control/model/resolved.hpp"
#include "netlink/conntrack.hpp"

namespace svcnat::nft {

struct ChangeCounts {
    size_t service_ports = 0;  // added + removed + modified
    size_t endpoints = 0;      // endpoints added + removed (by ip:port, per service port)
};

// `before` may be null (nothing committed yet: everything is new).
ChangeCounts count_changes(const ServiceState* before, const ServiceState& after);

// Service ports with a Local traffic policy and no usable local endpoint.
size_t count_no_local_endpoints(const ServiceState& s);

// UDP entries to delete after committing `after` over `before`: replies
// from endpoints no longer used, and flows to service addresses whose
// service port went away or just got its first endpoint (those flows were
// rejected and their entries would black-hole the client).
std::vector<nftnet::UdpConntrackTarget> stale_udp_targets(const ServiceState& before, const ServiceState& after);

}  // namespace svcnat::nft
