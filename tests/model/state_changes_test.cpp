// compare_states(): the one comparison of two ServiceStates, port by port.
#include <gtest/gtest.h>

#include <algorithm>

#include "builders.hpp"
#include "control/model/state_changes.hpp"

namespace svcnat {
namespace {

using test::ip;

ResolvedServicePort port(const char* name, const char* cluster_ip, uint16_t p,
                         std::vector<std::pair<const char*, uint16_t>> endpoints) {
    ResolvedServicePort sp;
    sp.ns = "default";
    sp.name = name;
    sp.port = p;
    sp.clusterIPs = {ip(cluster_ip)};
    for (auto [addr, target] : endpoints) {
        ResolvedEndpoint e;
        e.ip = ip(addr);
        e.port = target;
        sp.endpoints.push_back(e);
    }
    return sp;
}

ServiceState two_ports() {
    ServiceState s;
    s.ports = {port("dns", "10.96.0.53", 53, {{"10.244.1.9", 53}, {"10.244.2.9", 53}}),
               port("web", "10.96.0.10", 80, {{"10.244.1.5", 8080}})};
    return s;
}

TEST(StateChanges, CountsAddedRemovedAndModified) {
    auto a = two_ports();
    auto b = a;
    b.ports[1].endpoints.push_back(b.ports[1].endpoints[0]);
    b.ports[1].endpoints.back().ip = ip("10.244.3.5");
    b.ports.push_back(port("new", "10.96.0.11", 80, {{"10.244.4.4", 80}}));
    auto c = compare_states(a, b);
    EXPECT_EQ(c.service_port_changes(), 2u);
    EXPECT_EQ(c.endpoint_changes, 2u);
    ASSERT_EQ(c.added.size(), 1u);
    EXPECT_EQ(c.added[0]->name, "new");
    ASSERT_EQ(c.changed.size(), 1u);
    EXPECT_EQ(c.changed[0].first, &a.ports[1]);
    EXPECT_EQ(c.changed[0].second, &b.ports[1]);
    EXPECT_TRUE(compare_states(a, a).empty());
    EXPECT_EQ(compare_states({}, a).service_port_changes(), 2u);
    EXPECT_EQ(compare_states({}, a).endpoint_changes, 3u);
    auto gone = compare_states(a, {});
    ASSERT_EQ(gone.removed.size(), 2u);
    EXPECT_EQ(gone.endpoint_changes, 3u);
}

TEST(StateChanges, UnsortedInputIsMatchedByIdentity) {
    auto a = two_ports();
    auto b = a;
    std::reverse(b.ports.begin(), b.ports.end());
    EXPECT_TRUE(compare_states(a, b).empty());
    b.ports[0].endpoints.clear();  // "web"
    auto c = compare_states(a, b);
    ASSERT_EQ(c.changed.size(), 1u);
    EXPECT_EQ(c.changed[0].second->name, "web");
    EXPECT_EQ(c.endpoint_changes, 1u);
}

TEST(StateChanges, AnotherPortNumberIsAnotherPort) {
    auto a = two_ports();
    auto b = a;
    b.ports[1].port = 8080;
    auto c = compare_states(a, b);
    EXPECT_EQ(c.added.size(), 1u);
    EXPECT_EQ(c.removed.size(), 1u);
    EXPECT_TRUE(c.changed.empty());
    EXPECT_EQ(a.ports[1].key(), "default/web/TCP");
}

}  // namespace
}  // namespace svcnat
