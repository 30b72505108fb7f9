// Property tests of the Maglev table: balance, disruption on backend removal
// and weight change, determinism across processes and input order, limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

#include "control/lb/maglev.hpp"
#include "maglev_fixture.hpp"

namespace svcnat::lb {
namespace {

using test::digest;
using test::numbered_backends;
using test::slot_counts;

// Backend index → identity, for comparing tables whose index spaces differ.
std::vector<std::string> owners(const MaglevTable& t, const std::vector<MaglevBackend>& b) {
    std::vector<std::string> out;
    out.reserve(t.size());
    for (auto s : t.slots()) out.push_back(b.at(s).id);
    return out;
}

// Every weighted backend's slot count is within `tolerance` (relative) of
// M·w/Σw, or within one slot where the share is too small for a relative
// bound to be met by an integer count.
void expect_balanced(const MaglevTable& t, const std::vector<MaglevBackend>& b, double tolerance) {
    double total_weight = 0;
    for (const auto& x : b) total_weight += x.weight;
    const auto counts = slot_counts(t, b.size());
    for (size_t i = 0; i < b.size(); ++i) {
        const double expected = t.size() * b[i].weight / total_weight;
        EXPECT_LE(std::abs(counts[i] - expected), std::max(tolerance * expected, 1.0))
            << b[i].id << " weight " << b[i].weight << " owns " << counts[i] << ", expected "
            << expected;
    }
}

TEST(MaglevTable, RejectsInvalidInput) {
    const auto b = numbered_backends(3);
    EXPECT_THROW(MaglevTable::build(b, 65536), std::invalid_argument);
    EXPECT_THROW(MaglevTable::build(b, 1), std::invalid_argument);
    EXPECT_THROW(MaglevTable::build(b, 0), std::invalid_argument);
    EXPECT_THROW(MaglevTable::build(numbered_backends(12), 11), std::invalid_argument);
    auto dup = b;
    dup.push_back(b[0]);
    EXPECT_THROW(MaglevTable::build(dup), std::invalid_argument);
    auto empty_id = b;
    empty_id[1].id.clear();
    EXPECT_THROW(MaglevTable::build(empty_id), std::invalid_argument);
    auto heavy = b;
    heavy[2].weight = MaglevTable::kMaxWeight + 1;
    EXPECT_THROW(MaglevTable::build(heavy), std::invalid_argument);
    EXPECT_NO_THROW(MaglevTable::build(b, 7));
}

TEST(MaglevTable, PrimalityCheck) {
    EXPECT_TRUE(is_prime(2));
    EXPECT_TRUE(is_prime(65537));
    EXPECT_TRUE(is_prime(MaglevTable::kMaxSize));
    EXPECT_FALSE(is_prime(65535));
    EXPECT_FALSE(is_prime(1));
    EXPECT_FALSE(is_prime(25));
    EXPECT_FALSE(is_prime(4294967297ull));  // 641 · 6700417
}

TEST(MaglevTable, EmptyAndDrainedTablesHaveNoBackend) {
    const MaglevTable none = MaglevTable::build({}, 251);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.lookup(12345), MaglevTable::kNoBackend);
    auto b = numbered_backends(4);
    for (auto& x : b) x.weight = 0;
    const MaglevTable drained = MaglevTable::build(b, 251);
    EXPECT_TRUE(drained.empty());
    EXPECT_EQ(drained.lookup(7), MaglevTable::kNoBackend);
    EXPECT_EQ(MaglevTable().lookup(1), MaglevTable::kNoBackend);
}

TEST(MaglevTable, IdentityFormat) {
    EXPECT_EQ(backend_identity(*IPAddr::parse("10.1.2.3"), 80), "10.1.2.3:80");
    EXPECT_EQ(backend_identity(*IPAddr::parse("fd00::1"), 443), "[fd00::1]:443");
}

TEST(MaglevTable, SingleBackendOwnsEverySlot) {
    const auto b = numbered_backends(1);
    const auto t = MaglevTable::build(b, 65537);
    for (uint64_t h = 0; h < 1000; ++h) EXPECT_EQ(t.lookup(h * 7919), 0);
    EXPECT_EQ(slot_counts(t, b.size())[0], 65537u);
}

TEST(MaglevTable, EqualWeightsShareWithinOnePercent) {
    for (int n : {2, 3, 7, 10, 64, 100, 500, 655}) {
        SCOPED_TRACE(n);
        const auto b = numbered_backends(n);
        const auto t = MaglevTable::build(b, 65537);  // M > 100·N
        expect_balanced(t, b, 0.01);
        // Round-robin turns: counts differ by at most one slot.
        const auto c = slot_counts(t, b.size());
        const auto [lo, hi] = std::minmax_element(c.begin(), c.end());
        EXPECT_LE(*hi - *lo, 1u);
    }
}

TEST(MaglevTable, WeightedSharesWithinOnePercent) {
    for (int n : {2, 5, 30, 200}) {
        SCOPED_TRACE(n);
        const auto b = numbered_backends(n, /*weighted=*/true);  // weights 1, 2, 3
        expect_balanced(MaglevTable::build(b, 65537), b, 0.01);
    }
    std::vector<MaglevBackend> skewed{{"a:1", 1}, {"b:1", 1000}, {"c:1", 37}, {"d:1", 5}};
    const auto t = MaglevTable::build(skewed, 65537);
    expect_balanced(t, skewed, 0.01);
}

TEST(MaglevTable, LookupsFollowSlotShares) {
    // Flow hashes are uniform, so the traffic share follows the slot share.
    const auto b = numbered_backends(10, true);
    const auto t = MaglevTable::build(b, 65537);
    std::mt19937_64 rng(42);
    std::vector<uint32_t> hits(b.size());
    const int flows = 400000;
    for (int i = 0; i < flows; ++i) ++hits[t.lookup(rng())];
    const double total_weight = 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1;
    for (size_t i = 0; i < b.size(); ++i) {
        const double expected = flows * b[i].weight / total_weight;
        EXPECT_NEAR(hits[i], expected, 0.03 * expected) << b[i].id;
    }
}

struct Disruption {
    double removed_share;     // slots that belonged to the removed backend / M
    double collateral_share;  // slots that moved between surviving backends / M
};

Disruption remove_one(int n, int victim, uint32_t m) {
    auto before_b = numbered_backends(n);
    auto after_b = before_b;
    after_b.erase(after_b.begin() + victim);
    const auto before = owners(MaglevTable::build(before_b, m), before_b);
    const auto after = owners(MaglevTable::build(after_b, m), after_b);
    uint32_t removed = 0, collateral = 0;
    for (uint32_t s = 0; s < m; ++s) {
        if (before[s] == before_b[victim].id) {
            ++removed;
            EXPECT_NE(after[s], before[s]);
        } else if (before[s] != after[s]) {
            ++collateral;
        }
    }
    return {static_cast<double>(removed) / m, static_cast<double>(collateral) / m};
}

TEST(MaglevTable, RemovingOneBackendMovesAboutOneNth) {
    // Maglev is not minimally disruptive: when a backend leaves, the turn
    // order shifts and a few slots move between survivors (in the paper's
    // section 3.4, minimal disruption is a goal, balance the guarantee). Measured on this implementation, worst of three
    // victims (collateral = slots moved between survivors, share of M):
    //   M=65537:  N=5 0.11%, N=10 0.23%, N=100 0.59%, N=1000 0.60%
    //   M=655373: N=1000 0.33% (a larger M lowers it: M/N = 655 vs 65)
    // The bounds are 2x those values, so a regression that reshuffles
    // survivors fails while hash-dependent noise does not.
    struct Case {
        int n;
        uint32_t m;
        double collateral_bound;
    };
    for (const Case c : {Case{5, 65537, 0.0025}, Case{10, 65537, 0.005}, Case{100, 65537, 0.012},
                         Case{1000, 65537, 0.012}, Case{1000, 655373, 0.007}}) {
        for (int victim : {0, c.n / 3, c.n - 1}) {
            SCOPED_TRACE("n=" + std::to_string(c.n) + " m=" + std::to_string(c.m) +
                         " victim=" + std::to_string(victim));
            const Disruption d = remove_one(c.n, victim, c.m);
            std::printf("maglev M=%u remove 1 of %d (victim %d): removed %.4f%% collateral %.4f%%\n",
                        c.m, c.n, victim, 100 * d.removed_share, 100 * d.collateral_share);
            EXPECT_NEAR(d.removed_share, 1.0 / c.n, std::max(0.01 / c.n, 1.0 / c.m));
            EXPECT_LE(d.collateral_share, c.collateral_bound);
        }
    }
}

TEST(MaglevTable, AddingBackBackendRestoresTheTable) {
    // Determinism: the table depends only on the backend set, so a backend
    // that leaves and returns gets exactly its old slots back.
    auto b = numbered_backends(50);
    const auto t1 = MaglevTable::build(b, 65537);
    auto fewer = b;
    fewer.erase(fewer.begin() + 17);
    ASSERT_NE(digest(MaglevTable::build(fewer, 65537)), digest(t1));
    EXPECT_EQ(digest(MaglevTable::build(b, 65537)), digest(t1));
}

TEST(MaglevTable, InputOrderDoesNotMatter) {
    auto b = numbered_backends(300, true);
    const auto t1 = MaglevTable::build(b, 65537);
    const auto o1 = owners(t1, b);
    std::mt19937 rng(7);
    std::shuffle(b.begin(), b.end(), rng);
    const auto t2 = MaglevTable::build(b, 65537);
    EXPECT_EQ(owners(t2, b), o1);
}

TEST(MaglevTable, SameTableInSeparateProcesses) {
    const char* helper = std::getenv("MAGLEV_DIGEST");
    if (!helper) GTEST_SKIP() << "MAGLEV_DIGEST not set (run through meson test)";
    for (auto [n, m] : {std::pair{3, 251}, {100, 65537}, {1000, 65537}}) {
        const std::string cmd = std::string(helper) + " " + std::to_string(n) + " " + std::to_string(m);
        std::string outputs[2];
        for (auto& out : outputs) {
            FILE* p = popen(cmd.c_str(), "r");
            ASSERT_NE(p, nullptr);
            char buf[64] = {};
            ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
            EXPECT_EQ(pclose(p), 0);
            out = buf;
        }
        char mine[64];
        std::snprintf(mine, sizeof mine, "%016llx\n",
                      static_cast<unsigned long long>(
                          digest(MaglevTable::build(numbered_backends(n, true), m))));
        EXPECT_EQ(outputs[0], outputs[1]) << cmd;
        EXPECT_EQ(outputs[0], mine) << cmd;
    }
}

TEST(MaglevTable, PinnedDigestGuardsAgainstSilentReshuffles) {
    // Changing the hash, the seeds or the turn order reshuffles every
    // gateway's table: a rolling upgrade would then break established
    // flows on ECMP rehash. This pin makes such a change deliberate.
    const auto t = MaglevTable::build(numbered_backends(10, true), 65537);
    EXPECT_EQ(digest(t), 0x560c5400edadd962ull);
}

TEST(MaglevTable, WeightChangesMoveSlotsOnlyToOrFromTheChangedBackend) {
    auto b = numbered_backends(20);
    const auto before = MaglevTable::build(b, 65537);
    const auto before_owners = owners(before, b);
    b[5].weight = 3;  // triple one backend
    const auto after = MaglevTable::build(b, 65537);
    expect_balanced(after, b, 0.01);
    const auto after_owners = owners(after, b);
    uint32_t gained = 0, other_moves = 0;
    for (uint32_t s = 0; s < after.size(); ++s) {
        if (before_owners[s] == after_owners[s]) continue;
        if (after_owners[s] == b[5].id) ++gained;
        else ++other_moves;
    }
    const double expected_gain = 65537.0 * (3.0 / 22 - 1.0 / 20);
    EXPECT_GE(gained, 0.99 * expected_gain);
    std::printf("maglev weight 1->3 of 1 in 20: gained %u, collateral %u\n", gained, other_moves);
    EXPECT_LT(other_moves, expected_gain);

    // Drain (weight 0): the backend keeps its index but owns nothing.
    b[5].weight = 0;
    const auto drained = MaglevTable::build(b, 65537);
    EXPECT_EQ(slot_counts(drained, b.size())[5], 0u);
    expect_balanced(drained, b, 0.01);
}

TEST(MaglevTable, OneToThousandBackendsFillEveryValidSlot) {
    const auto start = std::chrono::steady_clock::now();
    for (int n = 1; n <= 1000; n += (n < 20 ? 1 : 97)) {
        const auto b = numbered_backends(n, true);
        const auto t = MaglevTable::build(b, 65537);
        const auto c = slot_counts(t, b.size());
        ASSERT_EQ(c.size(), static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) ASSERT_GT(c[i], 0u) << "n=" << n << " i=" << i;
        for (auto s : t.slots()) ASSERT_LT(s, n);
    }
    const auto b = numbered_backends(1000, true);
    const auto t = MaglevTable::build(b, 65537);
    expect_balanced(t, b, 0.05);  // M ≈ 65·N: looser than the 100·N bound
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 30.0);
}

TEST(MaglevTable, BuildTimeIsNearLinearInTableSize) {
    // O(M log M): a 16× larger table must not take 100× longer.
    const auto b = numbered_backends(100);
    auto time_build = [&](uint32_t m) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 3; ++i) (void)MaglevTable::build(b, m);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    const double small = time_build(65537);
    const double large = time_build(1048573);
    std::printf("maglev build N=100: M=65537 %.2f ms, M=1048573 %.2f ms\n", small * 1000 / 3,
                large * 1000 / 3);
    EXPECT_LT(large, 100 * small);
}

}  // namespace
}  // namespace svcnat::lb
