// The common incremental case, endpoints of plain service ports changing,
// in time proportional to the change rather than to the ruleset.
//
// Why: the general incremental path rebuilds the whole model and diffs it
// (hundreds of ms at 10,000 services). Endpoint churn of plain services only
// touches that port's elements in the shared maps, the hairpin pairs of its
// endpoints (shared between ports, so reference-counted here) and perhaps
// a class chain (`cluster-N`, shared, reference-counted). Anything else (new
// or removed ports, address or policy changes, affinity, Local policies)
// returns nullopt and the caller takes the general path.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "../control/config/settings.hpp"
#include "../control/model/resolved.hpp"
#include "diff.hpp"
#include "ruleset.hpp"

namespace svcnat::nft {

class EndpointFastPath {
public:
    // Recount the shared objects' users from a committed ruleset and state.
    void reset(const Ruleset& committed, const ServiceState& state);
    void invalidate() { valid_ = false; }

    // A plan: the operations (pointing into `committed` and into fragments
    // the plan owns) and how to apply them to the model after the commit.
    struct Plan {
        RulesetDiff diff;
        std::vector<std::unique_ptr<Ruleset>> fragments;  // keep new elements/chains alive
        std::vector<size_t> changed_ports;                // indexes into the state
        // Change in the number of users, per table.
        std::vector<std::unordered_map<std::string, long>> chain_delta;
        std::vector<std::unordered_map<WireBytes, long, WireBytesHash>> hairpin_delta;
    };
    std::optional<Plan> plan(const Ruleset& committed, const ServiceState& before, const ServiceState& after,
                             const Settings& settings) const;

    // After a successful commit: make `committed` and the counts equal to
    // what a full build of `after` would give.
    void apply(Plan& plan, Ruleset& committed, ServiceState& state, const ServiceState& after);

private:
    bool valid_ = false;
    // Per table (index as in Ruleset::tables): users of each class chain and
    // of each hairpin pair.
    std::vector<std::unordered_map<std::string, long>> chain_users_;
    std::vector<std::unordered_map<WireBytes, long, WireBytesHash>> hairpin_users_;
};

}  // namespace svcnat::nft
