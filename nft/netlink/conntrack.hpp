// Removing stale UDP conntrack entries (libnetfilter_conntrack).
//
// Why: UDP has no connection teardown, so when a service's endpoint goes away
// (or a service port is removed) existing conntrack entries keep steering
// the client's packets to the old DNAT target until they time out; kube-proxy
// deletes them for the same reason. Two kinds of entries are targeted:
//   - by original destination: packets sent to the service address, i.e. the
//     ClusterIP/externalIP/LB VIP:port or NodeIP:NodePort;
//   - by reply source: entries DNATed to an endpoint IP:port (the reply
//     comes from the endpoint).
// Works in the network namespace of the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "control/model/ip.hpp"

namespace svcnat::nft::netlink {

struct UdpConntrackTarget {
    enum class Match : uint8_t {
        OriginalDestination,  // orig dst == address:port (service VIP or NodePort)
        ReplySource,          // reply src == address:port (endpoint after DNAT)
    };
    Match match = Match::OriginalDestination;
    IPAddr address;
    uint16_t port = 0;
};

struct ConntrackDeletion {
    bool ok = false;            // dump worked and every matching entry was deleted (or already gone)
    size_t examined = 0;        // entries seen in the dump(s)
    size_t matched = 0;         // UDP entries matching some target
    size_t deleted = 0;         // entries removed by us
    std::vector<std::string> errors;  // "dump ipv4: ...", "delete 10.96.0.10:53 -> ...: ..."
};

// A UDP entry as a dump shows it: where the client sent the first packet,
// and where replies come from (the endpoint, when the entry was DNATed).
struct UdpFlow {
    IPAddr original_destination;
    uint16_t original_port = 0;
    IPAddr reply_source;
    uint16_t reply_port = 0;
};

// One dump per family asked for; deletes each UDP entry for which `stale`
// returns true. Used where no list of targets exists, e.g. on a start
// without committed state, when entries towards endpoints that went away
// while svcnat was not running must be found by comparison.
ConntrackDeletion delete_udp_conntrack_where(bool ipv4, bool ipv6, const std::function<bool(const UdpFlow&)>& stale);

// One dump per address family present in `targets`; deletes each UDP entry
// matching any target. An entry that vanished between dump and delete
// (ENOENT) counts as neither deleted nor an error.
ConntrackDeletion delete_udp_conntrack(std::span<const UdpConntrackTarget> targets);

}  // namespace svcnat::nft::netlink
