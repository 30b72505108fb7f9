// The gateway's view of the Services it fronts: VIP:port/proto → backends and
// their Maglev table, as one immutable snapshot.
//
// Built off the fast path (control thread) from svcnat's resolved model:
// every loadBalancerIP and externalIP of a ResolvedServicePort becomes a VIP
// with the port's usable endpoints (kube-proxy's rule: ready, else
// serving+terminating) as weight-1 backends. All VIPs of one service port
// share one Maglev table.
//
// Publication (read-copy-update): the snapshot never changes after build().
// The gateway keeps an std::atomic<const ServiceSnapshot*> (or a plain pointer
// read with __atomic_load_n acquire) that lcores read once per burst. To
// reload: build the new snapshot, store the pointer (release), then call
// rte_rcu_qsbr_synchronize() (or poll rte_rcu_qsbr_check with a token from
// rte_rcu_qsbr_start) on a QSBR variable for which every forwarding lcore
// reports rte_rcu_qsbr_quiescent() once per loop iteration after finishing
// its burst; only then free the old snapshot. Flow entries copy the
// backend's address and port, never pointers into a snapshot, so existing
// flows are unaffected by a swap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/lb/maglev.hpp"
#include "control/model/resolved.hpp"
#include "flow_key.hpp"

namespace svcnat::dpdk {

struct ServiceKey4 {
    uint32_t vip;    // network order
    uint16_t port;   // network order
    uint8_t proto;   // kProtoTcp / kProtoUdp
    uint8_t pad;     // always zero
    bool operator==(const ServiceKey4&) const = default;
};
static_assert(sizeof(ServiceKey4) == 8);
static_assert(std::has_unique_object_representations_v<ServiceKey4>);

inline ServiceKey4 make_service_key4(uint32_t vip, uint16_t port, uint8_t proto) noexcept {
    return ServiceKey4{vip, port, proto, 0};
}

struct Backend4 {
    uint32_t ip = 0;     // network order
    uint16_t port = 0;   // network order
    uint32_t weight = 1;
    std::string id;      // lb::backend_identity(), the Maglev identity
};

// An IPv4 prefix as host-order network and mask, for source-range checks.
struct Cidr4 {
    uint32_t network = 0;  // host order, host bits clear
    uint32_t mask = 0;     // host order
    bool contains_raw(uint32_t ip_network_order) const noexcept;
    bool operator==(const Cidr4&) const = default;
};

// One service port (shared by all its VIPs).
struct ServiceBackends {
    std::string name;                // ResolvedServicePort::id(), for logs/metrics
    uint8_t proto = kProtoTcp;
    bool client_ip_affinity = false; // sessionAffinity: ClientIP
    // The IPv4 entries of spec.loadBalancerSourceRanges; empty = any client.
    // Enforced on the service's loadBalancerIPs only, like kube-proxy
    // (externalIPs are not filtered): see ServiceSnapshot::source_allowed().
    std::vector<Cidr4> source_ranges;
    std::vector<Backend4> backends;  // sorted by (ip, port) numerically
    lb::MaglevTable maglev;

    // Backend for a new flow, or nullptr when there is none. With ClientIP
    // affinity only the client address is hashed, so every connection of a
    // client lands on the same backend for as long as the backend set is
    // stable (Maglev keeps most clients in place when it changes); the
    // Kubernetes affinity timeout is not applicable to a stateless choice.
    const Backend4* select(const FlowKey4& client_side) const noexcept;

    // Is ip:port (network order) still a backend of this service? O(log N).
    // After a snapshot swap the application asks this for existing flows
    // (e.g. in its expiry sweep) and ends UDP flows whose backend is gone, as
    // kube-proxy flushes UDP conntrack entries of removed endpoints; TCP
    // flows are left to finish or time out.
    bool has_backend(uint32_t ip, uint16_t port) const noexcept;
};

struct SnapshotOptions {
    uint32_t maglev_table_size = lb::MaglevTable::kDefaultSize;
    // Only these VIPs are served; empty = every loadBalancerIP/externalIP.
    std::vector<IPAddr> vip_allowlist;
};

class ServiceSnapshot {
public:
    // Builds the snapshot. IPv6 VIPs and endpoints, SCTP ports, and ports
    // whose VIP+port+proto repeats an earlier one are skipped with a warning
    // (appended to `warnings` when given). Throws std::invalid_argument only
    // for invalid options (e.g. non-prime table size).
    static std::shared_ptr<const ServiceSnapshot> build(const ServiceState& state,
                                                        const SnapshotOptions& options = {},
                                                        std::vector<std::string>* warnings = nullptr);

    // nullptr when no service has this VIP:port/proto.
    const ServiceBackends* find(const ServiceKey4& key) const noexcept;

    // May a NEW flow from `src_ip` (network order) use this VIP? False only
    // when `key` is one of its service's loadBalancerIPs, the service has
    // IPv4 loadBalancerSourceRanges, and none contains the client
    // (DropReason::SourceNotAllowed). Checked once per flow, not per packet.
    // True for unknown keys (the caller has already counted no_service).
    bool source_allowed(const ServiceKey4& key, uint32_t src_ip) const noexcept;

    size_t vip_count() const noexcept { return by_vip_.size(); }
    const std::vector<std::shared_ptr<const ServiceBackends>>& services() const noexcept {
        return services_;
    }

private:
    struct KeyHash {
        size_t operator()(const ServiceKey4& k) const noexcept;
    };
    std::vector<std::shared_ptr<const ServiceBackends>> services_;
    struct Vip {
        const ServiceBackends* service = nullptr;
        bool filter_sources = false;  // a loadBalancerIP of a service with ranges
    };
    std::unordered_map<ServiceKey4, Vip, KeyHash> by_vip_;
};

}  // namespace svcnat::dpdk
