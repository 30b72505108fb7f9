#include "gateway_health.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "gateway.hpp"

namespace svcnat::dpdk {

std::vector<std::string> worker_stalls(const std::vector<uint64_t>& last_poll_tsc, uint64_t now_tsc,
                                       uint64_t tsc_hz, uint32_t stall_ms) {
    std::vector<std::string> out;
    const uint64_t limit = tsc_hz / 1000 * stall_ms;
    for (size_t w = 0; w < last_poll_tsc.size(); ++w) {
        const uint64_t last = last_poll_tsc[w];
        if (last == 0) {
            out.push_back("worker " + std::to_string(w) + ": not polling yet");
        } else if (now_tsc > last && now_tsc - last > limit) {
            // A TSC read on another core may be a little behind ours: only
            // an age beyond the limit counts.
            out.push_back("worker " + std::to_string(w) + ": no poll for " +
                          std::to_string((now_tsc - last) / (tsc_hz / 1000)) + " ms (limit " +
                          std::to_string(stall_ms) + " ms)");
        }
    }
    return out;
}

DataPathHealth gateway_health(const Gateway& gw) {
    DataPathHealth h;
    for (const PortRuntime& p : gw.ports()) {
        if (!port_link_up(p)) {
            h.ok = false;
            h.problems.push_back("port " + p.name + ": link down");
        }
    }
    std::vector<uint64_t> polls;
    for (uint16_t w = 0; w < gw.worker_count(); ++w) polls.push_back(gw.stats(w).last_poll_tsc.get());
    for (auto& problem : worker_stalls(polls, rte_get_tsc_cycles(), rte_get_tsc_hz(), gw.config().worker_stall_ms)) {
        h.ok = h.alive = false;
        h.problems.push_back(std::move(problem));
    }
    return h;
}

}  // namespace svcnat::dpdk
