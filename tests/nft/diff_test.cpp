// The diff between two rulesets: minimal, and proportional to the change.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "nft/builder.hpp"
#include "nft/diff.hpp"

namespace svcnat::nft {
namespace {

using namespace testing;

RulesetDiff diff_states(const ServiceState& a, const ServiceState& b, const Settings& s = test_settings()) {
    // The rulesets must outlive the diff (it points into them).
    static Ruleset before, after;
    before = build_ruleset(a, s);
    after = build_ruleset(b, s);
    return diff_rulesets(before, after);
}

ServiceState base() {
    return state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080), ep("10.244.2.7", 8080)}),
                     service("api", "10.96.0.11", 443, {ep("10.244.1.6", 8443)})});
}

TEST(Diff, SameStateNoChanges) {
    auto d = diff_states(base(), base());
    EXPECT_TRUE(d.empty());
    EXPECT_EQ(d.operations(), 0u);
}

TEST(Diff, AddServiceAddsItsElementsOnly) {
    auto next = base();
    next.ports.push_back(service("new", "10.96.0.12", 80, {ep("10.244.3.3", 80)}));
    auto d = diff_states(base(), next);
    ASSERT_EQ(d.tables.size(), 2u);
    const auto& t = d.tables[0];
    EXPECT_TRUE(t.delete_elements.empty());
    EXPECT_TRUE(t.add_chains.empty());  // the class chain for one endpoint exists already
    EXPECT_TRUE(t.replace_chains.empty());
    // service-ips, endpoints, cluster-ips, hairpin: one element each.
    EXPECT_EQ(t.add_elements.size(), 4u);
    EXPECT_EQ(d.tables[1].operations(), 0u);
}

TEST(Diff, RemoveServiceDeletesItsElements) {
    auto next = base();
    next.ports.pop_back();
    auto d = diff_states(base(), next);
    const auto& t = d.tables[0];
    EXPECT_TRUE(t.add_elements.empty());
    EXPECT_EQ(t.delete_elements.size(), 4u);
    for (const auto& e : t.delete_elements)
        if (e.set->spec.name != names::kHairpin) {  // hairpin pairs belong to the endpoint
            EXPECT_EQ(owner_name(e.value->owner).find("default/api"), 0u) << e.set->spec.name;
        }
}

TEST(Diff, EndpointChangeTouchesThatServiceOnly) {
    auto next = base();
    next.ports[0].endpoints.push_back(ep("10.244.3.9", 8080));
    auto d = diff_states(base(), next);
    const auto& t = d.tables[0];
    // Now three endpoints: the dispatch element changes (delete + add) to
    // the pinned class chain cluster-3, one endpoint element and one hairpin
    // added; no chain is created or deleted.
    EXPECT_TRUE(t.add_chains.empty());
    std::string deleted;
    for (const auto& e : t.delete_elements) deleted += e.set->spec.name + " ";
    EXPECT_EQ(t.delete_elements.size(), 1u) << deleted;
    EXPECT_EQ(t.add_elements.size(), 3u);
    EXPECT_TRUE(t.delete_chains.empty());
}

TEST(Diff, EndpointCountBeyondThePinnedChainsAddsItsClassChain) {
    auto from = base();
    while (from.ports[0].endpoints.size() < kPinnedClassChains)
        from.ports[0].endpoints.push_back(ep(("10.244.9." + std::to_string(from.ports[0].endpoints.size())).c_str(), 8080));
    auto next = from;
    next.ports[0].endpoints.push_back(ep("10.244.8.1", 8080));
    auto d = diff_states(from, next);
    const auto& t = d.tables[0];
    const std::string name = "cluster-" + std::to_string(kPinnedClassChains + 1);
    ASSERT_EQ(t.add_chains.size(), 1u);
    EXPECT_EQ(t.add_chains[0]->name, name);
    EXPECT_TRUE(t.delete_chains.empty());  // cluster-16 is pinned
    auto back = diff_states(next, from);
    ASSERT_EQ(back.tables[0].delete_chains.size(), 1u);
    EXPECT_EQ(back.tables[0].delete_chains[0]->name, name);
}

TEST(Diff, PortChangeReplacesKeys) {
    auto next = base();
    next.ports[1].port = 8443;
    auto d = diff_states(base(), next);
    const auto& t = d.tables[0];
    EXPECT_EQ(t.delete_elements.size(), 2u);  // service-ips + endpoints
    EXPECT_EQ(t.add_elements.size(), 2u);
}

TEST(Diff, SpecialServiceGetsAndLosesItsChains) {
    auto next = base();
    next.ports[1].sessionAffinity = SessionAffinity::ClientIP;
    auto d = diff_states(base(), next);
    EXPECT_EQ(d.tables[0].add_chains.size(), 2u);  // service-... and endpoint-...
    EXPECT_EQ(d.tables[0].add_sets.size(), 1u);    // affinity set
    auto back = diff_states(next, base());
    EXPECT_EQ(back.tables[0].delete_chains.size(), 2u);
    EXPECT_EQ(back.tables[0].delete_sets.size(), 1u);
}

TEST(Diff, SettingsChangingSetTypesNeedFullSync) {
    Ruleset a = build_ruleset(base(), test_settings());
    auto s = test_settings();
    s.table = "other";
    Ruleset b = build_ruleset(base(), s);
    auto d = diff_rulesets(a, b);
    EXPECT_TRUE(d.needs_full);
    EXPECT_FALSE(d.empty());
}

TEST(Diff, OneEndpointAtTenThousandServicesIsO1) {
    auto a = many_services(10000, 10);
    auto b = a;
    b.ports[4321].endpoints[7].port = 9999;
    auto d = diff_states(a, b);
    EXPECT_FALSE(d.needs_full);
    EXPECT_EQ(d.operations(), 2u);  // one endpoint element replaced
}

}  // namespace
}  // namespace svcnat::nft
