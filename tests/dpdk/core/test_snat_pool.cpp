// SNAT pool: per-lcore partitions, O(1) allocation, FIFO reuse, exhaustion,
// release validation, and uniqueness of reply tuples under churn.
#include <gtest/gtest.h>

#include <algorithm>

#include <map>
#include <random>
#include <set>

#include "dpdk/core/address_set.hpp"
#include "dpdk/core/snat_pool.hpp"
#include "dpdk/core/bytes.hpp"
#include "packet_builder.hpp"
#include "tests/dpdk/flow_keys.hpp"

namespace svcnat::dpdk {
namespace {

using test::raw16;
using test::raw32;

SnatPool4::Config config(uint16_t first, uint16_t last, uint16_t lcores, int addrs = 2) {
    SnatPool4::Config c;
    for (int i = 0; i < addrs; ++i) c.addrs.push_back(raw32(0x0a000001 + static_cast<uint32_t>(i)));
    c.port_first = first;
    c.port_last = last;
    c.n_lcores = lcores;
    return c;
}

TEST(SnatPool, RejectsInvalidConfig) {
    EXPECT_THROW(SnatPool4(config(1024, 2048, 4, 0)), std::invalid_argument);
    auto dup = config(1024, 2048, 4);
    dup.addrs.push_back(dup.addrs[0]);
    EXPECT_THROW(SnatPool{dup}, std::invalid_argument);
    EXPECT_THROW(SnatPool4(config(0, 100, 1)), std::invalid_argument);
    EXPECT_THROW(SnatPool4(config(2000, 1999, 1)), std::invalid_argument);
    EXPECT_THROW(SnatPool4(config(1024, 1027, 0)), std::invalid_argument);
    EXPECT_THROW(SnatPool4(config(1024, 1027, 5)), std::invalid_argument);
    EXPECT_NO_THROW(SnatPool4(config(1024, 1027, 4)));
    EXPECT_NO_THROW(SnatPool4(config(1, 65535, 1, 1)));
}

TEST(SnatPool, PartitionsCoverTheRangeExactlyOnce) {
    for (uint16_t lcores : {1, 2, 3, 7, 16}) {
        SnatPool4 pool(config(1024, 65535, lcores));
        uint32_t total = 0;
        for (uint16_t l = 0; l < lcores; ++l) total += pool.capacity(l);
        EXPECT_EQ(total, 2u * (65535 - 1024 + 1)) << lcores;
        for (uint16_t l = 0; l < lcores; ++l) {
            // Partition sizes differ by at most one port per address.
            EXPECT_NEAR(pool.capacity(l), total / lcores, 2.0);
        }
    }
}

TEST(SnatPool, AllocationStaysInTheLcorePartitionUntilExhausted) {
    const uint16_t lcores = 4;
    SnatPool4 pool(config(2000, 2999, lcores, 3));
    for (uint16_t l = 0; l < lcores; ++l) {
        std::set<std::pair<uint32_t, uint16_t>> seen;
        const uint32_t cap = pool.capacity(l);
        EXPECT_EQ(cap, 3u * 250u);
        for (uint32_t k = 0; k < cap; ++k) {
            const auto lease = pool.allocate(l);
            ASSERT_TRUE(lease) << "lcore " << l << " after " << k;
            EXPECT_EQ(lease->port % lcores, l);
            EXPECT_GE(lease->port, 2000);
            EXPECT_LE(lease->port, 2999);
            // The reply from the backend comes back to SNAT addr:port; its
            // destination port names the owning lcore.
            const FlowKey4 reply = make_flow_key4(raw32(0x0af40001), lease->addr, raw16(8080),
                                                  raw16(lease->port), kProtoTcp);
            EXPECT_EQ(owner_lcore(reply, lcores), l);
            EXPECT_TRUE(seen.insert({lease->addr, lease->port}).second) << "lease handed out twice";
        }
        EXPECT_EQ(pool.available(l), 0u);
        EXPECT_EQ(pool.exhausted(l), 0u);
        EXPECT_FALSE(pool.allocate(l));
        EXPECT_FALSE(pool.allocate(l));
        EXPECT_EQ(pool.exhausted(l), 2u);
    }
    EXPECT_FALSE(pool.allocate(lcores)) << "unknown lcore";
}

// The gateway's workers index reply flows by local lease id: every lease of
// an lcore's partition has its own id below local_ids(), and the partitions
// need A·⌈P/n⌉ ids each, not A·P.
TEST(SnatPool, LocalLeaseIdsAreDenseAndUniquePerPartition) {
    SnatPool4 pool(config(5000, 5999, 3, 3));
    EXPECT_EQ(pool.local_ids(), 3u * 334u);
    size_t total = 0;
    for (uint16_t l = 0; l < 3; ++l) {
        std::set<uint32_t> ids;
        while (auto lease = pool.allocate(l)) {
            const auto& a = pool.config().addrs;
            const auto at = static_cast<uint32_t>(std::find(a.begin(), a.end(), lease->addr) - a.begin());
            ASSERT_TRUE(pool.port_in_range(lease->port));
            const uint32_t id = pool.local_id(at, lease->port);
            EXPECT_LT(id, pool.local_ids());
            EXPECT_TRUE(ids.insert(id).second) << "lcore " << l << " port " << lease->port;
        }
        total += ids.size();
    }
    EXPECT_EQ(total, 3000u);
    EXPECT_FALSE(pool.port_in_range(4999));
    EXPECT_FALSE(pool.port_in_range(6000));
}

TEST(SnatPool, ConsecutiveAllocationsAlternateAddresses) {
    SnatPool4 pool(config(1024, 65535, 2, 4));
    std::map<uint32_t, int> per_addr;
    for (int k = 0; k < 400; ++k) ++per_addr[pool.allocate(1)->addr];
    ASSERT_EQ(per_addr.size(), 4u);
    for (auto& [addr, n] : per_addr) EXPECT_EQ(n, 100);
}

TEST(SnatPool, ReleaseIsValidatedAndReuseIsFifo) {
    SnatPool4 pool(config(1024, 1031, 2, 1));  // lcore 0: 1024 1026 1028 1030
    const auto a = *pool.allocate(0);
    const auto b = *pool.allocate(0);
    EXPECT_EQ(a.port, 1024);
    EXPECT_EQ(b.port, 1026);
    EXPECT_TRUE(pool.release(0, a));
    EXPECT_FALSE(pool.release(0, a)) << "double release";
    EXPECT_FALSE(pool.release(1, b)) << "wrong lcore";
    EXPECT_FALSE(pool.release(0, {raw32(0x0a0000ff), b.port})) << "unknown address";
    EXPECT_FALSE(pool.release(0, {b.addr, 2000})) << "out of range";
    EXPECT_FALSE(pool.release(0, {b.addr, 1025})) << "another lcore's port";
    // FIFO: the just-released 1024 comes back only after 1028 and 1030.
    EXPECT_EQ(pool.allocate(0)->port, 1028);
    EXPECT_EQ(pool.allocate(0)->port, 1030);
    EXPECT_EQ(pool.allocate(0)->port, 1024);
    EXPECT_FALSE(pool.allocate(0));
    EXPECT_TRUE(pool.release(0, b));
    EXPECT_EQ(pool.available(0), 1u);
    EXPECT_EQ(pool.allocate(0)->port, 1026);
}

// Leases held per address, summed over lcores (the metrics' used/free per
// SNAT address), follow allocations and releases; refused releases change
// nothing.
TEST(SnatPool, LeasesInUsePerAddressOverAllLcores) {
    SnatPool4 pool(config(1024, 1123, 2, 3));  // 100 ports, 3 addresses, 2 lcores
    EXPECT_EQ(pool.leases_per_address(), 100u);
    std::vector<SnatPool4::Lease> held;
    std::map<uint32_t, uint32_t> expected;
    for (int k = 0; k < 70; ++k) {
        const uint16_t lcore = static_cast<uint16_t>(k % 2);
        const auto lease = *pool.allocate(lcore);
        held.push_back(lease);
        ++expected[lease.addr];
    }
    auto check = [&] {
        for (uint32_t a = 0; a < 3; ++a)
            EXPECT_EQ(pool.in_use(a), expected[pool.config().addrs[a]]) << "address " << a;
    };
    check();
    for (size_t k = 0; k < held.size(); k += 3) {
        const uint16_t lcore = owner_lcore_of_port(held[k].port, 2);
        ASSERT_TRUE(pool.release(lcore, held[k]));
        EXPECT_FALSE(pool.release(lcore, held[k]));  // double release: not counted twice
        --expected[held[k].addr];
    }
    check();
    EXPECT_EQ(pool.in_use(7), 0u) << "no such address";
}

// The per-packet "is this a SNAT address?" test agrees with a std::set for
// members and strangers, both families, any set size.
// SNAT addresses usually differ only in their last octet(s); they must
// not pile up in one slot (they did: every member lookup probed ~8 slots).
TEST(AddressSet, ConsecutiveAddressesSpreadOverTheSlots) {
    std::vector<Ip4> v4;
    std::vector<Ip6> v6;
    for (uint32_t i = 1; i <= 16; ++i) {
        v4.push_back(raw32(0x0a000000 + i));
        Ip6 a{0x20, 0x01, 0x0d, 0xb8};
        a[15] = static_cast<uint8_t>(i);
        v6.push_back(a);
    }
    // The set of 16 has 64 slots (shift 26): at most two share one.
    auto most_per_slot = [](const auto& addrs) {
        std::map<size_t, int> per_slot;
        int most = 0;
        for (const auto& a : addrs) most = std::max(most, ++per_slot[address_slot(a, 26)]);
        return most;
    };
    EXPECT_LE(most_per_slot(v4), 2);
    EXPECT_LE(most_per_slot(v6), 2);
}

TEST(AddressSet, MembershipMatchesAReferenceSet) {
    std::mt19937 rng(99);
    for (size_t n : {0, 1, 2, 3, 16, 17, 64, 200}) {
        std::vector<Ip4> v4;
        std::vector<Ip6> v6;
        std::set<Ip4> ref4;
        std::set<Ip6> ref6;
        while (ref4.size() < n) {
            const Ip4 a = static_cast<Ip4>(rng()) | 1;  // never 0.0.0.0
            if (ref4.insert(a).second) v4.push_back(a);
        }
        while (ref6.size() < n) {
            Ip6 a;
            for (auto& b : a) b = static_cast<uint8_t>(rng() % 4);  // small alphabet: similar addresses
            if (ref6.insert(a).second) v6.push_back(a);
        }
        const AddressSet<Ip4> s4(v4);
        const AddressSet<Ip6> s6(v6);
        // index_of is the position in the list (SnatPool's lease numbering).
        for (size_t k = 0; k < v4.size(); ++k) EXPECT_EQ(s4.index_of(v4[k]), static_cast<int32_t>(k));
        for (size_t k = 0; k < v6.size(); ++k) EXPECT_EQ(s6.index_of(v6[k]), static_cast<int32_t>(k));
        for (int i = 0; i < 5000; ++i) {
            const Ip4 a = static_cast<Ip4>(rng());
            EXPECT_EQ(s4.contains(a), ref4.count(a) == 1);
            if (ref4.count(a) == 0) {
                EXPECT_EQ(s4.index_of(a), -1);
            }
            Ip6 b;
            for (auto& x : b) x = static_cast<uint8_t>(rng() % 4);
            EXPECT_EQ(s6.contains(b), ref6.count(b) == 1);
        }
    }
    EXPECT_FALSE(AddressSet<Ip4>().contains(0));
}

}  // namespace
}  // namespace svcnat::dpdk
