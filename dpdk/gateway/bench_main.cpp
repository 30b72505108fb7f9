// svcnat-gateway-bench: the real pipeline (Gateway + Worker::poll_once) on
// net_ring ports, timed per lcore. Run by scripts/bench-gateway.
//
//   established: F flows are opened once; then every packet the gateway
//     transmits is reflected (IP/port/MAC swap, TTL restored, like testpmd's
//     macswap on the far side) into the same port's rx ring, so client
//     packets become backend replies and replies become client packets:
//     half the work is client->backend, half backend->client.
//   new flows: every packet is a SYN from a fresh client address:port.
// Only the time inside poll_once() is counted; the reflector/generator runs
// on the same lcore between polls and is reported separately.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

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

uint32_t be_ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return rte_cpu_to_be_32((a << 24) | (b << 16) | (c << 8) | d); }

struct Port {
    std::string name;
    rte_ring* rx;
    rte_ring* tx;
};

Port ring_port(const std::string& n) {
    Port p;
    p.rx = rte_ring_create((n + "rx").c_str(), 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((n + "tx").c_str(), 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    int id = rte_eth_from_rings(n.c_str(), &p.rx, 1, &p.tx, 1, 0);
    char dev[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), dev);
    p.name = dev;
    return p;
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

// One client-facing and one backend-facing net_ring port, a LoadBalancer
// VIP with 16 backends (static neighbours), 16 SNAT addresses: about a
// million concurrent flows for the new-flow test.
struct Bench {
    Port client = ring_port("bc"), backend = ring_port("bb");
    std::unique_ptr<Gateway> gw;
    uint32_t vip = be_ip(198, 51, 100, 10);
    uint64_t hz = rte_get_tsc_hz();
    rte_mbuf* burst[kBurst];

    bool start() {
        GatewayConfig cfg;
        cfg.ports.push_back(parse_port_spec("name=client,device=" + client.name + ",role=client,ip=192.0.2.1/24"));
        cfg.ports.push_back(parse_port_spec("name=backend,device=" + backend.name + ",role=backend,ip=10.0.0.1/16"));
        for (int i = 1; i <= 16; ++i) cfg.snat_addresses.push_back(IPAddr::v4((10u << 24) | (1u << 8) | i));
        ServiceState state;
        ResolvedServicePort sp;
        sp.ns = "bench";
        sp.name = "web";
        sp.port = 80;
        sp.type = ServiceType::LoadBalancer;
        sp.loadBalancerIPs.push_back(*IPAddr::parse("198.51.100.10"));
        for (int i = 0; i < 16; ++i) {
            ResolvedEndpoint e;
            e.ip = IPAddr::v4((10u << 24) | (2u << 8) | (10 + i));
            e.port = 8080;
            sp.endpoints.push_back(e);
            cfg.neighbors.push_back({e.ip, {0x02, 0, 0, 0, 0xbe, static_cast<uint8_t>(i)}});
        }
        state.ports.push_back(sp);
        cfg.settings.manifests = {"bench"};
        cfg.flows_per_lcore = 1u << 20;
        cfg.mbufs = 65535;
        cfg.rx_descriptors = 1024;
        cfg.tx_descriptors = 1024;
        gw = Gateway::create(cfg, 1);
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
            while (rte_ring_dequeue(p->rx, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            while (rte_ring_dequeue(p->tx, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
    }

    // `flows` TCP flows opened, then every transmitted packet comes back
    // reflected for `seconds`: the established rate.
    void established(double seconds, uint32_t flows) {
        Worker& w = worker();
        for (uint32_t f = 0; f < flows; ++f) {
            rte_mbuf* m = rte_pktmbuf_alloc(gw->pool());
            write_tcp(m, be_ip(192, 0, 2, static_cast<uint32_t>(10 + f / 60000)), vip,
                      static_cast<uint16_t>(1024 + f % 60000), 80, RTE_TCP_SYN_FLAG, gw_mac());
            while (rte_ring_enqueue(client.rx, m) != 0) {
                w.poll_once();
                unsigned k;
                while ((k = rte_ring_dequeue_burst(backend.tx, reinterpret_cast<void**>(burst), kBurst, nullptr)) > 0)
                    rte_pktmbuf_free_bulk(burst, k);
            }
        }
        Result est;
        const uint64_t start = rte_get_tsc_cycles(), end = start + static_cast<uint64_t>(seconds * hz);
        uint64_t reflected = 0;
        while (rte_get_tsc_cycles() < end) {
            const uint64_t t0 = rte_get_tsc_cycles();
            est.packets += w.poll_once();
            est.cycles += rte_get_tsc_cycles() - t0;
            for (Port* p : {&client, &backend}) {
                const unsigned k = rte_ring_dequeue_burst(p->tx, reinterpret_cast<void**>(burst), kBurst, nullptr);
                for (unsigned i = 0; i < k; ++i) reflect(burst[i]);
                const unsigned q = rte_ring_enqueue_burst(p->rx, reinterpret_cast<void**>(burst), k, nullptr);
                if (q < k) rte_pktmbuf_free_bulk(burst + q, k - q);
                reflected += k;
            }
        }
        report("established", est, static_cast<double>(rte_get_tsc_cycles() - start) / hz);
        std::printf("established: flows=%u reflected=%lu drops_no_flow=%lu\n", flows,
                    static_cast<unsigned long>(reflected),
                    static_cast<unsigned long>(gw->stats(0).drops[static_cast<size_t>(DropReason::NoFlow)].get()));
        drain();
    }

    // SYNs from fresh tuples for `seconds` (untimed when `timed` is null).
    void syn_pass(double seconds, Result* timed, uint32_t salt) {
        constexpr uint32_t kMaxNew = 900000;  // within the SNAT pool and flow table
        Worker& w = worker();
        uint32_t next = 0;
        const uint64_t pass_end = rte_get_tsc_cycles() + static_cast<uint64_t>(seconds * hz);
        while (next < kMaxNew && (timed == nullptr || rte_get_tsc_cycles() < pass_end)) {
            if (rte_pktmbuf_alloc_bulk(gw->pool(), burst, kBurst) != 0) break;
            for (unsigned i = 0; i < kBurst; ++i, ++next)
                write_tcp(burst[i], be_ip(203, 0, 113, 1 + (next / 60000 + salt) % 250), vip,
                          static_cast<uint16_t>(1024 + next % 60000), 80, RTE_TCP_SYN_FLAG, gw_mac());
            rte_ring_enqueue_burst(client.rx, reinterpret_cast<void**>(burst), kBurst, nullptr);
            const uint64_t t0 = rte_get_tsc_cycles();
            const uint32_t got = w.poll_once();
            if (timed != nullptr) {
                timed->packets += got;
                timed->cycles += rte_get_tsc_cycles() - t0;
            }
            const unsigned k = rte_ring_dequeue_burst(backend.tx, reinterpret_cast<void**>(burst), kBurst, nullptr);
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
        for (uint32_t i = 0; i < 2 * table.capacity() / 64 + 2 && table.size() > 0; ++i) w.poll_once();
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

// `svcnat-gateway-bench [EAL options] -- [SECONDS] [FLOWS]`: the worker's
// pipeline on net_ring ports, timed in TSC cycles spent in the worker.
int main(int argc, char** argv) {
    const int n = rte_eal_init(argc, argv);
    if (n < 0) return 1;
    argc -= n;
    argv += n;
    const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    const uint32_t flows = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 4096;
    int rc = 1;
    {
        Bench bench;
        if (bench.start()) {
            bench.established(seconds, flows);
            bench.new_flows(seconds);
            rc = 0;
        }
    }
    rte_eal_cleanup();
    return rc;
}
