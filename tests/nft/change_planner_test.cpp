// The incremental planner (nft/change_planner.hpp): a change of a few service
// ports is planned from one-port fragments, touches only those ports'
// objects, and leaves the committed model equal to a full build.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "fixtures.hpp"
#include "nft/builder.hpp"
#include "nft/change_planner.hpp"
#include "nft/render.hpp"

namespace svcnat::nft {
namespace {

using namespace testing;

void sort_ports(ServiceState& s) {
    std::sort(s.ports.begin(), s.ports.end(), [](const auto& a, const auto& b) { return compare_identity(a, b) < 0; });
}

ServiceState base() {
    auto s = state_of({service("web", "10.96.0.10", 80, {ep("10.244.1.5", 8080), ep("10.244.2.7", 8080)}),
                       service("api", "10.96.0.11", 443, {ep("10.244.1.6", 8443)})});
    sort_ports(s);
    return s;
}

// Commits `from`, plans `to`, applies the plan; checks the committed model
// then renders exactly as a full build of `to`. Returns the plan.
struct Outcome {
    std::optional<ChangePlanner::Plan> plan;
    std::string committed, full;
};
// `check` sees the plan before it is applied (its pointers into the
// committed model are valid until then).
Outcome run(const ServiceState& from, const ServiceState& to,
            const std::function<void(const ChangePlanner::Plan&)>& check = {},
            const Settings& settings = test_settings()) {
    Ruleset committed = build_ruleset(from, settings);
    ServiceState state = from;
    ChangePlanner path;
    path.reset(committed, state);
    Outcome out;
    out.plan = path.plan(committed, state, to, settings);
    if (out.plan && check) check(*out.plan);
    if (out.plan && !out.plan->unchanged) path.apply(*out.plan, committed);
    out.committed = render(committed);
    out.full = render(build_ruleset(to, settings));
    return out;
}

// Owners of every element the plan adds or deletes.
std::set<std::string> element_owners(const ChangePlanner::Plan& p) {
    std::set<std::string> owners;
    for (const auto& t : p.diff.tables) {
        for (const auto& e : t.add_elements) owners.insert(owner_name(e.value->owner));
        for (const auto& e : t.delete_elements) owners.insert(owner_name(e.value->owner));
    }
    return owners;
}

TEST(Incremental, NoOpIsUnchangedAndEmpty) {
    auto o = run(base(), base());
    ASSERT_TRUE(o.plan);
    EXPECT_TRUE(o.plan->unchanged);
    EXPECT_EQ(o.plan->diff.operations(), 0u);
}

TEST(Incremental, AddServiceTouchesOnlyItsObjects) {
    auto to = base();
    to.ports.push_back(service("new", "10.96.0.12", 80, {ep("10.244.3.1", 8080), ep("10.244.3.2", 8080)}));
    sort_ports(to);
    bool checked = false;
    auto o = run(base(), to, [&](const ChangePlanner::Plan& p) {
        checked = true;
        ASSERT_EQ(p.changes.size(), 1u);
        // Its dispatch element, 2 endpoint elements, its cluster IP, 2
        // hairpin pairs; nothing deleted, no chain (cluster-2 exists).
        const auto& t = p.diff.tables[0];
        EXPECT_EQ(t.add_elements.size(), 6u);
        EXPECT_TRUE(t.delete_elements.empty());
        EXPECT_TRUE(t.add_chains.empty());
        EXPECT_TRUE(t.delete_chains.empty());
        EXPECT_TRUE(t.replace_chains.empty());
        EXPECT_EQ(p.diff.tables[1].operations(), 0u);  // ip6: nothing
        EXPECT_EQ(element_owners(p), std::set<std::string>{"default/new:http"});
    });
    ASSERT_TRUE(o.plan);
    EXPECT_TRUE(checked);
    EXPECT_EQ(o.committed, o.full);
}

// external-N jumps to cluster-N: an unpinned cluster-N stays while an
// external-N needs it, even with no ClusterIP dispatch of its own left.
TEST(Incremental, UnpinnedExternalClassChainKeepsItsClusterChain) {
    std::vector<ResolvedEndpoint> eps;
    for (int i = 1; i <= 17; ++i) eps.push_back(ep(("10.244.5." + std::to_string(i)).c_str(), 8080));
    auto with_cluster = service("inside", "10.96.0.20", 80, eps);
    auto external_only = service("outside", nullptr, 80, eps);
    external_only.externalIPs = {ip("192.0.2.20")};
    auto both = base(), outside = base();
    both.ports.push_back(with_cluster);
    both.ports.push_back(external_only);
    outside.ports.push_back(external_only);
    sort_ports(both);
    sort_ports(outside);
    auto chain_names = [](const std::vector<const Chain*>& chains) {
        std::set<std::string> names;
        for (const auto* c : chains) names.insert(c->name);
        return names;
    };

    auto o = run(base(), both, [&](const ChangePlanner::Plan& p) {
        EXPECT_EQ(chain_names(p.diff.tables[0].add_chains), (std::set<std::string>{"cluster-17", "external-17"}));
    });
    ASSERT_TRUE(o.plan);
    EXPECT_EQ(o.committed, o.full);

    o = run(both, outside, [&](const ChangePlanner::Plan& p) {
        EXPECT_TRUE(p.diff.tables[0].delete_chains.empty());  // cluster-17 still reached through external-17
    });
    ASSERT_TRUE(o.plan);
    EXPECT_EQ(o.committed, o.full);

    o = run(outside, base(), [&](const ChangePlanner::Plan& p) {
        EXPECT_EQ(chain_names(p.diff.tables[0].delete_chains), (std::set<std::string>{"cluster-17", "external-17"}));
    });
    ASSERT_TRUE(o.plan);
    EXPECT_EQ(o.committed, o.full);
}

TEST(Incremental, RemoveServiceDeletesOnlyItsObjects) {
    auto to = base();
    std::erase_if(to.ports, [](const auto& p) { return p.name == "api"; });
    bool checked = false;
    auto o = run(base(), to, [&](const ChangePlanner::Plan& p) {
        checked = true;
        const auto& t = p.diff.tables[0];
        EXPECT_TRUE(t.add_elements.empty());
        // Dispatch, 1 endpoint, cluster IP, hairpin pair; its class chain
        // cluster-1 stays (pinned) though no one else uses it.
        EXPECT_EQ(t.delete_elements.size(), 4u);
        EXPECT_TRUE(t.delete_chains.empty());
        EXPECT_EQ(element_owners(p), std::set<std::string>{"default/api:http"});
    });
    ASSERT_TRUE(o.plan);
    EXPECT_TRUE(checked);
    EXPECT_EQ(o.committed, o.full);
}

TEST(Incremental, SharedClusterIpAndHairpinAreCounted) {
    // Two ports of one service share the cluster IP and an endpoint pod.
    auto from = base();
    auto second = service("web", "10.96.0.10", 81, {ep("10.244.1.5", 8081)});
    second.portName = "alt";
    from.ports.push_back(second);
    sort_ports(from);
    auto to = from;
    std::erase_if(to.ports, [](const auto& p) { return p.portName == "alt"; });
    auto o = run(from, to, [](const ChangePlanner::Plan& p) {
        for (const auto& e : p.diff.tables[0].delete_elements) {
            EXPECT_NE(e.set->spec.name, names::kClusterIPs);  // still used by web:http
            EXPECT_NE(e.set->spec.name, names::kHairpin);     // 10.244.1.5 still backs web:http
        }
    });
    ASSERT_TRUE(o.plan);
    EXPECT_EQ(o.committed, o.full);
}

TEST(Incremental, EndpointAndPortChangesEndAsAFullBuild) {
    auto to = base();
    to.ports[0].endpoints.push_back(ep("10.244.9.9", 8443));  // api: 1 -> 2 endpoints
    to.ports[1].port = 8080;                                 // web: port changes (remove + add)
    sort_ports(to);
    auto o = run(base(), to);
    ASSERT_TRUE(o.plan);
    EXPECT_EQ(o.committed, o.full);
}

TEST(Incremental, SpecialServicesGetAndLoseTheirChainsAndSets) {
    auto special = service("sticky", "10.96.0.20", 80, {ep("10.244.5.1", 8080), ep("10.244.5.2", 8080)});
    special.sessionAffinity = SessionAffinity::ClientIP;
    special.sessionAffinityTimeout = 60;
    auto with = base();
    with.ports.push_back(special);
    sort_ports(with);
    auto added = run(base(), with, [](const ChangePlanner::Plan& p) {
        EXPECT_FALSE(p.diff.tables[0].add_sets.empty());  // affinity sets
    });
    ASSERT_TRUE(added.plan);
    EXPECT_EQ(added.committed, added.full);
    auto removed = run(with, base(), [](const ChangePlanner::Plan& p) {
        EXPECT_FALSE(p.diff.tables[0].delete_sets.empty());
    });
    ASSERT_TRUE(removed.plan);
    EXPECT_EQ(removed.committed, removed.full);
}

TEST(Incremental, ConflictingClaimsTakeTheGeneralPath) {
    // Two ports on one external address:port: the winner depends on order.
    auto from = base();
    from.ports[0].externalIPs = {ip("198.51.100.7")};
    from.ports[0].port = 80;
    sort_ports(from);
    auto to = from;
    auto other = service("zzz", "10.96.0.30", 80, {ep("10.244.7.1", 8080)});
    other.externalIPs = {ip("198.51.100.7")};
    to.ports.push_back(other);
    sort_ports(to);
    EXPECT_FALSE(run(from, to).plan);
}

TEST(Incremental, UnsortedStatesWithDifferentPortsTakeTheGeneralPath) {
    auto from = base();
    std::reverse(from.ports.begin(), from.ports.end());
    auto to = from;
    to.ports.pop_back();
    EXPECT_FALSE(run(from, to).plan);
}

TEST(Incremental, AddServiceAtTenThousandIsProportional) {
    auto from = many_services(10000, 10);
    sort_ports(from);
    Settings settings = test_settings();
    Ruleset committed = build_ruleset(from, settings);
    ChangePlanner path;
    path.reset(committed, from);
    auto to = from;
    to.ports.push_back(service("zz-new", "10.100.0.1", 80, {ep("10.250.0.1", 8080)}));
    sort_ports(to);
    auto plan = path.plan(committed, from, to, settings);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->changes.size(), 1u);
    // Dispatch, endpoint, cluster IP, hairpin; cluster-1 is pinned.
    const auto& t = plan->diff.tables[0];
    EXPECT_EQ(t.add_elements.size(), 4u);
    EXPECT_TRUE(t.delete_elements.empty());
    EXPECT_TRUE(t.add_chains.empty());
    EXPECT_EQ(plan->diff.operations(), 4u);
    EXPECT_TRUE(overflowing_set(plan->diff).empty());
    // (Its speed, one walk over the ports, is scripts/bench-sync's to measure.)
}

TEST(SetSize, FillsTheKernelsBucketArrayWithHeadroom) {
    EXPECT_EQ(set_size_for(0), kMinSetSize);
    EXPECT_EQ(set_size_for(512), 1536u);    // the minimum: 2,048 buckets
    EXPECT_EQ(set_size_for(768), 1536u);
    EXPECT_EQ(set_size_for(1024), 1536u);   // still 1.5 x
    EXPECT_EQ(set_size_for(1025), 3072u);   // 4,096 buckets
    EXPECT_EQ(set_size_for(100000), 196608u);
    EXPECT_EQ(set_size_for(size_t{1} << 40), (uint32_t{1} << 31) / 4 * 3);
    for (size_t n : {0u, 1u, 700u, 1000u, 4097u, 99999u, 100000u, 131072u, 1000000u}) {
        const uint32_t size = set_size_for(n);
        EXPECT_GE(size, n * 3 / 2) << n;  // room to grow before a full replace
        EXPECT_EQ(std::bit_ceil(size_t{size} * 4 / 3), size_t{size} * 4 / 3) << n;  // fills its bucket array
    }
}

TEST(SetSize, SharedSetsAreSizedAffinitySetsAreNot) {
    auto state = many_services(600, 2);
    sort_ports(state);
    const Ruleset rs = build_ruleset(state, test_settings());
    const auto& sets = rs.tables[0].sets;
    EXPECT_EQ(sets.at(names::kEndpoints).elements.size(), 1200u);
    EXPECT_EQ(sets.at(names::kEndpoints).spec.size, 3072u);  // 4,096 buckets
    EXPECT_EQ(sets.at(names::kServiceIPs).spec.size, kMinSetSize);
    EXPECT_EQ(sets.at(names::kFirewallIPs).spec.size, kMinSetSize);
    for (const auto& [name, set] : sets) {
        if (set.spec.dynamic_timeout) {
            EXPECT_EQ(set.spec.size, 0u) << name;
        }
    }
    // Rendered as nft lists it.
    EXPECT_NE(render(rs).find("\t\tsize 3072\n"), std::string::npos);
}

// A set that the change would fill beyond its kernel size is found in the
// plan, so that the syncer replaces the tables (fresh sizes) instead of
// sending a batch the kernel refuses with ENFILE.
TEST(SetSize, OverflowIsPlannedAsAFullReplace) {
    auto from = base();
    Settings settings = test_settings();
    Ruleset committed = build_ruleset(from, settings);
    auto& eps = committed.tables[0].sets.at(names::kEndpoints);
    eps.spec.size = static_cast<uint32_t>(eps.elements.size());  // as if full
    ChangePlanner path;
    path.reset(committed, from);
    auto to = from;
    to.ports[0].endpoints.push_back(ep("10.244.3.9", 8080));
    auto plan = path.plan(committed, from, to, settings);
    ASSERT_TRUE(plan);
    const auto reason = overflowing_set(plan->diff);
    EXPECT_NE(reason.find("ip svcnat set endpoints"), std::string::npos) << reason;
    // Replacing an endpoint (delete + add) fits.
    auto same = from;
    same.ports[0].endpoints[0].ip = *IPAddr::parse("10.244.7.7");
    auto replace = path.plan(committed, from, same, settings);
    ASSERT_TRUE(replace);
    EXPECT_TRUE(overflowing_set(replace->diff).empty());
    // The general path: the diff of two full builds.
    Ruleset next = build_ruleset(to, settings);
    auto d = diff_rulesets(committed, next);
    ASSERT_FALSE(d.needs_full);
    EXPECT_FALSE(overflowing_set(d).empty());
    // Sizes are not part of a set's type, and an incremental commit keeps the kernel's.
    next.tables[0].sets.at(names::kEndpoints).spec.size = 4096;
    EXPECT_FALSE(diff_rulesets(committed, next).needs_full);
    keep_committed_sizes(committed, next);
    EXPECT_EQ(next.tables[0].sets.at(names::kEndpoints).spec.size, eps.spec.size);
}

}  // namespace
}  // namespace svcnat::nft
