// Incremental syncs in time proportional to the change, not to the ruleset.
//
// Why: rebuilding the whole Ruleset and diffing it costs hundreds of ms at
// 10,000 services, for a change that touches a few elements. Every object
// the builder makes belongs either to one service port (its elements in the
// shared maps, its own chains and affinity sets) or is shared by many and
// reference-counted here (class chains `cluster-N` etc. by the dispatch
// elements that jump to them, except the pinned N <= 16 which always
// exist, hairpin pairs by the ports whose endpoints
// they are, cluster-ips by the ports on that address). So a change of a few
// ports is planned by building one-port "fragments" of their old and new
// versions and diffing those, against the committed model.
//
// Ports are matched by identity (ResolvedServicePort::identity()) in one
// walk over both states (sorted as resolve() sorts them); that walk is the
// only O(ports) step, and it is also the no-op check. Anything the fragments
// cannot express is declined, with the reason, and the caller rebuilds and
// diffs the whole ruleset: a node change, more than kMaxChangedPorts ports,
// two ports claiming one address:port (first writer wins, which depends on
// all ports), a set changing its type, unsorted input, an object that the
// committed model holds in another form than the fragments expect.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/resolved.hpp"
#include "diff.hpp"
#include "ruleset.hpp"

namespace svcnat::nft {

class ChangePlanner {
public:
    static constexpr size_t kMaxChangedPorts = 512;

    // Recount the shared objects' users from a committed ruleset and state.
    void reset(const Ruleset& committed, const ServiceState& state);
    void invalidate() { valid_ = false; }

    using Counts = std::unordered_map<WireBytes, long, WireBytesHash>;
    struct Change {
        const ResolvedServicePort* before = nullptr;  // null: added
        const ResolvedServicePort* after = nullptr;   // null: removed
    };
    // The operations (pointing into `committed` and into fragments the plan
    // owns) and how to apply them to the model after the commit.
    struct Plan {
        bool unchanged = false;   // nothing to do, nothing to send
        std::vector<Change> changes;
        RulesetDiff diff;
        std::vector<std::unique_ptr<Ruleset>> fragments;  // keep new elements/chains alive
        // Per table: change in the number of users of class chains, hairpin
        // pairs and cluster-ips addresses; and of address:port claims.
        std::vector<std::unordered_map<std::string, long>> chain_delta;
        std::vector<Counts> hairpin_delta, cluster_ip_delta;
        Counts claim_delta;
    };
    // nullopt: declined; `declined` (when given) then says why.
    std::optional<Plan> plan(const Ruleset& committed, const ServiceState& before, const ServiceState& after,
                             const Settings& settings, std::string* declined = nullptr) const;

    // After a successful commit: make `committed` and the counts equal to
    // what a full build of the planned state would give.
    void apply(Plan& plan, Ruleset& committed);

private:
    friend class PlanBuilder;
    bool valid_ = false;
    // Per table (index as in Ruleset::tables).
    std::vector<std::unordered_map<std::string, long>> chain_users_;
    std::vector<Counts> hairpin_users_, cluster_ip_users_;
    Counts claims_;  // dispatch keys (address . proto . port, proto . nodePort): ports claiming each
};

}  // namespace svcnat::nft
