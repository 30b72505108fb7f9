// svcnat-gateway-bench: the real pipeline (Gateway + Worker::poll_once) on
// net_ring ports, timed per lcore. Run by scripts/bench-gateway.
//
//   established (IPv4) and established6 (IPv6): F flows are opened once;
//     then every packet the gateway transmits is reflected (IP/port/MAC
//     swap, TTL restored, like testpmd's macswap on the far side) into the
//     same port's rx ring, so client packets become backend replies and
//     replies become client packets: half the work is client->backend, half
//     backend->client.
//   new flows: every packet is a SYN from a fresh client address:port.
// Only the time inside poll_once() is counted; the reflector/generator runs
// on the same lcore between polls and is reported separately.
//
// With WORKERS > 1 (one lcore each, the main lcore is worker 0) every port
// has one rx/tx ring pair per worker and each lcore runs the established
// tests on its own queue at the same time: flows opened on a worker get SNAT
// ports of its partition, so their replies come back to it (no hand-off),
// as RSS or flow steering would deliver them on a NIC.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dpdk/core/checksum.hpp"
#include "gateway.hpp"
#include "worker.hpp"

namespace {

using namespace svcnat;
using namespace svcnat::dpdk;
using Gateway = svcnat::dpdk::Gateway;  // not the Gateway API object (control/model)

uint32_t be_ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return rte_cpu_to_be_32((a << 24) | (b << 16) | (c << 8) | d); }

// A net_ring port with one rx/tx ring pair per worker (queue w = worker w).
struct Port {
    std::string name;
    std::vector<rte_ring*> rx, tx;
};

Port ring_port(const std::string& n, uint16_t queues) {
    Port p;
    for (uint16_t q = 0; q < queues; ++q) {
        const std::string qn = n + std::to_string(q);
        p.rx.push_back(rte_ring_create((qn + "rx").c_str(), 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
        p.tx.push_back(rte_ring_create((qn + "tx").c_str(), 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    }
    int id = rte_eth_from_rings(n.c_str(), p.rx.data(), queues, p.tx.data(), queues, 0);
    char dev[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), dev);
    p.name = dev;
    return p;
}

using Ip6Bytes = std::array<uint8_t, 16>;

Ip6Bytes ip6_of(const char* prefix, uint32_t low) {
    Ip6Bytes a = *reinterpret_cast<const Ip6Bytes*>(IPAddr::parse(prefix)->bytes.data());
    a[12] = static_cast<uint8_t>(low >> 24);
    a[13] = static_cast<uint8_t>(low >> 16);
    a[14] = static_cast<uint8_t>(low >> 8);
    a[15] = static_cast<uint8_t>(low);
    return a;
}

// Writes a TCP/IPv6 frame (valid checksum) into m.
void write_tcp6(rte_mbuf* m, const Ip6Bytes& src, const Ip6Bytes& dst, uint16_t sport, uint16_t dport,
                uint8_t flags, const rte_ether_addr& dmac) {
    rte_pktmbuf_reset(m);
    constexpr uint16_t kLen = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(rte_tcp_hdr);
    char* data = rte_pktmbuf_append(m, kLen);
    if (data == nullptr) return;  // never: a fresh mbuf holds 2 KiB
    std::memset(data, 0, kLen);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(data);
    eth->dst_addr = dmac;
    eth->src_addr = rte_ether_addr{{0x02, 0, 0, 0, 0, 0xc1}};
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(sizeof(rte_tcp_hdr));
    ip->proto = IPPROTO_TCP;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, src.data(), 16);
    std::memcpy(ip->dst_addr, dst.data(), 16);
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    tcp->src_port = rte_cpu_to_be_16(sport);
    tcp->dst_port = rte_cpu_to_be_16(dport);
    tcp->data_off = 5 << 4;
    tcp->tcp_flags = flags;
    tcp->rx_win = 0xffff;
    tcp->cksum = rte_ipv6_udptcp_cksum(ip, tcp);
}

// reflect() for IPv6: the swap keeps the checksum valid, the hop limit is
// not covered by one.
void reflect6(rte_mbuf* m) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    const rte_ether_addr t = eth->src_addr;
    eth->src_addr = eth->dst_addr;
    eth->dst_addr = t;
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    uint8_t a[16];
    std::memcpy(a, ip->src_addr, 16);
    std::memcpy(ip->src_addr, ip->dst_addr, 16);
    std::memcpy(ip->dst_addr, a, 16);
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    const uint16_t port = tcp->src_port;
    tcp->src_port = tcp->dst_port;
    tcp->dst_port = port;
    ip->hop_limits = 64;
    // SYN -> ACK changes the flags word: patch the checksum for it.
    const uint16_t old_word = static_cast<uint16_t>(tcp->data_off << 8 | tcp->tcp_flags);
    tcp->tcp_flags = RTE_TCP_ACK_FLAG;
    const uint16_t new_word = static_cast<uint16_t>(tcp->data_off << 8 | tcp->tcp_flags);
    tcp->cksum = rte_cpu_to_be_16(checksum_update16(rte_be_to_cpu_16(tcp->cksum), old_word, new_word));
}

// Writes a TCP/IPv4 frame (valid checksums) into m.
void write_tcp(rte_mbuf* m, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
               const rte_ether_addr& dmac) {
    rte_pktmbuf_reset(m);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, 60));
    std::memset(eth, 0, 60);
    eth->dst_addr = dmac;
    eth->src_addr = rte_ether_addr{{0x02, 0, 0, 0, 0, 0xc1}};
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(46);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = src;
    ip->dst_addr = dst;
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    tcp->src_port = rte_cpu_to_be_16(sport);
    tcp->dst_port = rte_cpu_to_be_16(dport);
    tcp->data_off = 5 << 4;
    tcp->tcp_flags = flags;
    tcp->rx_win = 0xffff;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

// The far side of the wire: swap addresses, ports and MACs (checksums stay
// valid: the one's-complement sum does not depend on order) and undo the
// gateway's TTL decrement.
void reflect(rte_mbuf* m) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    rte_ether_addr t = eth->src_addr;
    eth->src_addr = eth->dst_addr;
    eth->dst_addr = t;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    uint32_t a = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = a;
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    uint16_t p = tcp->src_port;
    tcp->src_port = tcp->dst_port;
    tcp->dst_port = p;
    const uint16_t old_word = static_cast<uint16_t>(ip->time_to_live << 8 | ip->next_proto_id);
    ip->time_to_live = 64;
    const uint16_t new_word = static_cast<uint16_t>(ip->time_to_live << 8 | ip->next_proto_id);
    ip->hdr_checksum = rte_cpu_to_be_16(checksum_update16(rte_be_to_cpu_16(ip->hdr_checksum), old_word, new_word));
    tcp->tcp_flags = RTE_TCP_ACK_FLAG;
}

struct Result {
    uint64_t packets = 0;
    uint64_t cycles = 0;
};

void report(const char* name, const Result& r, double wall_s) {
    const double hz = static_cast<double>(rte_get_tsc_hz());
    const double gw_s = static_cast<double>(r.cycles) / hz;
    std::printf("%s: packets=%lu gateway_time_s=%.3f wall_s=%.3f mpps_per_lcore=%.2f ns_per_packet=%.1f\n", name,
                static_cast<unsigned long>(r.packets), gw_s, wall_s, r.packets / gw_s / 1e6, gw_s * 1e9 / r.packets);
}

// One client-facing and one backend-facing net_ring port, a dual-stack
// LoadBalancer service (an IPv4 and an IPv6 VIP) with 16 backends per
// family (static neighbours), 16 SNAT addresses per family: about a million
// concurrent flows for the new-flow test.
// A port spec the benchmark writes itself: a mistake is the benchmark's.
PortConfig port_of(const std::string& spec) {
    std::string error;
    auto p = parse_port_spec(spec, &error);
    if (!p) throw std::runtime_error("port " + spec + ": " + error);
    return *p;
}

struct Bench {
    uint16_t workers;
    Port client, backend;
    std::unique_ptr<Gateway> gw;
    uint32_t vip = be_ip(198, 51, 100, 10);
    Ip6Bytes vip6 = ip6_of("2001:db8:f00::", 0x10);
    uint64_t hz = rte_get_tsc_hz();

    explicit Bench(uint16_t w) : workers(w), client(ring_port("bc", w)), backend(ring_port("bb", w)) {}

    bool start(uint32_t flows) {
        GatewaySettings cfg;
        cfg.ports.push_back(port_of("name=client,device=" + client.name +
                                            ",role=client,ip=192.0.2.1/24,ip=2001:db8:1::1/64"));
        cfg.ports.push_back(port_of("name=backend,device=" + backend.name +
                                            ",role=backend,ip=10.0.0.1/16,ip=2001:db8:2::1/64"));
        for (int i = 1; i <= 16; ++i) {
            cfg.snat_addresses.push_back(IPAddr::v4((10u << 24) | (1u << 8) | i));
            cfg.snat_addresses.push_back(*IPAddr::parse(("2001:db8:2::1:" + std::to_string(i)).c_str()));
        }
        ServiceState state;
        ResolvedServicePort sp;
        sp.ns = "bench";
        sp.name = "web";
        sp.port = 80;
        sp.type = ServiceType::LoadBalancer;
        sp.loadBalancerIPs.push_back(*IPAddr::parse("198.51.100.10"));
        sp.loadBalancerIPs.push_back(*IPAddr::parse("2001:db8:f00::10"));
        for (int i = 0; i < 16; ++i) {
            ResolvedEndpoint e;
            e.ip = IPAddr::v4((10u << 24) | (2u << 8) | (10 + i));
            e.port = 8080;
            sp.endpoints.push_back(e);
            cfg.neighbors.push_back({e.ip, {0x02, 0, 0, 0, 0xbe, static_cast<uint8_t>(i)}});
            e.ip = *IPAddr::parse(("2001:db8:2::2:" + std::to_string(10 + i)).c_str());
            sp.endpoints.push_back(e);
            cfg.neighbors.push_back({e.ip, {0x02, 0, 0, 0, 0xb6, static_cast<uint8_t>(i)}});
        }
        state.ports.push_back(sp);
        // One worker: room for the new-flow test; several: the established
        // flows only (the tables' memory is per worker).
        cfg.flows_per_lcore = workers == 1 ? 1u << 20 : std::max<uint32_t>(4 * flows, 1u << 16);
        cfg.mbufs = 65535;
        cfg.rx_descriptors = 1024;
        cfg.tx_descriptors = 1024;
        gw = Gateway::create(cfg, workers);
        std::string err;
        if (!gw->install(state, &err)) {
            std::fprintf(stderr, "%s\n", err.c_str());
            return false;
        }
        return true;
    }

    Worker& worker() { return gw->worker(0); }
    rte_ether_addr gw_mac() const { return gw->ports()[0].mac; }

    void drain() {
        for (Port* p : {&client, &backend}) {
            void* m = nullptr;
            for (rte_ring* r : p->rx)
                while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            for (rte_ring* r : p->tx)
                while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
    }

    // Opens `flows` TCP flows of one family on worker w's queue (SYNs from
    // distinct client ports; the far side's answers are discarded).
    void open_flows(uint16_t w, uint32_t flows, bool v6) {
        Worker& wk = gw->worker(w);
        rte_mbuf* burst[kBurst];
        for (uint32_t f = 0; f < flows; ++f) {
            rte_mbuf* m = rte_pktmbuf_alloc(gw->pool());
            const uint32_t client_no = 10 + w * 64 + f / 60000;
            const auto sport = static_cast<uint16_t>(1024 + f % 60000);
            if (v6)
                write_tcp6(m, ip6_of("2001:db8:c::", client_no), vip6, sport, 80, RTE_TCP_SYN_FLAG, gw_mac());
            else
                write_tcp(m, be_ip(192, 0, 2, client_no), vip, sport, 80, RTE_TCP_SYN_FLAG, gw_mac());
            while (rte_ring_enqueue(client.rx[w], m) != 0) {
                wk.poll_once();
                unsigned k;
                while ((k = rte_ring_dequeue_burst(backend.tx[w], reinterpret_cast<void**>(burst), kBurst,
                                                   nullptr)) > 0)
                    rte_pktmbuf_free_bulk(burst, k);
            }
        }
        for (int i = 0; i < 4; ++i) wk.poll_once();
        for (rte_ring* r : {backend.tx[w], client.tx[w]}) {
            unsigned k;
            while ((k = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(burst), kBurst, nullptr)) > 0)
                rte_pktmbuf_free_bulk(burst, k);
        }
    }

    // Worker w for `seconds`: every packet it transmits comes back
    // reflected on its own queue. Only time inside poll_once() counts.
    Result reflect_loop(uint16_t w, double seconds, bool v6, uint64_t* reflected) {
        Worker& wk = gw->worker(w);
        rte_mbuf* burst[kBurst];
        Result r;
        const uint64_t end = rte_get_tsc_cycles() + static_cast<uint64_t>(seconds * hz);
        while (rte_get_tsc_cycles() < end) {
            const uint64_t t0 = rte_get_tsc_cycles();
            r.packets += wk.poll_once();
            r.cycles += rte_get_tsc_cycles() - t0;
            for (Port* p : {&client, &backend}) {
                const unsigned k = rte_ring_dequeue_burst(p->tx[w], reinterpret_cast<void**>(burst), kBurst, nullptr);
                for (unsigned i = 0; i < k; ++i) v6 ? reflect6(burst[i]) : reflect(burst[i]);
                const unsigned q = rte_ring_enqueue_burst(p->rx[w], reinterpret_cast<void**>(burst), k, nullptr);
                if (q < k) rte_pktmbuf_free_bulk(burst + q, k - q);
                *reflected += k;
            }
        }
        return r;
    }

    // `flows` TCP flows opened per worker, then every transmitted packet
    // comes back reflected for `seconds`, on every worker's lcore at once:
    // the established rate, per lcore and in total.
    void established(double seconds, uint32_t flows, bool v6) {
        const char* name = v6 ? "established6" : "established";
        for (uint16_t w = 0; w < workers; ++w) open_flows(w, flows, v6);
        struct Lane {
            Bench* b;
            uint16_t w;
            double seconds;
            bool v6;
            std::atomic<bool>* go;
            Result r;
            uint64_t reflected = 0;
        };
        std::atomic<bool> go{false};
        std::vector<Lane> lanes;
        for (uint16_t w = 0; w < workers; ++w) lanes.push_back({this, w, seconds, v6, &go, {}, 0});
        auto run = [](void* arg) -> int {
            auto* l = static_cast<Lane*>(arg);
            while (!l->go->load(std::memory_order_acquire)) rte_pause();
            l->r = l->b->reflect_loop(l->w, l->seconds, l->v6, &l->reflected);
            return 0;
        };
        unsigned lcore = rte_get_main_lcore();
        for (uint16_t w = 1; w < workers; ++w) {
            lcore = rte_get_next_lcore(lcore, 1, 0);
            rte_eal_remote_launch(run, &lanes[w], lcore);
        }
        const uint64_t start = rte_get_tsc_cycles();
        go.store(true, std::memory_order_release);
        run(&lanes[0]);
        rte_eal_mp_wait_lcore();
        const double wall = static_cast<double>(rte_get_tsc_cycles() - start) / hz;
        Result total;
        uint64_t reflected = 0, no_flow = 0;
        for (const Lane& l : lanes) {
            if (workers > 1) report((std::string(name) + "_lcore" + std::to_string(l.w)).c_str(), l.r, wall);
            total.packets += l.r.packets;
            total.cycles += l.r.cycles;
            reflected += l.reflected;
            no_flow += gw->stats(l.w).drops[static_cast<size_t>(DropReason::NoFlow)].get();
        }
        // Per lcore: packets over the summed worker time; in total: over the wall clock.
        report(name, total, wall);
        std::printf("%s: lcores=%u flows_per_lcore=%u total_mpps=%.2f reflected=%lu drops_no_flow=%lu\n", name,
                    workers, flows, total.packets / wall / 1e6, static_cast<unsigned long>(reflected),
                    static_cast<unsigned long>(no_flow));
        drain();
    }

    // SYNs from fresh tuples for `seconds` (untimed when `timed` is null).
    void syn_pass(double seconds, Result* timed, uint32_t salt) {
        constexpr uint32_t kMaxNew = 900000;  // within the SNAT pool and flow table
        Worker& w = worker();
        rte_mbuf* burst[kBurst];
        uint32_t next = 0;
        const uint64_t pass_end = rte_get_tsc_cycles() + static_cast<uint64_t>(seconds * hz);
        while (next < kMaxNew && (timed == nullptr || rte_get_tsc_cycles() < pass_end)) {
            if (rte_pktmbuf_alloc_bulk(gw->pool(), burst, kBurst) != 0) break;
            for (unsigned i = 0; i < kBurst; ++i, ++next)
                write_tcp(burst[i], be_ip(203, 0, 113, 1 + (next / 60000 + salt) % 250), vip,
                          static_cast<uint16_t>(1024 + next % 60000), 80, RTE_TCP_SYN_FLAG, gw_mac());
            rte_ring_enqueue_burst(client.rx[0], reinterpret_cast<void**>(burst), kBurst, nullptr);
            const uint64_t t0 = rte_get_tsc_cycles();
            const uint32_t got = w.poll_once();
            if (timed != nullptr) {
                timed->packets += got;
                timed->cycles += rte_get_tsc_cycles() - t0;
            }
            const unsigned k = rte_ring_dequeue_burst(backend.tx[0], reinterpret_cast<void**>(burst), kBurst, nullptr);
            rte_pktmbuf_free_bulk(burst, k);
        }
    }

    // Without hugepages DPDK hands out fresh anonymous memory and skips
    // zeroing it, so the first use of each flow-table page costs a page
    // fault in the data path. A running gateway has touched its tables long
    // ago: warm them with one untimed pass, then expire everything.
    void new_flows(double seconds) {
        syn_pass(seconds, nullptr, 0);
        Worker& w = worker();
        FlowTable4& table = w.flows<Ip4>();
        for (uint32_t i = 0; i < table.capacity(); ++i) table.at(i).last_seen_ms = 0;
        // The sweep visits the whole table once per flow_sweep_ms of polling.
        const uint64_t deadline =
            rte_get_tsc_cycles() + (2 * gw->config().flow_sweep_ms + 1000) * hz / 1000;
        while (table.size() > 0 && rte_get_tsc_cycles() < deadline) w.poll_once();
        std::printf("new_flows: warm-up pass done, %u flows left after expiry\n", table.size());
        Result syn;
        const uint64_t new_before = gw->stats(0).new_flows.get();
        const uint64_t start = rte_get_tsc_cycles();
        syn_pass(seconds, &syn, 100);
        report("new_flows", syn, static_cast<double>(rte_get_tsc_cycles() - start) / hz);
        std::printf("new_flows: created=%lu snat_exhausted=%lu table_full=%lu\n",
                    static_cast<unsigned long>(gw->stats(0).new_flows.get() - new_before),
                    static_cast<unsigned long>(gw->stats(0).snat_exhausted.get()),
                    static_cast<unsigned long>(gw->stats(0).drops[static_cast<size_t>(DropReason::FlowTableFull)].get()));
    }
};

}  // namespace

// `svcnat-gateway-bench [EAL options] -- [SECONDS] [FLOWS] [WORKERS] [TESTS]`:
// the worker's pipeline on net_ring ports, timed in TSC cycles spent in the
// worker. WORKERS (default 1) must not exceed the EAL lcores (-l). TESTS: a
// comma list of established, established6, new_flows (default: all), e.g.
// to profile one of them under `perf stat`.
int main(int argc, char** argv) {
    const int n = rte_eal_init(argc, argv);
    if (n < 0) return 1;
    argc -= n;
    argv += n;
    const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    const uint32_t flows = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 4096;
    const auto workers = static_cast<uint16_t>(argc > 3 ? std::atoi(argv[3]) : 1);
    if (workers == 0 || workers > rte_lcore_count()) {
        std::fprintf(stderr, "WORKERS must be 1..%u (the EAL lcores)\n", rte_lcore_count());
        rte_eal_cleanup();
        return 2;
    }
    const std::string tests = argc > 4 ? argv[4] : "established,established6,new_flows";
    auto wanted = [&](const std::string& t) { return ("," + tests + ",").find("," + t + ",") != std::string::npos; };
    int rc = 1;
    {
        Bench bench(workers);
        if (bench.start(flows)) {
            if (wanted("established")) bench.established(seconds, flows, false);
            if (wanted("established6")) bench.established(seconds, flows, true);
            if (workers == 1 && wanted("new_flows")) bench.new_flows(seconds);
            rc = 0;
        }
    }
    rte_eal_cleanup();
    return rc;
}
