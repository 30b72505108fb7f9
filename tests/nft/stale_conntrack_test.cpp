// Change counts and the UDP conntrack entries a sync must forget.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "nft/stale_conntrack.hpp"

namespace svcnat::nft {
namespace {

using namespace testing;
using M = netlink::UdpConntrackTarget::Match;

ServiceState dns_state() {
    auto dns = service("dns", "10.96.0.53", 53, {ep("10.244.1.9", 53), ep("10.244.2.9", 53)}, Protocol::UDP);
    dns.nodePort = 30053;
    return state_of({dns, service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080)})});
}

bool has(const std::vector<netlink::UdpConntrackTarget>& v, M m, const char* addr, uint16_t port) {
    for (const auto& t : v)
        if (t.match == m && t.address == ip(addr) && t.port == port) return true;
    return false;
}

TEST(StaleConntrack, RemovedUdpEndpointIsForgotten) {
    auto a = dns_state();
    auto b = a;
    b.ports[0].endpoints.pop_back();
    auto t = stale_udp_targets(a, b, compare_states(a, b));
    ASSERT_EQ(t.size(), 1u);
    EXPECT_TRUE(has(t, M::ReplySource, "10.244.2.9", 53));
}

TEST(StaleConntrack, RemovedUdpServiceForgetsItsAddresses) {
    auto a = dns_state();
    auto b = a;
    b.ports.erase(b.ports.begin());
    auto t = stale_udp_targets(a, b, compare_states(a, b));
    EXPECT_TRUE(has(t, M::OriginalDestination, "10.96.0.53", 53));
    EXPECT_TRUE(has(t, M::OriginalDestination, "192.0.2.10", 30053));  // NodePort on the node IP
}

TEST(StaleConntrack, FirstEndpointForgetsRejectedFlows) {
    auto a = dns_state();
    a.ports[0].endpoints.clear();
    const auto b = dns_state();
    auto t = stale_udp_targets(a, b, compare_states(a, b));
    EXPECT_TRUE(has(t, M::OriginalDestination, "10.96.0.53", 53));
}

TEST(StaleConntrack, TcpChangesNeedNoConntrackWork) {
    auto a = dns_state();
    auto b = a;
    b.ports[1].endpoints.clear();
    EXPECT_TRUE(stale_udp_targets(a, b, compare_states(a, b)).empty());
}

// A start without committed state compares the conntrack table with the
// state: entries DNATed to endpoints no longer usable go; others stay.
netlink::UdpFlow flow(const char* dst, uint16_t dport, const char* reply_src, uint16_t sport) {
    return {ip(dst), dport, ip(reply_src), sport};
}

TEST(UdpStaleEntries, EntryToAnEndpointThatIsGoneIsStale) {
    auto s = dns_state();
    UdpStaleEntries stale(s);
    ASSERT_FALSE(stale.empty());
    EXPECT_TRUE(stale.has_ipv4());
    EXPECT_FALSE(stale.has_ipv6());
    EXPECT_FALSE(stale.is_stale(flow("10.96.0.53", 53, "10.244.1.9", 53)));
    EXPECT_FALSE(stale.is_stale(flow("10.96.0.53", 53, "10.244.2.9", 53)));
    EXPECT_TRUE(stale.is_stale(flow("10.96.0.53", 53, "10.244.7.7", 53)));
    EXPECT_TRUE(stale.is_stale(flow("10.96.0.53", 53, "10.244.1.9", 5353)));
}

TEST(UdpStaleEntries, EntryNotDnatedIsStaleOnceThePortHasEndpoints) {
    auto s = dns_state();
    EXPECT_TRUE(UdpStaleEntries(s).is_stale(flow("10.96.0.53", 53, "10.96.0.53", 53)));
    s.ports[0].endpoints.clear();
    UdpStaleEntries none(s);
    EXPECT_FALSE(none.is_stale(flow("10.96.0.53", 53, "10.96.0.53", 53)));
    EXPECT_TRUE(none.is_stale(flow("10.96.0.53", 53, "10.244.1.9", 53)));
}

TEST(UdpStaleEntries, OtherAddressesAndTcpServicesAreNeverTouched) {
    auto s = dns_state();
    UdpStaleEntries stale(s);
    EXPECT_FALSE(stale.is_stale(flow("192.0.2.1", 53, "192.0.2.9", 53)));
    EXPECT_FALSE(stale.is_stale(flow("10.96.0.10", 80, "10.244.9.9", 80)));  // web is TCP
    EXPECT_FALSE(stale.is_stale(flow("10.96.0.53", 54, "10.244.9.9", 54)));
}

TEST(UdpStaleEntries, NodePortEntriesAreCheckedOnEveryNodeAddress) {
    auto s = dns_state();
    ASSERT_EQ(s.node.ips, std::vector<IPAddr>{ip("192.0.2.10")});
    UdpStaleEntries stale(s);
    EXPECT_TRUE(stale.is_stale(flow("192.0.2.10", 30053, "10.244.7.7", 53)));
    EXPECT_FALSE(stale.is_stale(flow("192.0.2.10", 30053, "10.244.2.9", 53)));
}

TEST(UdpStaleEntries, StateWithoutUdpPortsNeedsNoDump) {
    auto s = state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080)})});
    EXPECT_TRUE(UdpStaleEntries(s).empty());
}

}  // namespace
}  // namespace svcnat::nft
