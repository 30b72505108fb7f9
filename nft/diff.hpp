// The difference between the last committed ruleset and the desired one, as
// the list of kernel operations that turns one into the other.
//
// Cost: one hash lookup per set element and one comparison per chain, so
// O(objects) with cheap steps, and the output (what gets sent) is
// proportional to the change. Pointers refer into the two rulesets, which
// must outlive the diff.
#pragma once

#include <string>
#include <vector>

#include "ruleset.hpp"

namespace svcnat::nft {

struct ElementRef {
    const Set* set = nullptr;
    const WireBytes* key = nullptr;
    const ElementValue* value = nullptr;
};

struct TableDiff {
    const Table* before = nullptr;  // committed
    const Table* after = nullptr;   // desired
    std::vector<const Chain*> add_chains;      // new chains (with their rules)
    std::vector<const Chain*> replace_chains;  // same name, other rules: flush, then add the new rules
    std::vector<const Chain*> delete_chains;   // gone (from `before`)
    std::vector<const Set*> add_sets;          // new sets (with their elements)
    std::vector<const Set*> delete_sets;       // gone (from `before`)
    std::vector<ElementRef> delete_elements;   // removed or changed (from `before`)
    std::vector<ElementRef> add_elements;      // added or changed (from `after`)

    size_t operations() const {
        return add_chains.size() + replace_chains.size() + delete_chains.size() + add_sets.size() +
               delete_sets.size() + delete_elements.size() + add_elements.size();
    }
};

struct RulesetDiff {
    // Something the incremental path cannot express (a table appeared or
    // vanished, a set changed its type, a base chain changed its hook):
    // the caller must reprogram the tables whole.
    bool needs_full = false;
    std::string full_reason;
    std::vector<TableDiff> tables;

    bool empty() const {
        if (needs_full) return false;
        for (const auto& t : tables)
            if (t.operations()) return false;
        return true;
    }
    size_t operations() const {
        size_t n = 0;
        for (const auto& t : tables) n += t.operations();
        return n;
    }
};

RulesetDiff diff_rulesets(const Ruleset& before, const Ruleset& after);

// The first sized set of `d.before` tables that the diff would fill beyond
// its size (elements - deleted + added > size; the kernel would refuse the
// transaction with ENFILE), as "table/set (N elements, size S)"; "" when
// all fit. The caller then replaces the tables whole, with fresh sizes.
std::string overflowing_set(const RulesetDiff& d);

// Gives the sets of `next` that `committed` has too the committed (kernel)
// size, for an incremental commit that does not resize them.
void keep_committed_sizes(const Ruleset& committed, Ruleset& next);

}  // namespace svcnat::nft
