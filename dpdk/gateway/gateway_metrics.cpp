#include "gateway_metrics.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <array>
#include <deque>

#include "control/sync/metric_families.hpp"
#include "gateway.hpp"

namespace svcnat::dpdk {

namespace {

using prometheus::MetricFamily;
using Labels = MetricLabels;

// The gateway's families, named svcnat_gateway_*.
struct Families : MetricFamilies {
    Families() : MetricFamilies("svcnat_gateway_") {}
};

void add(MetricFamily& f, uint64_t value, Labels labels = {}) { add_sample(f, static_cast<double>(value), std::move(labels)); }

// Per IP family: the IPv6 share is counted apart, IPv4 is the rest.
void add_by_family(MetricFamily& f, uint64_t all, uint64_t ipv6) {
    add(f, all - ipv6, {{"family", "ipv4"}});
    add(f, ipv6, {{"family", "ipv6"}});
}

void port_metrics(Families& fs, const Gateway& gw) {
    auto& up = fs.gauge("port_up", "1 when the port has link, else 0");
    auto& rx = fs.counter("port_received_packets_total", "Packets the device received");
    auto& tx = fs.counter("port_transmitted_packets_total", "Packets the device sent");
    auto& rxb = fs.counter("port_received_bytes_total", "Bytes the device received");
    auto& txb = fs.counter("port_transmitted_bytes_total", "Bytes the device sent");
    auto& missed = fs.counter("port_receive_missed_total",
                              "Packets the device dropped for want of a free rx descriptor (workers too slow)");
    auto& rxerr = fs.counter("port_receive_errors_total", "Erroneous packets the device received");
    auto& txerr = fs.counter("port_transmit_errors_total", "Packets the device failed to send");
    auto& nombuf = fs.counter("port_receive_no_mbuf_total", "Receive failures for want of an mbuf");
    for (const PortRuntime& p : gw.ports()) {
        const Labels port{{"port", p.name}};
        add(up, port_link_up(p), port);
        rte_eth_stats st{};
        if (rte_eth_stats_get(p.port_id, &st) != 0) continue;
        add(rx, st.ipackets, port);
        add(tx, st.opackets, port);
        add(rxb, st.ibytes, port);
        add(txb, st.obytes, port);
        add(missed, st.imissed, port);
        add(rxerr, st.ierrors, port);
        add(txerr, st.oerrors, port);
        add(nombuf, st.rx_nombuf, port);
    }
}

void packet_metrics(Families& fs, const CounterValues& v) {
    auto& drops = fs.counter("drops_total", "Packets not forwarded, by reason (docs/GATEWAY.md, Drop reasons)");
    for (size_t r = 1; r < kDropReasonCount; ++r)
        add(drops, v.drops[r], {{"reason", std::string(to_string(static_cast<DropReason>(r)))}});
    for (size_t r = 0; r < kAppDropCount; ++r) add(drops, v.app_drops[r], {{"reason", to_string(static_cast<AppDrop>(r))}});
    auto& fwd = fs.counter("forwarded_packets_total", "Packets forwarded through a flow, by direction");
    add(fwd, v.to_backend, {{"direction", "to_backend"}});
    add(fwd, v.to_client, {{"direction", "to_client"}});
    add_by_family(fs.counter("received_packets_total", "Packets the workers received, by IP family (ARP counts as ipv4)"),
                  v.rx_packets, v.rx_ipv6);
    add(fs.counter("icmp_echo_replies_total", "ICMP and ICMPv6 echo requests answered"), v.icmp_echo_replies);
    add(fs.counter("icmp_errors_translated_total",
                   "ICMP and ICMPv6 errors about a flow translated to its other side (path MTU discovery)"),
        v.icmp_errors_translated);
}

void flow_metrics(Families& fs, const CounterValues& v) {
    add_by_family(fs.counter("flows_created_total", "Flows created, by IP family"), v.new_flows, v.new_flows_ipv6);
    add_by_family(fs.counter("flows_expired_total", "Idle flows removed by the sweep, by IP family"), v.expired_flows,
                  v.expired_flows_ipv6);
    add_by_family(fs.gauge("flows_active", "Flows in the workers' tables, by IP family"), v.active_flows,
                  v.active_flows_ipv6);
}

template <typename Addr>
void snat_family(MetricFamily& leases, const SnatPool<Addr>* pool, const std::vector<IPAddr>& addresses) {
    if (pool == nullptr) return;
    uint32_t index = 0;
    for (const IPAddr& a : addresses) {
        if (a.is_v4() != std::is_same_v<Addr, Ip4>) continue;
        const uint32_t used = pool->in_use(index++);
        add(leases, used, {{"address", a.str()}, {"state", "used"}});
        add(leases, pool->leases_per_address() - used, {{"address", a.str()}, {"state", "free"}});
    }
}

void snat_metrics(Families& fs, Gateway& gw, const CounterValues& v) {
    auto& leases = fs.gauge("snat_leases", "SNAT address:port leases per SNAT address, used (one per flow) or free");
    snat_family(leases, gw.snat<Ip4>(), gw.config().snat_addresses);
    snat_family(leases, gw.snat<Ip6>(), gw.config().snat_addresses);
    add(fs.counter("snat_exhausted_total", "New flows refused because the worker's SNAT partition was empty"),
        v.snat_exhausted);
}

void neighbor_metrics(Families& fs, Gateway& gw, const CounterValues& v) {
    auto& replies = fs.counter("neighbor_replies_total", "ARP replies and Neighbor Advertisements sent, by protocol");
    add(replies, v.arp_replies, {{"protocol", "arp"}});
    add(replies, v.nd_advertisements, {{"protocol", "ndp"}});
    auto& learned = fs.counter("neighbor_learned_total", "Neighbour addresses learned, by protocol");
    add(learned, v.arp_learned, {{"protocol", "arp"}});
    add(learned, v.nd_learned, {{"protocol", "ndp"}});
    add(fs.counter("neighbor_requests_total", "ARP requests and Neighbor Solicitations sent"), gw.arp_requests_sent());
    auto& held = fs.counter("held_packets_total", "Packets held for an unresolved neighbour, by outcome");
    add(held, v.held_packets, {{"outcome", "held"}});
    add(held, v.released_held, {{"outcome", "released"}});
    add(held, gw.held_expired(), {{"outcome", "expired"}});
    std::array<uint64_t, 3> by_state{};
    for (const NeighborSnapshot& n : gw.neighbors().snapshot(rte_get_tsc_cycles()))
        ++by_state[static_cast<size_t>(n.state)];
    auto& table = fs.gauge("neighbors", "Neighbour table entries, by state");
    add(table, by_state[static_cast<size_t>(NeighborState::Incomplete)], {{"state", "incomplete"}});
    add(table, by_state[static_cast<size_t>(NeighborState::Reachable)], {{"state", "reachable"}});
    add(table, by_state[static_cast<size_t>(NeighborState::Static)], {{"state", "static"}});
}

void worker_metrics(Families& fs, const Gateway& gw) {
    auto& loops = fs.counter("worker_loop_iterations_total", "Poll loop iterations per worker (0 growth: stalled)");
    auto& rx = fs.counter("worker_received_packets_total", "Packets each worker received (its RSS share)");
    auto& handoffs = fs.counter("worker_handoffs_total",
                                "Packets handed to the worker owning their flow, per worker and direction");
    for (uint16_t w = 0; w < gw.worker_count(); ++w) {
        const CounterValues v = read(gw.stats(w));
        const std::string worker = std::to_string(w);
        add(loops, v.loop_iterations, {{"worker", worker}});
        add(rx, v.rx_packets, {{"worker", worker}});
        add(handoffs, v.handoff_out, {{"worker", worker}, {"direction", "out"}});
        add(handoffs, v.handoff_in, {{"worker", worker}, {"direction", "in"}});
    }
}

// Per service port and per backend: what the sweep folded from flow
// entries (lags the traffic by at most flow_sweep_ms), flows when made.
void traffic_metrics(Families& fs, Gateway& gw) {
    auto& sp = fs.counter("service_packets_total", "Packets of the service port's flows, both directions");
    auto& sb = fs.counter("service_bytes_total", "Bytes (IP) of the service port's flows, both directions");
    auto& sf = fs.counter("service_flows_total", "Flows created for the service port");
    for (const auto& [name, id] : gw.service_ids().all()) {
        uint64_t packets, bytes, flows;
        gw.service_traffic().sum(id, &packets, &bytes, &flows);
        const Labels l{{"service", name}};
        add(sp, packets, l);
        add(sb, bytes, l);
        add(sf, flows, l);
    }
    auto& bp = fs.counter("backend_packets_total", "Packets of the flows to this backend of the service port");
    auto& bb = fs.counter("backend_bytes_total", "Bytes (IP) of the flows to this backend of the service port");
    auto& bf = fs.counter("backend_flows_total", "Flows created to this backend of the service port");
    for (const auto& [name, id] : gw.backend_ids().all()) {
        uint64_t packets, bytes, flows;
        gw.backend_traffic().sum(id, &packets, &bytes, &flows);
        const auto [service, backend] = service_and_backend(name);
        const Labels l{{"service", service}, {"backend", backend}};
        add(bp, packets, l);
        add(bb, bytes, l);
        add(bf, flows, l);
    }
}

void snapshot_metrics(Families& fs, Gateway& gw) {
    add(fs.counter("snapshot_installs_total", "Service snapshots installed (start and every change)"), gw.reloads());
    add(fs.counter("snapshot_install_failures_total", "Service snapshots that could not be built"),
        gw.reload_failures());
    uint64_t vips = 0;
    gw.with_snapshot([&](const GatewaySnapshot* s) { vips = s ? s->vip_count() : 0; });
    add(fs.gauge("vip_ports", "VIP:port/protocol keys served (LoadBalancer ingress IPs and externalIPs)"), vips);
}

}  // namespace

std::vector<prometheus::MetricFamily> GatewayMetrics::Collect() const {
    Families fs;
    const CounterValues totals = gw_.totals();
    port_metrics(fs, gw_);
    packet_metrics(fs, totals);
    flow_metrics(fs, totals);
    snat_metrics(fs, gw_, totals);
    neighbor_metrics(fs, gw_, totals);
    worker_metrics(fs, gw_);
    traffic_metrics(fs, gw_);
    snapshot_metrics(fs, gw_);
    return fs.take();
}

std::pair<std::string, std::string> service_and_backend(const std::string& stat_name) {
    const size_t space = stat_name.rfind(' ');
    if (space == std::string::npos) return {stat_name, stat_name};  // the overflow bucket "other"
    return {stat_name.substr(0, space), stat_name.substr(space + 1)};
}

}  // namespace svcnat::dpdk
