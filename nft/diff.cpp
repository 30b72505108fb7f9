#include "diff.hpp"

#include <unordered_map>

namespace svcnat::nft {
namespace {

void diff_elements(const Set& before, const Set& after, TableDiff& out) {
    for (const auto& [key, value] : before.elements) {
        auto it = after.elements.find(key);
        if (it == after.elements.end() || !(it->second == value)) out.delete_elements.push_back({&before, &key, &value});
    }
    for (const auto& [key, value] : after.elements) {
        auto it = before.elements.find(key);
        if (it == before.elements.end() || !(it->second == value)) out.add_elements.push_back({&after, &key, &value});
    }
}

bool diff_table(const Table& before, const Table& after, TableDiff& out, std::string& reason) {
    out.before = &before;
    out.after = &after;
    for (const auto& [name, set] : after.sets) {
        auto it = before.sets.find(name);
        if (it == before.sets.end()) {
            out.add_sets.push_back(&set);
        } else if (!(it->second.spec == set.spec)) {
            reason = "set " + name + " changed its type";
            return false;
        } else {
            diff_elements(it->second, set, out);
        }
    }
    for (const auto& [name, set] : before.sets)
        if (!after.sets.count(name)) out.delete_sets.push_back(&set);
    for (const auto& [name, chain] : after.chains) {
        auto it = before.chains.find(name);
        if (it == before.chains.end()) {
            out.add_chains.push_back(&chain);
        } else if (it->second.base != chain.base) {
            reason = "base chain " + name + " changed its hook";
            return false;
        } else if (!(it->second.rules == chain.rules)) {
            out.replace_chains.push_back(&chain);
        }
    }
    for (const auto& [name, chain] : before.chains)
        if (!after.chains.count(name)) out.delete_chains.push_back(&chain);
    return true;
}

}  // namespace

RulesetDiff diff_rulesets(const Ruleset& before, const Ruleset& after) {
    RulesetDiff d;
    if (before.tables.size() != after.tables.size()) {
        d.needs_full = true;
        d.full_reason = "tables differ";
        return d;
    }
    for (size_t i = 0; i < after.tables.size(); ++i) {
        const auto& b = before.tables[i];
        const auto& a = after.tables[i];
        if (b.family != a.family || b.name != a.name) {
            d.needs_full = true;
            d.full_reason = "table " + a.name + " renamed";
            return d;
        }
        TableDiff td;
        if (!diff_table(b, a, td, d.full_reason)) {
            d.needs_full = true;
            return d;
        }
        d.tables.push_back(std::move(td));
    }
    return d;
}

std::string overflowing_set(const RulesetDiff& d) {
    for (const auto& td : d.tables) {
        if (!td.before) continue;
        std::unordered_map<std::string_view, long> delta;
        for (const auto& r : td.delete_elements) --delta[r.set->spec.name];
        for (const auto& r : td.add_elements) ++delta[r.set->spec.name];
        for (const auto& [name, change] : delta) {
            auto it = td.before->sets.find(std::string(name));
            if (it == td.before->sets.end() || it->second.spec.size == 0) continue;  // new in this batch, or unsized
            const long count = static_cast<long>(it->second.elements.size()) + change;
            if (count > static_cast<long>(it->second.spec.size))
                return std::string(family_keyword(td.before->family)) + " " + td.before->name + " set " +
                       std::string(name) + " (" + std::to_string(count) + " elements, size " +
                       std::to_string(it->second.spec.size) + ")";
        }
    }
    return {};
}

void keep_committed_sizes(const Ruleset& committed, Ruleset& next) {
    for (size_t i = 0; i < next.tables.size() && i < committed.tables.size(); ++i)
        for (auto& [name, set] : next.tables[i].sets) {
            auto it = committed.tables[i].sets.find(name);
            if (it != committed.tables[i].sets.end()) set.spec.size = it->second.spec.size;
        }
}

}  // namespace svcnat::nft
