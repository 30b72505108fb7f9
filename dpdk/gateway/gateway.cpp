#include "gateway.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <stdexcept>

#include "arp_icmp.hpp"
#include "worker.hpp"

namespace svcnat::dpdk {

Gateway::Gateway(const GatewaySettings& cfg) : cfg_(cfg), timeouts_(cfg.timeouts) {}

std::unique_ptr<Gateway> Gateway::create(const GatewaySettings& cfg, uint16_t workers) {
    if (workers == 0) throw std::runtime_error("at least one worker lcore is needed");
    std::unique_ptr<Gateway> gw(new Gateway(cfg));
    static std::atomic<uint32_t> seq{0};
    const std::string tag = std::to_string(seq.fetch_add(1));

    // Every rx queue holds rx_descriptors mbufs, plus bursts in flight, tx
    // rings, hand-off rings and held packets.
    const uint32_t per_port = static_cast<uint32_t>(workers) * (cfg.rx_descriptors + cfg.tx_descriptors + 2 * kBurst) +
                              cfg.tx_descriptors;
    const uint32_t needed = static_cast<uint32_t>(cfg.ports.size()) * per_port + workers * 1024u + 4096u;
    const uint32_t mbufs = std::max(cfg.mbufs, needed);
    gw->pool_ = rte_pktmbuf_pool_create(("svcnat_mb" + tag).c_str(), mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                        static_cast<int>(rte_socket_id()));
    if (gw->pool_ == nullptr)
        throw std::runtime_error("mbuf pool of " + std::to_string(mbufs) + ": " + rte_strerror(rte_errno));

    gw->ports_ = setup_ports(cfg, workers, gw->pool_);

    gw->neighbors_ = NeighborTable::create("svcnat_nb" + tag, 65536, static_cast<int>(rte_socket_id()));
    if (!gw->neighbors_) throw std::runtime_error("cannot create the neighbour table");
    for (size_t i = 0; i < cfg.ports.size(); ++i) {
        for (const auto* fam : {&cfg.ports[i].v4, &cfg.ports[i].v6})
            if (*fam && (*fam)->next_hop)
                gw->neighbors_->ensure(neighbor_addr((*fam)->next_hop.value()), static_cast<uint16_t>(i));
    }
    for (const StaticNeighbor& n : cfg.neighbors) {
        // A static neighbour lives on the port whose subnet holds it.
        uint16_t port = 0;
        for (size_t i = 0; i < cfg.ports.size(); ++i)
            if (cfg.ports[i].on_link(n.ip)) port = static_cast<uint16_t>(i);
        rte_ether_addr mac;
        std::memcpy(mac.addr_bytes, n.mac.data(), 6);
        gw->neighbors_->set_static(neighbor_addr(n.ip), port, mac);
    }

    SnatPool4::Config sp4;
    SnatPool6::Config sp6;
    for (const IPAddr& a : cfg.snat_addresses) {
        Ip4 v4;
        Ip6 v6;
        if (to_addr(a, &v4)) sp4.addrs.push_back(v4);
        else if (to_addr(a, &v6)) sp6.addrs.push_back(v6);
    }
    sp4.n_lcores = sp6.n_lcores = workers;
    gw->snat4_set_ = AddressSet<Ip4>(sp4.addrs);
    gw->snat6_set_ = AddressSet<Ip6>(sp6.addrs);
    if (!sp4.addrs.empty()) gw->snat4_ = std::make_unique<SnatPool4>(sp4);
    if (!sp6.addrs.empty()) gw->snat6_ = std::make_unique<SnatPool6>(sp6);

    for (uint16_t w = 0; w < workers; ++w) {
        // Many producers (every other worker), one consumer (the owner).
        rte_ring* r = rte_ring_create(("svcnat_ho" + tag + "_" + std::to_string(w)).c_str(), 4096,
                                      static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        if (r == nullptr) throw std::runtime_error(std::string("hand-off ring: ") + rte_strerror(rte_errno));
        gw->rings_.push_back(r);
    }

    gw->control_tx_ = rte_ring_create(("svcnat_ctl" + tag).c_str(), 1024, static_cast<int>(rte_socket_id()),
                                      RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (gw->control_tx_ == nullptr) throw std::runtime_error(std::string("control ring: ") + rte_strerror(rte_errno));

    const size_t rcu_size = rte_rcu_qsbr_get_memsize(workers);
    gw->rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("svcnat_rcu", rcu_size, RTE_CACHE_LINE_SIZE));
    if (gw->rcu_ == nullptr || rte_rcu_qsbr_init(gw->rcu_, workers) != 0)
        throw std::runtime_error("cannot set up RCU for snapshot swaps");

    gw->stats_ = std::make_unique<LcoreStats[]>(workers);
    gw->service_traffic_ = std::make_unique<TrafficTable>(workers, gw->service_ids_.capacity());
    gw->backend_traffic_ = std::make_unique<TrafficTable>(workers, gw->backend_ids_.capacity());
    for (uint16_t w = 0; w < workers; ++w) gw->workers_.push_back(std::make_unique<Worker>(*gw, w));
    return gw;
}

Gateway::~Gateway() {
    workers_.clear();
    stop_ports(ports_);
    {
        std::lock_guard lock(install_mu_);
        current_.store(nullptr);
        owned_.reset();
    }
    neighbors_.reset();
    if (control_tx_ != nullptr) rings_.push_back(control_tx_);
    for (rte_ring* r : rings_) {
        void* m;
        while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
    rte_free(rcu_);
    rte_mempool_free(pool_);
}

CounterValues Gateway::totals() const {
    CounterValues v;
    for (uint16_t w = 0; w < worker_count(); ++w) v += read(stats_[w]);
    return v;
}

bool Gateway::install(const ServiceState& state, std::string* error) {
    SnapshotOptions opts;
    opts.maglev_table_size = cfg_.maglev_table_size;
    std::vector<std::string> warnings;
    std::shared_ptr<const ServiceSnapshot> core;
    try {
        core = ServiceSnapshot::build(state, opts, &warnings);
    } catch (const std::exception& e) {
        *error = e.what();
        reload_failures_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    for (const auto& w : warnings) RTE_LOG(WARNING, USER1, "snapshot: %s\n", w.c_str());
    auto snap = GatewaySnapshot::build(state, std::move(core), cfg_, *neighbors_, service_ids_, backend_ids_,
                                       ++generation_, error);
    if (!snap) {
        reload_failures_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    std::unique_ptr<GatewaySnapshot> old;
    {
        std::lock_guard lock(install_mu_);
        current_.store(snap.get(), std::memory_order_release);
        old = std::move(owned_);
        owned_ = std::move(snap);
    }
    // Every online worker passes a quiescent state after its current burst;
    // then none can still hold the old pointer.
    rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
    old.reset();
    reloads_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void Gateway::control_tick() {
    const uint64_t now = rte_get_tsc_cycles();
    const uint64_t hz = rte_get_tsc_hz();
    // Unresolved: ask every 200 ms; resolved: re-ask after arp_refresh.
    auto due = neighbors_->due_requests(now, hz / 5, hz * cfg_.arp_refresh_s);
    for (const auto& req : due) {
        const PortRuntime& port = ports_[req.port];
        rte_mbuf* m = is_ipv4_mapped(req.addr)
                          ? (port.has_ip4 ? build_arp_request(pool_, port.mac, port.ip4, ipv4_of(req.addr)) : nullptr)
                          : (port.has_ip6 ? build_neighbor_solicitation(pool_, port.mac, port.ip6, req.addr) : nullptr);
        if (m == nullptr) continue;
        m->port = req.port;
        if (rte_ring_sp_enqueue(control_tx_, m) == 0)
            arp_requests_.fetch_add(1, std::memory_order_relaxed);
        else
            rte_pktmbuf_free(m);
    }
    held_expired_.fetch_add(neighbors_->expire_held(now, hz * cfg_.neighbor_hold_ms / 1000),
                            std::memory_order_relaxed);
    if (now - last_rate_tsc_ >= hz) {
        uint64_t total = 0;
        for (uint16_t w = 0; w < worker_count(); ++w) total += stats_[w].new_flows.get();
        if (last_rate_tsc_ != 0)
            new_flows_rate_.store((total - last_new_flows_) * hz / (now - last_rate_tsc_), std::memory_order_relaxed);
        last_new_flows_ = total;
        last_rate_tsc_ = now;
    }
}

}  // namespace svcnat::dpdk
