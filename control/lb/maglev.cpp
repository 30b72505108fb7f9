#include "maglev.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <unordered_set>

#include "hash.hpp"

namespace svcnat::lb {

std::string backend_identity(const IPAddr& ip, uint16_t port) {
    if (ip.is_v4()) return ip.str() + ":" + std::to_string(port);
    return "[" + ip.str() + "]:" + std::to_string(port);
}

bool is_prime(uint64_t n) {
    if (n < 2) return false;
    if (n % 2 == 0) return n == 2;
    for (uint64_t d = 3; d <= n / d; d += 2)
        if (n % d == 0) return false;
    return true;
}

namespace {

void validate(std::span<const MaglevBackend> backends, uint32_t table_size) {
    if (!is_prime(table_size))
        throw std::invalid_argument("maglev: table size " + std::to_string(table_size) +
                                    " is not prime");
    if (backends.size() > MaglevTable::kMaxBackends)
        throw std::invalid_argument("maglev: " + std::to_string(backends.size()) +
                                    " backends exceed the limit of " +
                                    std::to_string(MaglevTable::kMaxBackends));
    if (backends.size() > table_size)
        throw std::invalid_argument("maglev: " + std::to_string(backends.size()) +
                                    " backends do not fit a table of " +
                                    std::to_string(table_size) + " slots");
    std::unordered_set<std::string_view> seen;
    for (const auto& b : backends) {
        if (b.id.empty()) throw std::invalid_argument("maglev: backend with empty id");
        if (!seen.insert(b.id).second)
            throw std::invalid_argument("maglev: duplicate backend id " + b.id);
        if (b.weight > MaglevTable::kMaxWeight)
            throw std::invalid_argument("maglev: backend " + b.id + ": weight " +
                                        std::to_string(b.weight) + " exceeds " +
                                        std::to_string(MaglevTable::kMaxWeight));
    }
}

// One backend's walk along its permutation (offset + j·skip) mod M, generated
// on the fly instead of stored: N×M permutation entries would not fit in
// cache for 1000 backends.
struct Walker {
    uint32_t index;  // caller's backend index
    uint32_t weight;
    uint64_t offset;
    uint64_t skip;
    uint64_t next = 0;   // position j in the permutation
    uint64_t turns = 0;  // turns taken so far
};

// Turn order: backend a's (k+1)-th turn is at virtual time (k+1)/w_a.
// Compared by cross-multiplication (k < 2^32, w ≤ 2^20: no overflow); ties go
// to the lower rank in identity order, which makes equal weights the classic
// round robin of the paper.
struct LaterTurn {
    const std::vector<Walker>* walkers;
    bool operator()(uint32_t a, uint32_t b) const {
        const Walker& wa = (*walkers)[a];
        const Walker& wb = (*walkers)[b];
        const uint64_t ta = (wa.turns + 1) * wb.weight;
        const uint64_t tb = (wb.turns + 1) * wa.weight;
        if (ta != tb) return ta > tb;
        return a > b;
    }
};

}  // namespace

MaglevTable MaglevTable::build(std::span<const MaglevBackend> backends, uint32_t table_size) {
    validate(backends, table_size);
    MaglevTable table;
    table.size_ = table_size;

    // Rank by identity so the result does not depend on the caller's order.
    std::vector<uint32_t> order(backends.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return backends[a].id < backends[b].id; });

    const uint64_t m = table_size;
    std::vector<Walker> walkers;
    walkers.reserve(backends.size());
    for (uint32_t i : order) {
        const auto& b = backends[i];
        if (b.weight == 0) continue;
        walkers.push_back(Walker{
            .index = i,
            .weight = b.weight,
            .offset = stable_hash64(b.id, kMaglevOffsetSeed) % m,
            .skip = stable_hash64(b.id, kMaglevSkipSeed) % (m - 1) + 1,
        });
    }
    if (walkers.empty()) return table;

    std::vector<Slot> slots(table_size, kNoBackend);
    std::vector<uint32_t> ranks(walkers.size());
    std::iota(ranks.begin(), ranks.end(), 0u);
    std::priority_queue<uint32_t, std::vector<uint32_t>, LaterTurn> turns(
        LaterTurn{&walkers}, std::move(ranks));

    for (uint64_t filled = 0; filled < m;) {
        const uint32_t rank = turns.top();
        turns.pop();
        Walker& w = walkers[rank];
        // M is prime and 1 ≤ skip < M, so the walk visits every slot within
        // M steps: it always finds a free one while the table is not full.
        uint64_t slot = (w.offset + w.next * w.skip) % m;
        while (slots[slot] != kNoBackend) {
            ++w.next;
            slot = (w.offset + w.next * w.skip) % m;
        }
        slots[slot] = static_cast<Slot>(w.index);
        ++w.next;
        ++w.turns;
        ++filled;
        turns.push(rank);
    }
    table.slots_ = std::move(slots);
    return table;
}

}  // namespace svcnat::lb
