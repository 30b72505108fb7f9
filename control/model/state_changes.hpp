// What changed between two ServiceStates, port by port (matched by
// ResolvedServicePort::identity()): the one comparison behind the daemon's
// change log, the sync report's change counts and kernel mode's UDP
// conntrack clean-up.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "resolved.hpp"

namespace svcnat {

struct StateChanges {
    std::vector<const ResolvedServicePort*> added;    // in `after` only
    std::vector<const ResolvedServicePort*> removed;  // in `before` only
    // Same identity, other contents: {before, after}.
    std::vector<std::pair<const ResolvedServicePort*, const ResolvedServicePort*>> changed;
    // Endpoints (ip:port) added or removed: all of an added or removed
    // port's, the symmetric difference of a changed one's.
    size_t endpoint_changes = 0;

    size_t service_port_changes() const { return added.size() + removed.size() + changed.size(); }
    bool empty() const { return service_port_changes() == 0; }
};

// Pointers refer into `before` and `after`, which must outlive the result.
// O(n) when both are sorted by identity (as resolve() returns them),
// O(n log n) otherwise.
StateChanges compare_states(const ServiceState& before, const ServiceState& after);

// The same walk without sorting: nullopt when either state is not strictly
// sorted by identity (unsorted, or two ports with one identity), or when
// more than `max_changes` ports changed (the walk stops there). For callers
// that plan per changed port (the nftables change planner) and must not
// guess which of two equal identities is which.
std::optional<StateChanges> compare_sorted_states(const ServiceState& before, const ServiceState& after,
                                                  size_t max_changes = SIZE_MAX);

}  // namespace svcnat
