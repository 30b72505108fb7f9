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

// Every named counter, then every drop reason (`drop_<reason>`) and their sum.
void add_counters(rte_tel_data* d, const CounterValues& v) {
    v.each([d](const char* name, uint64_t value) { rte_tel_data_add_dict_u64(d, name, value); });
    for (size_t r = 1; r < kDropReasonCount; ++r)
        rte_tel_data_add_dict_u64(d, ("drop_" + std::string(to_string(static_cast<DropReason>(r)))).c_str(), v.drops[r]);
    for (size_t r = 0; r < kAppDropCount; ++r)
        rte_tel_data_add_dict_u64(d, (std::string("drop_") + to_string(static_cast<AppDrop>(r))).c_str(), v.app_drops[r]);
    rte_tel_data_add_dict_u64(d, "drops_total", v.total_drops());
}

int cmd_stats(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    Gateway* gw = g_gateway.load();
    if (gw == nullptr) return -1;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "lcores", gw->worker_count());
    add_counters(d, gw->totals());
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
    add_counters(d, read(gw->stats(static_cast<uint16_t>(w))));
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
        std::string key = neighbor_ipaddr(n.addr).str();
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
