#include "snat_pool.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "bytes.hpp"

namespace svcnat::dpdk {

template <typename Addr>
SnatPool<Addr>::SnatPool(const Config& config) : config_(config) {
    if (config.addrs.empty()) throw std::invalid_argument("snat pool: no SNAT address");
    auto sorted = config.addrs;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        throw std::invalid_argument("snat pool: duplicate SNAT address");
    if (config.port_first == 0 || config.port_first > config.port_last)
        throw std::invalid_argument("snat pool: invalid port range " + std::to_string(config.port_first) +
                                    "-" + std::to_string(config.port_last));
    ports_in_range_ = uint32_t{config.port_last} - config.port_first + 1;
    if (config.n_lcores == 0 || config.n_lcores > ports_in_range_)
        throw std::invalid_argument("snat pool: n_lcores must be 1.." + std::to_string(ports_in_range_));

    ports_per_addr_ = (ports_in_range_ + config.n_lcores - 1) / config.n_lcores;
    const uint32_t n_addrs = static_cast<uint32_t>(config.addrs.size());
    parts_.resize(config.n_lcores);
    for (auto& p : parts_) {
        p.held = std::make_unique<std::atomic<uint64_t>[]>((size_t{n_addrs} * ports_in_range_ + 63) / 64);
    }
    // Port-major, address-minor order: consecutive allocations on one lcore
    // alternate between addresses, spreading flows over them.
    for (uint32_t port = config.port_first; port <= config.port_last; ++port) {
        Partition& p = parts_[owner_lcore_of_port(static_cast<uint16_t>(port), config.n_lcores)];
        for (uint32_t a = 0; a < n_addrs; ++a) p.ring.push_back(lease_id(a, static_cast<uint16_t>(port)));
    }
    for (auto& p : parts_) p.count = static_cast<uint32_t>(p.ring.size());
}

template <typename Addr>
std::optional<SnatLease<Addr>> SnatPool<Addr>::allocate(uint16_t lcore) noexcept {
    if (lcore >= parts_.size()) return std::nullopt;
    Partition& p = parts_[lcore];
    if (p.count == 0) {
        ++p.exhausted;
        return std::nullopt;
    }
    const uint32_t id = p.ring[p.head];
    p.head = p.head + 1 == p.ring.size() ? 0 : p.head + 1;
    --p.count;
    p.set_held(id, true);
    // One division for both the address and the port.
    const uint32_t addr_index = id / ports_in_range_;
    return Lease{config_.addrs[addr_index],
                 static_cast<uint16_t>(config_.port_first + (id - addr_index * ports_in_range_))};
}

template <typename Addr>
bool SnatPool<Addr>::release(uint16_t lcore, const Lease& lease) noexcept {
    if (lcore >= parts_.size()) return false;
    if (lease.port < config_.port_first || lease.port > config_.port_last) return false;
    if (owner_lcore_of_port(lease.port, n_lcores()) != lcore) return false;
    const auto it = std::find(config_.addrs.begin(), config_.addrs.end(), lease.addr);
    if (it == config_.addrs.end()) return false;
    const auto addr_index = static_cast<uint32_t>(it - config_.addrs.begin());
    const uint32_t id = lease_id(addr_index, lease.port);
    Partition& p = parts_[lcore];
    if (!p.is_held(id)) return false;
    p.set_held(id, false);
    // The ring holds every lease of the partition, so it never overflows:
    // the tail slot is free whenever a lease is out.
    const uint32_t size = static_cast<uint32_t>(p.ring.size());
    p.ring[(p.head + p.count) % size] = id;
    ++p.count;
    return true;
}

template <typename Addr>
uint32_t SnatPool<Addr>::available(uint16_t lcore) const noexcept {
    return lcore < parts_.size() ? parts_[lcore].count : 0;
}

template <typename Addr>
uint32_t SnatPool<Addr>::in_use(uint32_t addr_index) const noexcept {
    if (addr_index >= config_.addrs.size()) return 0;
    // The address's ids are [first, last) in every partition's bitmap.
    const uint32_t first = addr_index * ports_in_range_, last = first + ports_in_range_;
    uint32_t n = 0;
    for (const auto& p : parts_) {
        for (uint32_t w = first / 64; w * 64 < last; ++w) {
            uint64_t bits = p.held[w].load(std::memory_order_relaxed);
            if (w * 64 < first) bits &= ~uint64_t{0} << (first % 64);
            if ((w + 1) * 64 > last) bits &= ~uint64_t{0} >> (64 - last % 64);
            n += static_cast<uint32_t>(std::popcount(bits));
        }
    }
    return n;
}

template <typename Addr>
uint32_t SnatPool<Addr>::capacity(uint16_t lcore) const noexcept {
    return lcore < parts_.size() ? static_cast<uint32_t>(parts_[lcore].ring.size()) : 0;
}

template <typename Addr>
uint64_t SnatPool<Addr>::exhausted(uint16_t lcore) const noexcept {
    return lcore < parts_.size() ? parts_[lcore].exhausted : 0;
}

template class SnatPool<Ip4>;
template class SnatPool<Ip6>;

}  // namespace svcnat::dpdk
