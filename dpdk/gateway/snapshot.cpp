#include "snapshot.hpp"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <atomic>
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
    rte_hash_free(vip_index_);
    rte_hash_free(vip_addrs_);
}

std::unique_ptr<GatewaySnapshot> GatewaySnapshot::build(const ServiceState& state,
                                                        std::shared_ptr<const ServiceSnapshot> core,
                                                        const GatewayConfig& cfg, NeighborTable& neighbors,
                                                        StatIds& service_ids, StatIds& backend_ids,
                                                        uint64_t generation, std::string* error) {
    std::unique_ptr<GatewaySnapshot> s(new GatewaySnapshot());
    s->core_ = std::move(core);
    s->generation_ = generation;
    const auto& services = s->core_->services<Ip4>();
    std::unordered_map<const ServiceBackends4*, uintptr_t> index_of;
    s->services_.reserve(services.size());
    for (const auto& svc : services) {
        ServiceExtras ex;
        ex.service = svc.get();
        ex.stat_id = service_ids.id_of(svc->name);
        for (const Backend4& b : svc->backends) {
            const IPAddr ip = IPAddr::v4(rte_be_to_cpu_32(b.ip));
            ex.backend_stat_id.push_back(backend_ids.id_of(svc->name + " " + b.id));
            auto port = cfg.port_towards(ip, /*backend_side=*/true);
            if (!port) {
                ex.neighbor_slot.push_back(-1);
                ex.egress_port.push_back(0);
                continue;
            }
            const PortConfig& pc = cfg.ports[*port];
            const IPAddr hop = pc.subnet.contains(ip) ? ip : *pc.next_hop;
            ex.neighbor_slot.push_back(neighbors.ensure(rte_cpu_to_be_32(hop.v4_host_order()),
                                                        static_cast<uint16_t>(*port)));
            ex.egress_port.push_back(static_cast<uint16_t>(*port));
        }
        index_of[svc.get()] = s->services_.size();
        s->services_.push_back(std::move(ex));
    }

    // Candidate VIP keys come from the model; ServiceSnapshot::find() is the
    // authority on which of them are served (it applies the family,
    // protocol and duplicate rules), so those rules live in one place.
    std::vector<ServiceKey4> keys;
    for (const ResolvedServicePort& sp : state.ports) {
        uint8_t proto = sp.protocol == Protocol::TCP ? kProtoTcp : sp.protocol == Protocol::UDP ? kProtoUdp : 0;
        if (proto == 0) continue;
        for (const auto* list : {&sp.loadBalancerIPs, &sp.externalIPs})
            for (const IPAddr& ip : *list)
                if (ip.is_v4())
                    keys.push_back(make_service_key(rte_cpu_to_be_32(ip.v4_host_order()), rte_cpu_to_be_16(sp.port), proto));
    }
    // rte_hash names are process-wide: number them, not by generation, so
    // that several gateways (tests) never collide.
    static std::atomic<uint64_t> name_seq{0};
    const std::string gen = std::to_string(name_seq.fetch_add(1));
    s->vip_index_ = make_hash("svcnat_vip_" + gen, static_cast<uint32_t>(keys.size()), sizeof(ServiceKey4));
    s->vip_addrs_ = make_hash("svcnat_vipa_" + gen, static_cast<uint32_t>(keys.size()), sizeof(uint32_t));
    if (s->vip_index_ == nullptr || s->vip_addrs_ == nullptr) {
        *error = std::string("rte_hash_create: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    for (const ServiceKey4& k : keys) {
        const ServiceBackends4* svc = s->core_->find(k);
        auto it = index_of.find(svc);
        if (svc == nullptr || it == index_of.end()) continue;
        if (rte_hash_lookup(s->vip_index_, &k) >= 0) continue;  // repeated in the model
        if (rte_hash_add_key_data(s->vip_index_, &k, reinterpret_cast<void*>(it->second)) < 0 ||
            rte_hash_add_key(s->vip_addrs_, &k.vip) < 0) {
            *error = "VIP table full";
            return nullptr;
        }
    }
    return s;
}

}  // namespace svcnat::dpdk
