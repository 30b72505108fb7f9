// The gateway's real pipeline (Gateway + Worker) on net_ring ports, as a
// test fixture: crafted frames go into the rx rings, tests read what the
// gateway transmits from the tx rings. Workers are polled from the test
// thread, so every step is deterministic. No root needed. Used by
// test_pipeline.cpp (forwarding) and test_gateway_daemon.cpp (the daemon's
// side: syncer, health, metrics).
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "dpdk/gateway/gateway.hpp"
#include "dpdk/gateway/worker.hpp"
#include "eal_environment.hpp"
#include "frames.hpp"

namespace svcnat::dpdk::pipeline {

using namespace test;

inline const char* kVip = "198.51.100.10";
inline const char* kClient = "192.0.2.50";
inline const char* kSnat = "10.0.0.1";
inline const char* kBackendA = "10.0.0.11";
inline const char* kBackendB = "10.0.0.12";
// IPv6 side of the dual-stack layout (start(..., dual_stack = true)).
inline const char* kVip6 = "2001:db8:f00::10";
inline const char* kClient6 = "2001:db8:c::50";
inline const char* kSnat6 = "2001:db8:2::1";
inline const char* kBackend6A = "2001:db8:2::11";
inline const char* kBackend6B = "2001:db8:2::12";

inline ResolvedServicePort service(std::string name, Protocol proto, uint16_t port, std::vector<const char*> backends,
                            uint16_t target = 8080) {
    ResolvedServicePort sp;
    sp.ns = "default";
    sp.name = std::move(name);
    sp.protocol = proto;
    sp.port = port;
    sp.type = ServiceType::LoadBalancer;
    sp.loadBalancerIPs.push_back(*IPAddr::parse(kVip));
    for (const char* b : backends) {
        ResolvedEndpoint e;
        e.ip = *IPAddr::parse(b);
        e.port = target;
        sp.endpoints.push_back(e);
    }
    return sp;
}

inline ServiceState two_backends() {
    ServiceState s;
    s.ports.push_back(service("web", Protocol::TCP, 80, {kBackendA, kBackendB}));
    s.ports.push_back(service("dns", Protocol::UDP, 53, {kBackendA, kBackendB}, 5353));
    return s;
}

// The same services, dual-stack: an IPv6 VIP and IPv6 endpoints as well.
inline ServiceState dual_stack() {
    ServiceState s;
    s.ports.push_back(service("web", Protocol::TCP, 80, {kBackendA, kBackendB, kBackend6A, kBackend6B}));
    s.ports.push_back(service("dns", Protocol::UDP, 53, {kBackendA, kBackendB, kBackend6A, kBackend6B}, 5353));
    for (auto& sp : s.ports) sp.loadBalancerIPs.push_back(*IPAddr::parse(kVip6));
    return s;
}

// One ring-backed port: rx rings we fill, tx rings we drain.
struct RingPort {
    std::string name;
    std::vector<rte_ring*> rx, tx;
    RingPort(const std::string& n, uint16_t rxq, uint16_t txq) : name(n) {
        for (uint16_t q = 0; q < rxq; ++q)
            rx.push_back(rte_ring_create((n + "r" + std::to_string(q)).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
        for (uint16_t q = 0; q < txq; ++q)
            tx.push_back(rte_ring_create((n + "t" + std::to_string(q)).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
        const int id = rte_eth_from_rings(n.c_str(), rx.data(), rxq, tx.data(), txq, 0);
        if (id < 0) throw std::runtime_error("ring port");
        char dev[RTE_ETH_NAME_MAX_LEN];
        rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), dev);
        name = dev;  // the ethdev name (the ring PMD prefixes "net_ring_")
    }
    ~RingPort() {
        for (auto* r : rx) drain_free(r);
        for (auto* r : tx) drain_free(r);
        for (auto* r : rx) rte_ring_free(r);
        for (auto* r : tx) rte_ring_free(r);
    }
    static void drain_free(rte_ring* r) {
        void* m;
        while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    // Everything transmitted on any tx queue.
    std::vector<Seen> take() {
        std::vector<Seen> out;
        for (auto* r : tx) {
            void* p;
            while (rte_ring_dequeue(r, &p) == 0) {
                auto* m = static_cast<rte_mbuf*>(p);
                const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
                out.push_back({std::vector<uint8_t>(d, d + rte_pktmbuf_data_len(m))});
                rte_pktmbuf_free(m);
            }
        }
        return out;
    }
};

inline PortConfig port_of(const std::string& spec) {
    std::string error;
    auto p = parse_port_spec(spec, &error);
    EXPECT_TRUE(p) << spec << ": " << error;
    return p.value_or(PortConfig{});
}

class PipelineTest : public ::testing::Test {
protected:
    void start(uint16_t workers, bool static_backends = true, bool dual = false, bool snat4 = true) {
        if (!EalEnvironment::ok()) GTEST_SKIP() << "EAL could not start (no DPDK memory?)";
        static int seq = 0;
        const std::string tag = std::to_string(seq++);
        client_ = std::make_unique<RingPort>("gwc" + tag, workers, workers);
        backend_ = std::make_unique<RingPort>("gwb" + tag, workers, workers);
        GatewaySettings cfg;
        const std::string v6c = dual ? ",ip=2001:db8:1::1/64" : "", v6b = dual ? ",ip=2001:db8:2::fe/64" : "";
        cfg.ports.push_back(
            port_of("name=client,device=" + client_->name + ",role=client,ip=192.0.2.1/24" + v6c));
        cfg.ports.push_back(
            port_of("name=backend,device=" + backend_->name + ",role=backend,ip=10.0.0.1/24" + v6b));
        if (snat4) cfg.snat_addresses.push_back(*IPAddr::parse(kSnat));
        if (dual) cfg.snat_addresses.push_back(*IPAddr::parse(kSnat6));
        if (static_backends) {
            cfg.neighbors.push_back({*IPAddr::parse(kBackendA), {0x02, 0, 0, 0, 0, 0xa1}});
            cfg.neighbors.push_back({*IPAddr::parse(kBackendB), {0x02, 0, 0, 0, 0, 0xa2}});
            if (dual) {
                cfg.neighbors.push_back({*IPAddr::parse(kBackend6A), {0x02, 0, 0, 0, 0, 0xb1}});
                cfg.neighbors.push_back({*IPAddr::parse(kBackend6B), {0x02, 0, 0, 0, 0, 0xb2}});
            }
        }
        cfg.flows_per_lcore = 4096;
        cfg.flow_sweep_ms = 20;  // the whole table swept every 20 ms
        cfg.mbufs = 8191;
        cfg.rx_descriptors = 256;
        cfg.tx_descriptors = 256;
        cfg.maglev_table_size = 251;
        cfg.worker_stall_ms = worker_stall_ms_;
        ASSERT_TRUE(gateway_problems(cfg).empty());
        gw_ = Gateway::create(cfg, workers);
        std::string err;
        ASSERT_TRUE(gw_->install(dual ? dual_stack() : two_backends(), &err)) << err;
        client_mac_ = gw_->ports()[0].mac;
        backend_mac_ = gw_->ports()[1].mac;
    }
    void TearDown() override {
        gw_.reset();
        client_.reset();
        backend_.reset();
    }

    void inject(RingPort& port, uint16_t queue, const std::vector<uint8_t>& frame) {
        rte_mbuf* m = to_mbuf(gw_->pool(), frame);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(rte_ring_enqueue(port.rx[queue], m), 0);
    }
    void poll_all(int rounds = 2) {
        for (int r = 0; r < rounds; ++r)
            for (uint16_t w = 0; w < gw_->worker_count(); ++w) gw_->worker(w).poll_once();
    }
    uint64_t drops(DropReason r) {
        uint64_t n = 0;
        for (uint16_t w = 0; w < gw_->worker_count(); ++w) n += gw_->stats(w).drops[static_cast<size_t>(r)].get();
        return n;
    }
    uint64_t all_drops() {
        uint64_t n = 0;
        for (uint16_t w = 0; w < gw_->worker_count(); ++w) {
            for (auto& c : gw_->stats(w).drops) n += c.get();
            for (auto& c : gw_->stats(w).app_drops) n += c.get();
        }
        return n;
    }
    L4Spec syn(uint16_t sport, uint8_t proto = IPPROTO_TCP) {
        L4Spec s;
        s.proto = proto;
        s.src_ip = ip4(kClient);
        s.dst_ip = ip4(kVip);
        s.src_port = sport;
        s.dst_port = proto == IPPROTO_TCP ? 80 : 53;
        s.dst_mac = client_mac_;
        s.payload = proto == IPPROTO_TCP ? "" : "query";
        return s;
    }
    // The backend's answer to a packet the gateway sent it.
    L4Spec answer(const Seen& to_backend, uint8_t flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) {
        L4Spec s;
        s.proto = to_backend.ip()->next_proto_id;
        s.src_ip = to_backend.ip()->dst_addr;
        s.dst_ip = to_backend.ip()->src_addr;
        s.src_port = rte_be_to_cpu_16(to_backend.tcp()->dst_port);
        s.dst_port = rte_be_to_cpu_16(to_backend.tcp()->src_port);
        s.tcp_flags = flags;
        s.src_mac = to_backend.eth()->dst_addr;
        s.dst_mac = to_backend.eth()->src_addr;
        s.payload = s.proto == IPPROTO_TCP ? "" : "answer";
        return s;
    }

    L6Spec syn6(uint16_t sport, uint8_t proto = IPPROTO_TCP) {
        L6Spec s;
        s.proto = proto;
        s.src_ip = ip6(kClient6);
        s.dst_ip = ip6(kVip6);
        s.src_port = sport;
        s.dst_port = proto == IPPROTO_TCP ? 80 : 53;
        s.dst_mac = client_mac_;
        s.payload = proto == IPPROTO_TCP ? "" : "query";
        return s;
    }
    L6Spec answer6(const Seen& to_backend, uint8_t flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) {
        L6Spec s;
        s.proto = to_backend.ip6()->proto;
        std::memcpy(s.src_ip.data(), to_backend.ip6()->dst_addr, 16);
        std::memcpy(s.dst_ip.data(), to_backend.ip6()->src_addr, 16);
        s.src_port = rte_be_to_cpu_16(to_backend.tcp6()->dst_port);
        s.dst_port = rte_be_to_cpu_16(to_backend.tcp6()->src_port);
        s.tcp_flags = flags;
        s.src_mac = to_backend.eth()->dst_addr;
        s.dst_mac = to_backend.eth()->src_addr;
        s.payload = s.proto == IPPROTO_TCP ? "" : "answer";
        return s;
    }
    static Ip6Bytes addr_of(const uint8_t* p) {
        Ip6Bytes a;
        std::memcpy(a.data(), p, 16);
        return a;
    }

    uint32_t worker_stall_ms_ = 1000;  // set before start()
    std::unique_ptr<RingPort> client_, backend_;
    std::unique_ptr<Gateway> gw_;
    rte_ether_addr client_mac_{}, backend_mac_{};
};

}  // namespace svcnat::dpdk::pipeline
