#include "snapshot.hpp"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <atomic>
#include <cstring>
#include <unordered_map>

namespace svcnat::dpdk {

namespace {

rte_hash* make_hash(const std::string& name, uint32_t entries, uint32_t key_len) {
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = std::max<uint32_t>(entries, 8);
    p.key_len = key_len;
    p.hash_func = rte_hash_crc;
    p.socket_id = SOCKET_ID_ANY;
    return rte_hash_create(&p);
}


}  // namespace

GatewaySnapshot::~GatewaySnapshot() {
    rte_hash_free(v4_.vip_index);
    rte_hash_free(v4_.vip_addrs);
    rte_hash_free(v6_.vip_index);
    rte_hash_free(v6_.vip_addrs);
}

template <typename Addr>
bool GatewaySnapshot::build_family(const ServiceState& state, const GatewaySettings& cfg, NeighborTable& neighbors,
                                   StatIds& service_ids, StatIds& backend_ids, std::string* error) {
    Table<Addr>& t = table<Addr>();
    const auto& services = core_->services<Addr>();
    std::unordered_map<const ServiceBackends<Addr>*, uintptr_t> index_of;
    t.services.reserve(services.size());
    for (const auto& svc : services) {
        ServiceForwarding<Addr> ex;
        ex.service = svc.get();
        ex.stat_id = service_ids.id_of(svc->name);
        for (const Backend<Addr>& b : svc->backends) {
            const IPAddr ip = to_ipaddr(b.ip);
            ex.backend_stat_id.push_back(backend_ids.id_of(svc->name + " " + b.id));
            auto port = cfg.port_towards(ip, /*backend_side=*/true);
            if (!port) {
                ex.neighbor_slot.push_back(-1);
                ex.egress_port.push_back(0);
                continue;
            }
            const PortConfig& pc = cfg.ports[*port];
            const IPAddr hop = pc.on_link(ip) ? ip : *pc.family_of(ip)->next_hop;
            Addr hop_addr{};
            to_addr(hop, &hop_addr);
            ex.neighbor_slot.push_back(neighbors.ensure(neighbor_addr(hop_addr), static_cast<uint16_t>(*port)));
            ex.egress_port.push_back(static_cast<uint16_t>(*port));
        }
        index_of[svc.get()] = t.services.size();
        t.services.push_back(std::move(ex));
    }

    // Candidate VIP keys come from the model; ServiceSnapshot::find() is the
    // authority on which of them are served (it applies the family,
    // protocol and duplicate rules), so those rules live in one place.
    std::vector<ServiceKey<Addr>> keys;
    for (const ResolvedServicePort& sp : state.ports) {
        uint8_t proto = sp.protocol == Protocol::TCP ? kProtoTcp : sp.protocol == Protocol::UDP ? kProtoUdp : 0;
        if (proto == 0) continue;
        for (const auto* list : {&sp.loadBalancerIPs, &sp.externalIPs})
            for (const IPAddr& ip : *list) {
                Addr vip;
                if (to_addr(ip, &vip)) keys.push_back(make_service_key(vip, rte_cpu_to_be_16(sp.port), proto));
            }
    }
    // rte_hash names are process-wide: number them, not by generation, so
    // that several gateways (tests) never collide.
    static std::atomic<uint64_t> name_seq{0};
    const std::string gen = (sizeof(Addr) == 4 ? "4_" : "6_") + std::to_string(name_seq.fetch_add(1));
    t.vip_index = make_hash("svcnat_vip" + gen, static_cast<uint32_t>(keys.size()), sizeof(ServiceKey<Addr>));
    t.vip_addrs = make_hash("svcnat_vipa" + gen, static_cast<uint32_t>(keys.size()), sizeof(Addr));
    if (t.vip_index == nullptr || t.vip_addrs == nullptr) {
        *error = std::string("rte_hash_create: ") + rte_strerror(rte_errno);
        return false;
    }
    for (const ServiceKey<Addr>& k : keys) {
        const ServiceBackends<Addr>* svc = core_->find(k);
        auto it = index_of.find(svc);
        if (svc == nullptr || it == index_of.end()) continue;
        if (rte_hash_lookup(t.vip_index, &k) >= 0) continue;  // repeated in the model
        if (rte_hash_add_key_data(t.vip_index, &k, reinterpret_cast<void*>(it->second)) < 0 ||
            rte_hash_add_key(t.vip_addrs, &k.vip) < 0) {
            *error = "VIP table full";
            return false;
        }
    }
    return true;
}

std::unique_ptr<GatewaySnapshot> GatewaySnapshot::build(const ServiceState& state,
                                                        std::shared_ptr<const ServiceSnapshot> core,
                                                        const GatewaySettings& cfg, NeighborTable& neighbors,
                                                        StatIds& service_ids, StatIds& backend_ids,
                                                        uint64_t generation, std::string* error) {
    std::unique_ptr<GatewaySnapshot> s(new GatewaySnapshot());
    s->core_ = std::move(core);
    s->generation_ = generation;
    if (!s->build_family<Ip4>(state, cfg, neighbors, service_ids, backend_ids, error) ||
        !s->build_family<Ip6>(state, cfg, neighbors, service_ids, backend_ids, error))
        return nullptr;
    return s;
}

}  // namespace svcnat::dpdk
