#include "flow_key.hpp"

#include "control/lb/hash.hpp"

namespace svcnat::dpdk {

uint64_t flow_hash(const FlowKey4& k) noexcept {
    return lb::stable_hash64(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&k), sizeof k), lb::kFlowHashSeed);
}

uint64_t flow_hash(const FlowKey6& k) noexcept {
    return lb::stable_hash64(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&k), sizeof k), lb::kFlowHashSeed);
}

}  // namespace svcnat::dpdk
