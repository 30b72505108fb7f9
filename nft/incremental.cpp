#include "endpoint_fast_path.hpp"

#include <cctype>

#include "builder.hpp"

namespace svcnat::nft {
namespace {

// Cap: beyond this many changed ports a full rebuild + diff is as cheap.
constexpr size_t kMaxChangedPorts = 512;

bool is_class_chain(const std::string& name) {
    for (const char* prefix : {"cluster-", "external-", "nodeport-"}) {
        const std::string p(prefix);
        if (name.size() > p.size() && name.compare(0, p.size(), p) == 0 &&
            std::isdigit(static_cast<unsigned char>(name[p.size()])))
            return true;
    }
    return false;
}

bool is_plain(const ResolvedServicePort& sp) {
    return sp.sessionAffinity == SessionAffinity::None && sp.internalTrafficPolicy == TrafficPolicy::Cluster &&
           sp.externalTrafficPolicy == TrafficPolicy::Cluster;
}

// The hairpin pairs a port contributes in `family`, as the builder adds them.
std::vector<WireBytes> hairpin_keys(const ResolvedServicePort& sp, IPFamily family) {
    std::vector<WireBytes> out;
    bool present = sp.nodePort != 0;
    for (const auto* list : {&sp.clusterIPs, &sp.externalIPs, &sp.loadBalancerIPs})
        for (const auto& ip : *list) present |= ip.family == family;
    if (!present) return out;
    for (const auto* ep : usable_endpoints(sp, false)) {
        if (ep->ip.family != family) continue;
        WireBytes k;
        append_addr(k, ep->ip);
        append_addr(k, ep->ip);
        out.push_back(k);
    }
    return out;
}

// Users of each class chain in one fragment table: dispatch elements that go to it.
std::unordered_map<std::string, long> chain_uses(const Table& t) {
    std::unordered_map<std::string, long> uses;
    for (const char* name : {names::kServiceIPs, names::kServiceNodePorts}) {
        auto it = t.sets.find(name);
        if (it == t.sets.end()) continue;
        for (const auto& [key, value] : it->second.elements)
            if (is_class_chain(value.verdict.chain)) ++uses[value.verdict.chain];
    }
    return uses;
}

bool is_counted_set(const std::string& name) {
    // Shared between ports (counted separately) or not per port at all.
    return name == names::kHairpin || name == names::kClusterIPs || name == names::kNodePortIPs;
}

}  // namespace

void EndpointFastPath::reset(const Ruleset& committed, const ServiceState& state) {
    chain_users_.assign(committed.tables.size(), {});
    hairpin_users_.assign(committed.tables.size(), {});
    for (size_t t = 0; t < committed.tables.size(); ++t) {
        chain_users_[t] = chain_uses(committed.tables[t]);
        for (const auto& sp : state.ports)
            for (const auto& k : hairpin_keys(sp, committed.tables[t].family)) ++hairpin_users_[t][k];
    }
    valid_ = true;
}

std::optional<EndpointFastPath::Plan> EndpointFastPath::plan(const Ruleset& committed, const ServiceState& before,
                                                              const ServiceState& after, const Settings& settings) const {
    if (!valid_ || before.ports.size() != after.ports.size() || before.node.name != after.node.name ||
        before.node.ips != after.node.ips || committed.tables.size() != chain_users_.size())
        return std::nullopt;
    Plan plan;
    for (size_t i = 0; i < after.ports.size(); ++i) {
        const auto& a = before.ports[i];
        const auto& b = after.ports[i];
        if (a == b) continue;
        auto same_but_endpoints = a;
        same_but_endpoints.endpoints = b.endpoints;
        if (!(same_but_endpoints == b) || !is_plain(a)) return std::nullopt;
        plan.changed_ports.push_back(i);
        if (plan.changed_ports.size() > kMaxChangedPorts) return std::nullopt;
    }
    if (plan.changed_ports.empty()) return std::nullopt;

    const size_t tables = committed.tables.size();
    auto& chain_delta = plan.chain_delta;
    chain_delta.resize(tables);
    std::vector<std::unordered_map<std::string, const Chain*>> new_chain(tables);
    auto& hairpin_delta = plan.hairpin_delta;
    hairpin_delta.resize(tables);
    // Pointers into the fragments' hairpin sets (which outlive the plan's use).
    std::vector<std::unordered_map<WireBytes, const std::pair<const WireBytes, ElementValue>*, WireBytesHash>>
        new_hairpin(tables);
    plan.diff.tables.resize(tables);

    for (size_t i : plan.changed_ports) {
        ServiceState one_before{after.node, {before.ports[i]}}, one_after{after.node, {after.ports[i]}};
        plan.fragments.push_back(std::make_unique<Ruleset>(build_ruleset(one_before, settings)));
        const Ruleset& fo = *plan.fragments.back();
        plan.fragments.push_back(std::make_unique<Ruleset>(build_ruleset(one_after, settings)));
        const Ruleset& fn = *plan.fragments.back();
        for (size_t t = 0; t < tables; ++t) {
            const Table& ct = committed.tables[t];
            const Table& ot = fo.tables[t];
            const Table& nt = fn.tables[t];
            auto& td = plan.diff.tables[t];
            td.before = td.after = &ct;
            // Non-class chains (fixed ones, firewall) must be the same.
            for (const auto& [name, chain] : nt.chains) {
                if (is_class_chain(name)) {
                    new_chain[t][name] = &chain;
                    continue;
                }
                auto it = ot.chains.find(name);
                if (it == ot.chains.end() || !(it->second == chain)) return std::nullopt;
            }
            for (const auto& [name, set] : nt.sets) {
                if (is_counted_set(name)) continue;
                const Set& old_set = ot.sets.at(name);
                const Set& committed_set = ct.sets.at(name);
                for (const auto& [key, value] : old_set.elements) {
                    auto it = set.elements.find(key);
                    if (it != set.elements.end() && it->second == value) continue;
                    auto c = committed_set.elements.find(key);
                    // Not ours in the committed model (another port won the
                    // key): leave it to the general path.
                    if (c == committed_set.elements.end() || !(c->second == value)) return std::nullopt;
                    td.delete_elements.push_back({&committed_set, &c->first, &c->second});
                }
                for (const auto& [key, value] : set.elements) {
                    auto it = old_set.elements.find(key);
                    if (it != old_set.elements.end() && it->second == value) continue;
                    if (it == old_set.elements.end() && committed_set.elements.count(key)) return std::nullopt;
                    td.add_elements.push_back({&set, &key, &value});
                }
            }
            for (const auto& [name, n] : chain_uses(ot)) chain_delta[t][name] -= n;
            for (const auto& [name, n] : chain_uses(nt)) chain_delta[t][name] += n;
            for (const auto& k : hairpin_keys(before.ports[i], ct.family)) --hairpin_delta[t][k];
            const auto& nh = nt.sets.at(names::kHairpin).elements;
            for (const auto& k : hairpin_keys(after.ports[i], ct.family)) {
                ++hairpin_delta[t][k];
                new_hairpin[t][k] = &*nh.find(k);
            }
        }
    }

    for (size_t t = 0; t < tables; ++t) {
        const Table& ct = committed.tables[t];
        auto& td = plan.diff.tables[t];
        for (const auto& [name, delta] : chain_delta[t]) {
            if (delta == 0) continue;
            auto u = chain_users_[t].find(name);
            const long was = u == chain_users_[t].end() ? 0 : u->second;
            const long now = was + delta;
            if (was == 0 && now > 0) td.add_chains.push_back(new_chain[t].at(name));
            if (was > 0 && now == 0) td.delete_chains.push_back(&ct.chains.at(name));
        }
        const Set& hairpin = ct.sets.at(names::kHairpin);
        for (const auto& [key, delta] : hairpin_delta[t]) {
            if (delta == 0) continue;
            auto u = hairpin_users_[t].find(key);
            const long was = u == hairpin_users_[t].end() ? 0 : u->second;
            const long now = was + delta;
            if (was == 0 && now > 0) {
                auto v = new_hairpin[t].find(key);
                if (v == new_hairpin[t].end()) return std::nullopt;
                td.add_elements.push_back({&ct.sets.at(names::kHairpin), &v->second->first, &v->second->second});
            }
            if (was > 0 && now == 0) {
                auto c = hairpin.elements.find(key);
                if (c == hairpin.elements.end()) return std::nullopt;
                td.delete_elements.push_back({&hairpin, &c->first, &c->second});
            }
        }
    }
    return plan;
}

void EndpointFastPath::apply(Plan& plan, Ruleset& committed, ServiceState& state, const ServiceState& after) {
    for (size_t t = 0; t < plan.diff.tables.size(); ++t) {
        Table& ct = committed.tables[t];
        const auto& td = plan.diff.tables[t];
        // Deletes first: a changed element is deleted and added again.
        for (const auto& r : td.delete_elements) {
            const WireBytes key = *r.key;  // r.key points into the element being erased
            ct.sets.at(r.set->spec.name).elements.erase(key);
        }
        for (const auto& r : td.add_elements) ct.sets.at(r.set->spec.name).elements.insert_or_assign(*r.key, *r.value);
        for (const auto* c : td.delete_chains) {
            const std::string name = c->name;  // c points into the chain being erased
            ct.chains.erase(name);
        }
        for (const auto* c : td.add_chains) ct.chains.emplace(c->name, *c);
        for (const auto& [name, delta] : plan.chain_delta[t]) {
            auto& n = chain_users_[t][name];
            n += delta;
            if (n == 0) chain_users_[t].erase(name);
        }
        for (const auto& [key, delta] : plan.hairpin_delta[t]) {
            auto& n = hairpin_users_[t][key];
            n += delta;
            if (n == 0) hairpin_users_[t].erase(key);
        }
    }
    for (size_t i : plan.changed_ports) state.ports[i] = after.ports[i];
}

}  // namespace svcnat::nft
