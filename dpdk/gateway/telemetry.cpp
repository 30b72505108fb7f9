#include "telemetry.hpp"

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <mutex>

#include "gateway.hpp"
#include "worker.hpp"

namespace svcnat::dpdk {

namespace {

std::atomic<Gateway*> g_gateway{nullptr};
std::mutex g_mu;  // held while a command reads the gateway, and while detaching

void add_lcore_counters(rte_tel_data* d, const LcoreStats& s) {
    rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_packets.get());
    rte_tel_data_add_dict_u64(d, "rx_bytes", s.rx_bytes.get());
    rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_packets.get());
    rte_tel_data_add_dict_u64(d, "to_backend", s.to_backend.get());
    rte_tel_data_add_dict_u64(d, "to_client", s.to_client.get());
    rte_tel_data_add_dict_u64(d, "arp_replies", s.arp_replies.get());
    rte_tel_data_add_dict_u64(d, "arp_learned", s.arp_learned.get());
    rte_tel_data_add_dict_u64(d, "icmp_echo_replies", s.icmp_echo_replies.get());
    rte_tel_data_add_dict_u64(d, "icmp_errors_translated", s.icmp_errors_translated.get());
    rte_tel_data_add_dict_u64(d, "new_flows", s.new_flows.get());
    rte_tel_data_add_dict_u64(d, "expired_flows", s.expired_flows.get());
    rte_tel_data_add_dict_u64(d, "active_flows", s.active_flows.get());
    rte_tel_data_add_dict_u64(d, "handoff_out", s.handoff_out.get());
    rte_tel_data_add_dict_u64(d, "handoff_in", s.handoff_in.get());
    rte_tel_data_add_dict_u64(d, "snat_exhausted", s.snat_exhausted.get());
    rte_tel_data_add_dict_u64(d, "rx_ipv6", s.rx_ipv6.get());
    rte_tel_data_add_dict_u64(d, "new_flows_ipv6", s.new_flows_ipv6.get());
    rte_tel_data_add_dict_u64(d, "active_flows_ipv6", s.active_flows_ipv6.get());
    rte_tel_data_add_dict_u64(d, "nd_advertisements", s.nd_advertisements.get());
    rte_tel_data_add_dict_u64(d, "nd_learned", s.nd_learned.get());
    rte_tel_data_add_dict_u64(d, "held_for_arp", s.held_packets.get());
    rte_tel_data_add_dict_u64(d, "released_after_arp", s.released_held.get());
}

// Sums every worker's counters into one LcoreStats-shaped dict.
void add_drops(rte_tel_data* d, Gateway& gw, int only_worker) {
    uint64_t total = 0;
    for (size_t r = 1; r < kDropReasonCount; ++r) {
        uint64_t v = 0;
        for (uint16_t w = 0; w < gw.worker_count(); ++w)
            if (only_worker < 0 || only_worker == w) v += gw.stats(w).drops[r].get();
        total += v;
        rte_tel_data_add_dict_u64(d, ("drop_" + std::string(to_string(static_cast<DropReason>(r)))).c_str(), v);
    }
    for (size_t r = 0; r < kAppDropCount; ++r) {
        uint64_t v = 0;
        for (uint16_t w = 0; w < gw.worker_count(); ++w)
            if (only_worker < 0 || only_worker == w) v += gw.stats(w).app_drops[r].get();
        total += v;
        rte_tel_data_add_dict_u64(d, (std::string("drop_") + to_string(static_cast<AppDrop>(r))).c_str(), v);
    }
    rte_tel_data_add_dict_u64(d, "drops_total", total);
}

int cmd_stats(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr) return -1;
    LcoreStats sum;
    for (uint16_t w = 0; w < gw->worker_count(); ++w) {
        const LcoreStats& s = gw->stats(w);
        auto add = [](Counter& a, const Counter& b) { a.add(b.get()); };
        add(sum.rx_packets, s.rx_packets); add(sum.rx_bytes, s.rx_bytes); add(sum.tx_packets, s.tx_packets);
        add(sum.to_backend, s.to_backend); add(sum.to_client, s.to_client);
        add(sum.arp_replies, s.arp_replies); add(sum.arp_learned, s.arp_learned);
        add(sum.icmp_echo_replies, s.icmp_echo_replies); add(sum.new_flows, s.new_flows);
        add(sum.icmp_errors_translated, s.icmp_errors_translated);
        add(sum.expired_flows, s.expired_flows); add(sum.active_flows, s.active_flows);
        add(sum.handoff_out, s.handoff_out); add(sum.handoff_in, s.handoff_in);
        add(sum.snat_exhausted, s.snat_exhausted); add(sum.held_packets, s.held_packets);
        add(sum.released_held, s.released_held);
        add(sum.rx_ipv6, s.rx_ipv6); add(sum.new_flows_ipv6, s.new_flows_ipv6);
        add(sum.active_flows_ipv6, s.active_flows_ipv6);
        add(sum.nd_advertisements, s.nd_advertisements); add(sum.nd_learned, s.nd_learned);
    }
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "lcores", gw->worker_count());
    add_lcore_counters(d, sum);
    add_drops(d, *gw, -1);
    rte_tel_data_add_dict_u64(d, "new_flows_per_s", gw->new_flows_per_s());
    rte_tel_data_add_dict_u64(d, "reloads", gw->reloads());
    rte_tel_data_add_dict_u64(d, "reload_failures", gw->reload_failures());
    rte_tel_data_add_dict_u64(d, "arp_requests_sent", gw->arp_requests_sent());
    rte_tel_data_add_dict_u64(d, "held_expired", gw->held_expired());
    gw->with_snapshot([&](const GatewaySnapshot* s) {
        rte_tel_data_add_dict_u64(d, "vips", s ? s->vip_count() : 0);
        rte_tel_data_add_dict_u64(d, "generation", s ? s->generation() : 0);
    });
    return 0;
}

int cmd_lcore(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr || params == nullptr || *params == '\0') return -1;
    char* end = nullptr;
    const long w = std::strtol(params, &end, 10);
    if (*end != '\0' || w < 0 || w >= gw->worker_count()) return -1;
    rte_tel_data_start_dict(d);
    add_lcore_counters(d, gw->stats(static_cast<uint16_t>(w)));
    add_drops(d, *gw, static_cast<int>(w));
    const auto lcore = static_cast<uint16_t>(w);
    if (const auto* pool = gw->snat<Ip4>()) {
        rte_tel_data_add_dict_u64(d, "snat_ports_free", pool->available(lcore));
        rte_tel_data_add_dict_u64(d, "snat_ports_total", pool->capacity(lcore));
    }
    if (const auto* pool = gw->snat<Ip6>()) {
        rte_tel_data_add_dict_u64(d, "snat_ports_free_ipv6", pool->available(lcore));
        rte_tel_data_add_dict_u64(d, "snat_ports_total_ipv6", pool->capacity(lcore));
    }
    return 0;
}

// Telemetry dict keys allow only [A-Za-z0-9_/]: entries are keyed by stat
// id, the human name is a field.
int traffic(rte_tel_data* d, StatIds& ids, TrafficTable& table) {
    rte_tel_data_start_dict(d);
    unsigned added = 0;
    for (const auto& [name, id] : ids.all()) {
        if (added + 1 >= RTE_TEL_MAX_DICT_ENTRIES) {
            rte_tel_data_add_dict_string(d, "truncated", "yes");
            break;
        }
        uint64_t packets, bytes, flows;
        table.sum(id, &packets, &bytes, &flows);
        rte_tel_data* e = rte_tel_data_alloc();
        if (e == nullptr) return -1;
        rte_tel_data_start_dict(e);
        rte_tel_data_add_dict_string(e, "name", name.c_str());
        rte_tel_data_add_dict_u64(e, "packets", packets);
        rte_tel_data_add_dict_u64(e, "bytes", bytes);
        rte_tel_data_add_dict_u64(e, "flows", flows);
        rte_tel_data_add_dict_container(d, ("id" + std::to_string(id)).c_str(), e, 0);
        ++added;
    }
    return 0;
}

int cmd_services(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr) return -1;
    return traffic(d, gw->service_ids(), gw->service_traffic());
}

int cmd_backends(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr) return -1;
    return traffic(d, gw->backend_ids(), gw->backend_traffic());
}

int cmd_neighbors(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr) return -1;
    rte_tel_data_start_dict(d);
    unsigned added = 0;
    for (const NeighborSnapshot& n : gw->neighbors().snapshot(rte_get_tsc_cycles())) {
        if (++added >= RTE_TEL_MAX_DICT_ENTRIES) break;
        // Telemetry dict keys allow letters, digits and '_' only: dots and
        // colons become '_'.
        IPAddr ip;
        if (is_ipv4_mapped(n.addr)) {
            std::memcpy(ip.bytes.data(), n.addr.data() + 12, 4);
        } else {
            ip.family = IPFamily::IPv6;
            std::memcpy(ip.bytes.data(), n.addr.data(), 16);
        }
        std::string key = ip.str();
        for (char& ch : key)
            if (ch == '.' || ch == ':') ch = '_';
        char mac[32];
        rte_ether_format_addr(mac, sizeof mac, &n.mac);
        rte_tel_data* e = rte_tel_data_alloc();
        if (e == nullptr) return -1;
        rte_tel_data_start_dict(e);
        rte_tel_data_add_dict_string(e, "state", n.state == NeighborState::Static      ? "static"
                                                 : n.state == NeighborState::Reachable ? "reachable"
                                                                                       : "incomplete");
        rte_tel_data_add_dict_string(e, "mac", mac);
        rte_tel_data_add_dict_string(e, "port", gw->ports()[n.port].name.c_str());
        rte_tel_data_add_dict_u64(e, "age_ms", n.age_ms);
        rte_tel_data_add_dict_container(d, key.c_str(), e, 0);
    }
    return 0;
}

}  // namespace

bool register_telemetry(Gateway* gw, const std::string& prefix) {
    {
        std::lock_guard lock(g_mu);
        g_gateway.store(gw);
    }
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [&] {
        // DPDK keeps the command strings by pointer: give them static storage.
        static const std::string stats = prefix + "/stats", lcore = prefix + "/lcore",
                                 services = prefix + "/services", backends = prefix + "/backends",
                                 neighbors = prefix + "/neighbors";
        ok = rte_telemetry_register_cmd(stats.c_str(), cmd_stats, "Gateway totals. No parameters") == 0 &&
             rte_telemetry_register_cmd(lcore.c_str(), cmd_lcore, "One worker's counters. Parameter: worker index") == 0 &&
             rte_telemetry_register_cmd(services.c_str(), cmd_services, "Per service port traffic. No parameters") == 0 &&
             rte_telemetry_register_cmd(backends.c_str(), cmd_backends, "Per backend traffic. No parameters") == 0 &&
             rte_telemetry_register_cmd(neighbors.c_str(), cmd_neighbors, "ARP table. No parameters") == 0;
    });
    return ok;
}

}  // namespace svcnat::dpdk
