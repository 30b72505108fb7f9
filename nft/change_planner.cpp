#include "change_planner.hpp"

#include <compare>
#include <tuple>

#include "builder.hpp"
#include "control/model/state_changes.hpp"

namespace svcnat::nft {
namespace {

bool strictly_sorted(const std::vector<ResolvedServicePort>& ports) {
    for (size_t i = 1; i < ports.size(); ++i)
        if (compare_identity(ports[i - 1], ports[i]) != std::strong_ordering::less) return false;
    return true;
}

// Users of each class chain in one fragment table: dispatch elements that go to it.
std::unordered_map<std::string, long> chain_uses(const Table& t) {
    std::unordered_map<std::string, long> uses;
    for (const char* name : {names::kServiceIPs, names::kServiceNodePorts}) {
        auto it = t.sets.find(name);
        if (it == t.sets.end()) continue;
        for (const auto& [key, value] : it->second.elements)
            if (is_class_chain(value.verdict.chain)) {
                ++uses[value.verdict.chain];
                if (auto dep = class_chain_dependency(value.verdict.chain); !dep.empty()) ++uses[dep];
            }
    }
    return uses;
}

// Which ports changed: compare_states' walk, on sorted input only (two
// ports of one identity, or unsorted input, cannot be matched one to one).
bool match_ports(const ServiceState& before, const ServiceState& after, ChangePlanner::Plan& plan) {
    const auto changes = compare_sorted_states(before, after, ChangePlanner::kMaxChangedPorts);
    if (!changes) return false;
    for (const auto* p : changes->removed) plan.changes.push_back({p, nullptr});
    for (const auto& [was, now] : changes->changed) plan.changes.push_back({was, now});
    for (const auto* p : changes->added) plan.changes.push_back({nullptr, p});
    plan.unchanged = plan.changes.empty();
    return true;
}

bool is_counted_set(const std::string& name) {
    // Shared between ports and counted separately, or per node.
    return name == names::kHairpin || name == names::kClusterIPs || name == names::kNodePortIPs;
}

}  // namespace

void ChangePlanner::reset(const Ruleset& committed, const ServiceState& state) {
    const size_t tables = committed.tables.size();
    chain_users_.assign(tables, {});
    hairpin_users_.assign(tables, {});
    cluster_ip_users_.assign(tables, {});
    claims_.clear();
    size_t endpoints = 0;
    for (const auto& sp : state.ports) endpoints += sp.endpoints.size();
    claims_.reserve(state.ports.size() * 2);
    for (size_t t = 0; t < tables; ++t) {
        const IPFamily family = committed.tables[t].family;
        chain_users_[t] = chain_uses(committed.tables[t]);
        hairpin_users_[t].reserve(endpoints);
        for (const auto& sp : state.ports) {
            for (const auto& k : hairpin_keys(sp, family)) ++hairpin_users_[t][k];
            for (const auto& k : cluster_ip_keys(sp, family)) ++cluster_ip_users_[t][k];
        }
    }
    for (const auto& sp : state.ports)
        for (const auto& k : claim_keys(sp)) ++claims_[k];
    valid_ = true;
}

// One plan() call: the steps in order, each of which may decline the
// change (the reason is kept for the caller's report).
class PlanBuilder {
public:
    PlanBuilder(const ChangePlanner& planner, const Ruleset& committed, const ServiceState& after,
                const Settings& settings)
        : planner_(planner), committed_(committed), after_(after), settings_(settings) {}

    std::optional<ChangePlanner::Plan> build(const ServiceState& before, std::string* declined) {
        auto& plan = plan_;
        const bool planned = same_node_ranges_and_tables(before) && find_changed_ports(before) &&
                             (plan.unchanged || (claims_stay_unique() && diff_changed_ports() &&
                                                 add_or_remove_shared_objects()));
        if (!planned) {
            if (declined) *declined = std::move(declined_);
            return std::nullopt;
        }
        return std::move(plan);
    }

private:
    using Plan = ChangePlanner::Plan;
    using Counts = ChangePlanner::Counts;
    using ElementPtr = const ElementMap::value_type*;
    using FreshElements = std::unordered_map<WireBytes, ElementPtr, WireBytesHash>;

    bool decline(std::string why) {
        declined_ = std::move(why);
        return false;
    }

    // The node's name and addresses are in many objects (NodePort rules,
    // locality of endpoints), the service CIDRs in the fixed chains: a
    // change rebuilds everything.
    bool same_node_ranges_and_tables(const ServiceState& before) {
        if (!planner_.valid_) return decline("no committed counts (first sync or after an error)");
        if (before.node.name != after_.node.name || before.node.ips != after_.node.ips ||
            before.node.zone != after_.node.zone)
            return decline("the node changed");
        if (before.service_cidrs != after_.service_cidrs) return decline("the service CIDRs changed");
        if (committed_.tables.size() != planner_.chain_users_.size()) return decline("the tables changed");
        return true;
    }

    bool find_changed_ports(const ServiceState& before) {
        if (match_ports(before, after_, plan_)) return true;
        return decline(strictly_sorted(before.ports) && strictly_sorted(after_.ports)
                           ? "more than " + std::to_string(ChangePlanner::kMaxChangedPorts) + " changed ports"
                           : std::string("ports not sorted by identity"));
    }

    // Each dispatch key (address . proto . port, proto . nodePort) a changed
    // port touches must be claimed by at most one port before and after:
    // otherwise the first writer wins, which only a full build can tell.
    bool claims_stay_unique() {
        for (const auto& c : plan_.changes) {
            if (c.before)
                for (const auto& k : claim_keys(*c.before)) --plan_.claim_delta[k];
            if (c.after)
                for (const auto& k : claim_keys(*c.after)) ++plan_.claim_delta[k];
        }
        for (const auto& [key, delta] : plan_.claim_delta) {
            auto it = planner_.claims_.find(key);
            const long was = it == planner_.claims_.end() ? 0 : it->second;
            if (was > 1 || was + delta > 1) return decline("an address and port claimed by more than one port");
        }
        return true;
    }

    // One-port fragments of the old and new version of each changed port,
    // diffed against each other and checked against the committed model.
    bool diff_changed_ports() {
        const size_t tables = committed_.tables.size();
        plan_.chain_delta.resize(tables);
        plan_.hairpin_delta.resize(tables);
        plan_.cluster_ip_delta.resize(tables);
        plan_.diff.tables.resize(tables);
        new_chain_.resize(tables);
        new_hairpin_.resize(tables);
        new_cluster_ip_.resize(tables);
        for (const auto& change : plan_.changes) {
            const Ruleset& fo = fragment(change.before);
            const Ruleset& fn = fragment(change.after);
            for (size_t t = 0; t < tables; ++t) {
                auto& td = plan_.diff.tables[t];
                td.before = td.after = &committed_.tables[t];
                if (!diff_own_chains(t, fo.tables[t], fn.tables[t]) || !diff_sets(t, fo.tables[t], fn.tables[t]))
                    return false;
                count_shared_users(t, change, fo.tables[t], fn.tables[t]);
            }
        }
        return true;
    }

    // The fixed objects plus `sp` (or the fixed objects alone, the other
    // side of an added or removed port).
    const Ruleset& fragment(const ResolvedServicePort* sp) {
        if (!sp && empty_) return *empty_;
        ServiceState one{after_.node, {}, after_.service_cidrs, {}, {}};
        if (sp) one.ports.push_back(*sp);
        plan_.fragments.push_back(std::make_unique<Ruleset>(build_ruleset(one, settings_)));
        if (!sp) empty_ = plan_.fragments.back().get();
        return *plan_.fragments.back();
    }

    // Chains: class chains are counted (count_shared_users); the fixed ones
    // are equal in both fragments; the rest belong to this port.
    bool diff_own_chains(size_t t, const Table& ot, const Table& nt) {
        const Table& ct = committed_.tables[t];
        auto& td = plan_.diff.tables[t];
        for (const auto& [name, chain] : nt.chains) {
            if (is_class_chain(name)) {
                new_chain_[t][name] = &chain;
                continue;
            }
            auto old = ot.chains.find(name);
            if (old != ot.chains.end() && old->second == chain) continue;
            auto cc = ct.chains.find(name);
            if (old == ot.chains.end()) {
                if (cc != ct.chains.end()) return decline("chain " + name + " already belongs to another port");
                td.add_chains.push_back(&chain);
            } else {
                if (cc == ct.chains.end() || !(cc->second == old->second))
                    return decline("chain " + name + " differs from the committed one");
                td.replace_chains.push_back(&chain);
            }
        }
        for (const auto& [name, chain] : ot.chains) {
            if (is_class_chain(name) || nt.chains.count(name)) continue;
            auto cc = ct.chains.find(name);
            if (cc == ct.chains.end() || !(cc->second == chain))
                return decline("chain " + name + " differs from the committed one");
            td.delete_chains.push_back(&cc->second);
        }
        return true;
    }

    // Sets: the fixed ones are diffed by element (the counted ones in
    // add_or_remove_shared_objects); the rest (affinity sets) belong to
    // this port.
    bool diff_sets(size_t t, const Table& ot, const Table& nt) {
        const Table& ct = committed_.tables[t];
        auto& td = plan_.diff.tables[t];
        for (const auto& [name, set] : nt.sets) {
            auto os = ot.sets.find(name);
            auto cs = ct.sets.find(name);
            if (os == ot.sets.end()) {
                if (cs != ct.sets.end()) return decline("set " + name + " already belongs to another port");
                td.add_sets.push_back(&set);
                continue;
            }
            if (cs == ct.sets.end() || !(os->second.spec == set.spec) || !(cs->second.spec == set.spec))
                return decline("set " + name + " changed its type");
            if (is_counted_set(name)) continue;
            if (!diff_elements(td, os->second, set, cs->second)) return false;
        }
        for (const auto& [name, set] : ot.sets) {
            if (nt.sets.count(name)) continue;
            auto cs = ct.sets.find(name);
            if (cs == ct.sets.end()) return decline("set " + name + " is not in the committed model");
            td.delete_sets.push_back(&cs->second);
        }
        return true;
    }

    bool diff_elements(TableDiff& td, const Set& old_set, const Set& new_set, const Set& committed_set) {
        for (const auto& [key, value] : old_set.elements) {
            auto it = new_set.elements.find(key);
            if (it != new_set.elements.end() && it->second == value) continue;
            auto c = committed_set.elements.find(key);
            if (c == committed_set.elements.end() || !(c->second == value))
                return decline("an element of " + old_set.spec.name + " differs from the committed one");
            td.delete_elements.push_back({&committed_set, &c->first, &c->second});
        }
        for (const auto& [key, value] : new_set.elements) {
            auto it = old_set.elements.find(key);
            if (it != old_set.elements.end() && it->second == value) continue;
            if (it == old_set.elements.end() && committed_set.elements.count(key))
                return decline("an element of " + new_set.spec.name + " already belongs to another port");
            td.add_elements.push_back({&committed_set, &key, &value});
        }
        return true;
    }

    void count_shared_users(size_t t, const ChangePlanner::Change& change, const Table& ot, const Table& nt) {
        for (const auto& [name, n] : chain_uses(ot)) plan_.chain_delta[t][name] -= n;
        for (const auto& [name, n] : chain_uses(nt)) plan_.chain_delta[t][name] += n;
        const IPFamily family = committed_.tables[t].family;
        if (change.before) {
            for (const auto& k : hairpin_keys(*change.before, family)) --plan_.hairpin_delta[t][k];
            for (const auto& k : cluster_ip_keys(*change.before, family)) --plan_.cluster_ip_delta[t][k];
        }
        if (!change.after) return;
        const auto& nh = nt.sets.at(names::kHairpin).elements;
        for (const auto& k : hairpin_keys(*change.after, family)) {
            ++plan_.hairpin_delta[t][k];
            if (auto e = nh.find(k); e != nh.end()) new_hairpin_[t][k] = &*e;
        }
        const auto& nc = nt.sets.at(names::kClusterIPs).elements;
        for (const auto& k : cluster_ip_keys(*change.after, family)) {
            ++plan_.cluster_ip_delta[t][k];
            if (auto e = nc.find(k); e != nc.end()) new_cluster_ip_[t][k] = &*e;
        }
    }

    // Shared objects appear with their first user and go with their last.
    bool add_or_remove_shared_objects() {
        for (size_t t = 0; t < committed_.tables.size(); ++t)
            if (!add_or_remove_class_chains(t) ||
                !add_or_remove_counted(t, names::kHairpin, plan_.hairpin_delta[t], planner_.hairpin_users_[t],
                                       new_hairpin_[t]) ||
                !add_or_remove_counted(t, names::kClusterIPs, plan_.cluster_ip_delta[t],
                                       planner_.cluster_ip_users_[t], new_cluster_ip_[t]))
                return false;
        return true;
    }

    bool add_or_remove_class_chains(size_t t) {
        const Table& ct = committed_.tables[t];
        auto& td = plan_.diff.tables[t];
        for (const auto& [name, delta] : plan_.chain_delta[t]) {
            if (delta == 0) continue;
            auto u = planner_.chain_users_[t].find(name);
            const long was = u == planner_.chain_users_[t].end() ? 0 : u->second;
            const long now = was + delta;
            if (now < 0) return decline("class chain " + name + " would have fewer than no users");
            if (is_pinned_class_chain(name)) continue;  // always there
            if (was == 0 && now > 0) {
                if (ct.chains.count(name)) return decline("class chain " + name + " exists without users");
                td.add_chains.push_back(new_chain_[t].at(name));
            }
            if (was > 0 && now == 0) td.delete_chains.push_back(&ct.chains.at(name));
        }
        return true;
    }

    bool add_or_remove_counted(size_t t, const char* set_name, const Counts& delta_map, const Counts& users,
                               const FreshElements& fresh) {
        const Set& set = committed_.tables[t].sets.at(set_name);
        auto& td = plan_.diff.tables[t];
        for (const auto& [key, delta] : delta_map) {
            if (delta == 0) continue;
            auto u = users.find(key);
            const long was = u == users.end() ? 0 : u->second;
            const long now = was + delta;
            if (now < 0) return decline(std::string("an element of ") + set_name + " would have fewer than no users");
            if (was == 0 && now > 0) {
                auto v = fresh.find(key);
                if (v == fresh.end() || set.elements.count(key))
                    return decline(std::string("an element of ") + set_name + " exists without users");
                td.add_elements.push_back({&set, &v->second->first, &v->second->second});
            }
            if (was > 0 && now == 0) {
                auto c = set.elements.find(key);
                if (c == set.elements.end())
                    return decline(std::string("a used element of ") + set_name + " is missing");
                td.delete_elements.push_back({&set, &c->first, &c->second});
            }
        }
        return true;
    }

    const ChangePlanner& planner_;
    const Ruleset& committed_;
    const ServiceState& after_;
    const Settings& settings_;
    Plan plan_;
    std::string declined_;
    const Ruleset* empty_ = nullptr;
    std::vector<std::unordered_map<std::string, const Chain*>> new_chain_;
    std::vector<FreshElements> new_hairpin_, new_cluster_ip_;
};

std::optional<ChangePlanner::Plan> ChangePlanner::plan(const Ruleset& committed, const ServiceState& before,
                                                       const ServiceState& after, const Settings& settings,
                                                       std::string* declined) const {
    return PlanBuilder(*this, committed, after, settings).build(before, declined);
}

void ChangePlanner::apply(Plan& plan, Ruleset& committed) {
    auto add_counts = [](Counts& users, const Counts& delta) {
        for (const auto& [key, d] : delta) {
            if (d == 0) continue;
            auto& n = users[key];
            n += d;
            if (n == 0) users.erase(key);
        }
    };
    for (size_t t = 0; t < plan.diff.tables.size(); ++t) {
        Table& ct = committed.tables[t];
        const auto& td = plan.diff.tables[t];
        // Deletes first: a changed element is deleted and added again.
        // Copy the keys first: r.key may point into committed elements, which
        // an erase moves (ElementMap keeps its entries in one vector).
        std::vector<std::pair<const std::string*, WireBytes>> gone;
        gone.reserve(td.delete_elements.size());
        for (const auto& r : td.delete_elements) gone.emplace_back(&r.set->spec.name, *r.key);
        for (const auto& [set, key] : gone) ct.sets.at(*set).elements.erase(key);
        for (const auto& r : td.add_elements) ct.sets.at(r.set->spec.name).elements.insert_or_assign(*r.key, *r.value);
        for (const auto* c : td.delete_chains) {
            const std::string name = c->name;  // c points into the chain being erased
            ct.chains.erase(name);
        }
        for (const auto* c : td.add_chains) ct.chains.insert_or_assign(c->name, *c);
        for (const auto* c : td.replace_chains) ct.chains.insert_or_assign(c->name, *c);
        for (const auto* s : td.delete_sets) {
            const std::string name = s->spec.name;
            ct.sets.erase(name);
        }
        for (const auto* s : td.add_sets) ct.sets.insert_or_assign(s->spec.name, *s);
        for (const auto& [name, delta] : plan.chain_delta[t]) {
            if (delta == 0) continue;
            auto& n = chain_users_[t][name];
            n += delta;
            if (n == 0) chain_users_[t].erase(name);
        }
        add_counts(hairpin_users_[t], plan.hairpin_delta[t]);
        add_counts(cluster_ip_users_[t], plan.cluster_ip_delta[t]);
    }
    add_counts(claims_, plan.claim_delta);
}

}  // namespace svcnat::nft
