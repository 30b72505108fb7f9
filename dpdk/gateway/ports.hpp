// Ethernet port bring-up: find each configured device, give every worker
// lcore its own rx and tx queue (the same count, so that net_af_packet's
// qpairs=N fits), enable RSS and offloads the device has, and start it.
#pragma once

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dpdk/core/inet.hpp"
#include "control/config/gateway_settings.hpp"

namespace svcnat::dpdk {

struct PortRuntime {
    uint16_t port_id = 0;
    std::string name;
    rte_ether_addr mac{};
    // The port's own addresses; 0 / all-zero when it has none of that family.
    Ip4 ip4 = 0;
    Ip6 ip6{};
    bool has_ip4 = false, has_ip6 = false;
    bool is_own(const Ip4& a) const { return has_ip4 && a == ip4; }
    bool is_own(const Ip6& a) const { return has_ip6 && a == ip6; }
    uint16_t rx_queues = 0;
    uint16_t tx_queues = 0;      // one per worker (the main lcore sends through worker 0)
    bool rss = false;            // replies may land on any queue: steer in software
    uint64_t tx_offloads = 0;    // what was enabled
    std::string driver;
    // net_af_packet's kernel interface (its `iface=` argument), else "".
    std::string kernel_iface;
};

// Throws std::runtime_error naming the device on failure.
std::vector<PortRuntime> setup_ports(const GatewaySettings& cfg, uint16_t workers, rte_mempool* pool);

void stop_ports(const std::vector<PortRuntime>& ports);

// Does the port have link? The device's link status, without waiting; for
// net_af_packet, which reports "up" from start to stop whatever its kernel
// interface does (DPDK 22.11), the kernel interface's carrier. Any thread.
bool port_link_up(const PortRuntime& port);

}  // namespace svcnat::dpdk
