#include "ports.hpp"

#include <net/if.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace svcnat::dpdk {

namespace {

[[noreturn]] void fail(const std::string& dev, const std::string& what, int rc) {
    throw std::runtime_error("port " + dev + ": " + what + ": " + rte_strerror(-rc));
}

// The `iface=` argument of a net_af_packet device, else "".
std::string af_packet_iface(const rte_eth_dev_info& info) {
    if (std::string_view(info.driver_name ? info.driver_name : "") != "net_af_packet" || info.device == nullptr)
        return "";
    const rte_devargs* da = rte_dev_devargs(info.device);
    if (da == nullptr || da->args == nullptr) return "";
    const std::string_view args = da->args;
    for (size_t pos = 0; pos < args.size();) {
        size_t comma = args.find(',', pos);
        if (comma == std::string_view::npos) comma = args.size();
        const std::string_view kv = args.substr(pos, comma - pos);
        if (kv.substr(0, 6) == "iface=") return std::string(kv.substr(6));
        pos = comma + 1;
    }
    return "";
}

}  // namespace

std::vector<PortRuntime> setup_ports(const GatewaySettings& cfg, uint16_t workers, rte_mempool* pool) {
    std::vector<PortRuntime> out;
    for (const PortConfig& pc : cfg.ports) {
        PortRuntime rt;
        rt.name = pc.name;
        rt.has_ip4 = pc.v4 && to_addr(pc.v4->ip, &rt.ip4);
        rt.has_ip6 = pc.v6 && to_addr(pc.v6->ip, &rt.ip6);
        int rc = rte_eth_dev_get_port_by_name(pc.device.c_str(), &rt.port_id);
        if (rc != 0)
            throw std::runtime_error("port " + pc.name + ": no DPDK device named '" + pc.device +
                                     "' (give it to EAL with -a or --vdev)");
        rte_eth_dev_info info{};
        rc = rte_eth_dev_info_get(rt.port_id, &info);
        if (rc != 0) fail(pc.name, "dev_info_get", rc);
        rt.driver = info.driver_name ? info.driver_name : "";
        rt.kernel_iface = af_packet_iface(info);
        rt.rx_queues = workers;
        rt.tx_queues = workers;
        if (info.max_rx_queues < rt.rx_queues || info.max_tx_queues < rt.tx_queues)
            throw std::runtime_error("port " + pc.name + ": needs " + std::to_string(rt.rx_queues) + " rx and " +
                                     std::to_string(rt.tx_queues) + " tx queues, device has " +
                                     std::to_string(info.max_rx_queues) + "/" + std::to_string(info.max_tx_queues) +
                                     " (net_af_packet: qpairs=N, net_ring: nodeaction with queues)");

        rte_eth_conf conf{};
        conf.rxmode.mtu = pc.mtu;
        // RSS spreads client flows across workers; replies to SNAT ports are
        // steered to their owner in software (rte_ring hand-off), which works
        // on every device, RSS or not.
        const uint64_t rss_wanted = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
        if (workers > 1 && (info.flow_type_rss_offloads & rss_wanted) != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & rss_wanted;
            rt.rss = true;
        }
        // Checksums are updated incrementally in software (cheaper than a
        // full recomputation and correct on every device); only fast-free is
        // worth asking for: all mbufs come from one pool, refcount 1.
        if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
        rt.tx_offloads = conf.txmode.offloads;

        rc = rte_eth_dev_configure(rt.port_id, rt.rx_queues, rt.tx_queues, &conf);
        if (rc != 0) fail(pc.name, "configure", rc);
        uint16_t nb_rx = cfg.rx_descriptors, nb_tx = cfg.tx_descriptors;
        rc = rte_eth_dev_adjust_nb_rx_tx_desc(rt.port_id, &nb_rx, &nb_tx);
        if (rc != 0) fail(pc.name, "adjust descriptors", rc);
        const int socket = rte_eth_dev_socket_id(rt.port_id);
        for (uint16_t q = 0; q < rt.rx_queues; ++q) {
            rc = rte_eth_rx_queue_setup(rt.port_id, q, nb_rx, socket, nullptr, pool);
            if (rc != 0) fail(pc.name, "rx queue " + std::to_string(q), rc);
        }
        rte_eth_txconf txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        for (uint16_t q = 0; q < rt.tx_queues; ++q) {
            rc = rte_eth_tx_queue_setup(rt.port_id, q, nb_tx, socket, &txconf);
            if (rc != 0) fail(pc.name, "tx queue " + std::to_string(q), rc);
        }
        if (pc.mac) {
            rte_ether_addr mac;
            memcpy(mac.addr_bytes, pc.mac->data(), 6);
            rc = rte_eth_dev_default_mac_addr_set(rt.port_id, &mac);
            if (rc != 0) fail(pc.name, "set MAC " + mac_str(*pc.mac), rc);
        }
        rc = rte_eth_dev_start(rt.port_id);
        if (rc != 0) fail(pc.name, "start", rc);
        // The gateway answers ARP for VIPs on behalf of nobody else's MAC, but
        // multicast/broadcast must come in; promiscuous keeps vdevs simple.
        rte_eth_promiscuous_enable(rt.port_id);
        rc = rte_eth_macaddr_get(rt.port_id, &rt.mac);
        if (rc != 0) fail(pc.name, "read MAC", rc);
        out.push_back(rt);
    }
    return out;
}

bool port_link_up(const PortRuntime& port) {
    if (!port.kernel_iface.empty()) {
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, port.kernel_iface.c_str(), IFNAMSIZ - 1);
        const bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
        close(fd);
        return ok && (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
    }
    rte_eth_link link{};
    return rte_eth_link_get_nowait(port.port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

void stop_ports(const std::vector<PortRuntime>& ports) {
    for (const auto& p : ports) {
        rte_eth_dev_stop(p.port_id);
        rte_eth_dev_close(p.port_id);
    }
}

}  // namespace svcnat::dpdk
