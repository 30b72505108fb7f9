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
#include <span>
#include <string>
#include <vector>

#include "control/model/ip.hpp"

namespace svcnat::nftnet {

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

// One dump per address family present in `targets`; deletes each UDP entry
// matching any target. An entry that vanished between dump and delete
// (ENOENT) counts as neither deleted nor an error.
ConntrackDeletion delete_udp_conntrack(std::span<const UdpConntrackTarget> targets);

}  // namespace svcnat::nftnet
