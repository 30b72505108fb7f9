// The counters behind CoreDNS's metric names: type and rcode labels, and
// the request-duration histogram's buckets (0.25 ms doubling, CoreDNS's).
#include <gtest/gtest.h>

#include "control/dns/dns_stats.hpp"

namespace svcnat::dns {
namespace {

TEST(DnsStats, TypesAndRcodesAreLabelledAsCoreDns) {
    EXPECT_EQ(type_label(type_slot(1)), "A");
    EXPECT_EQ(type_label(type_slot(28)), "AAAA");
    EXPECT_EQ(type_label(type_slot(33)), "SRV");
    EXPECT_EQ(type_label(type_slot(99)), "other");
    EXPECT_EQ(rcode_label(rcode_slot(3)), "NXDOMAIN");
    EXPECT_EQ(rcode_label(rcode_slot(16)), "BADVERS");
    EXPECT_EQ(writer_label(Writer::Cache), "cache");
}

TEST(DnsStats, DurationsFallIntoCoreDnsBuckets) {
    DnsStats s;
    const size_t a = type_slot(1);
    s.duration(a, 0);      // <= 0.25 ms
    s.duration(a, 250);    // <= 0.25 ms
    s.duration(a, 251);    // <= 0.5 ms
    s.duration(a, 1000);   // <= 1 ms
    s.duration(a, 1001);   // <= 2 ms
    s.duration(a, 8'192'000);   // <= 8.192 s, the last bound
    s.duration(a, 9'000'000);   // +Inf
    EXPECT_EQ(s.duration_count[a][0].get(), 2u);
    EXPECT_EQ(s.duration_count[a][1].get(), 1u);
    EXPECT_EQ(s.duration_count[a][2].get(), 1u);
    EXPECT_EQ(s.duration_count[a][3].get(), 1u);
    EXPECT_EQ(s.duration_count[a][15].get(), 1u);
    EXPECT_EQ(s.duration_count[a][16].get(), 1u);
    EXPECT_DOUBLE_EQ(duration_bound(0), 0.00025);
    EXPECT_DOUBLE_EQ(duration_bound(15), 8.192);
    EXPECT_EQ(s.duration_sum_us[a].get(), 0u + 250 + 251 + 1000 + 1001 + 8'192'000 + 9'000'000);
}

}  // namespace
}  // namespace svcnat::dns
