#include "state_changes.hpp"

#include <algorithm>
#include <set>

namespace svcnat {
namespace {

using Ports = std::vector<const ResolvedServicePort*>;

Ports sorted_by_identity(const ServiceState& s) {
    Ports out;
    out.reserve(s.ports.size());
    for (const auto& sp : s.ports) out.push_back(&sp);
    auto less = [](const ResolvedServicePort* a, const ResolvedServicePort* b) { return compare_identity(*a, *b) < 0; };
    if (!std::is_sorted(out.begin(), out.end(), less)) std::stable_sort(out.begin(), out.end(), less);
    return out;
}

size_t endpoint_difference(const ResolvedServicePort& a, const ResolvedServicePort& b) {
    using Endpoint = std::pair<IPAddr, uint16_t>;
    std::set<Endpoint> x, y;
    for (const auto& e : a.endpoints) x.emplace(e.ip, e.port);
    for (const auto& e : b.endpoints) y.emplace(e.ip, e.port);
    size_t n = 0;
    for (const auto& e : x) n += !y.count(e);
    for (const auto& e : y) n += !x.count(e);
    return n;
}

// The merge walk over two sequences of ports in identity order; `at(i)`
// gives a port. `on_step` sees each port it passes (sortedness checks);
// false from it, or more than `max_changes` changes, stops the walk.
template <typename A, typename B, typename Step>
bool merge_walk(size_t na, A at_a, size_t nb, B at_b, StateChanges& c, size_t max_changes, Step on_step) {
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        const auto order = i == na   ? std::strong_ordering::greater
                           : j == nb ? std::strong_ordering::less
                                     : compare_identity(at_a(i), at_b(j));
        if (order < 0) {
            c.removed.push_back(&at_a(i));
            c.endpoint_changes += at_a(i).endpoints.size();
            if (!on_step(true, i++)) return false;
        } else if (order > 0) {
            c.added.push_back(&at_b(j));
            c.endpoint_changes += at_b(j).endpoints.size();
            if (!on_step(false, j++)) return false;
        } else {
            if (!(at_a(i) == at_b(j))) {
                c.changed.emplace_back(&at_a(i), &at_b(j));
                c.endpoint_changes += endpoint_difference(at_a(i), at_b(j));
            }
            if (!on_step(true, i++) || !on_step(false, j++)) return false;
        }
        if (c.service_port_changes() > max_changes) return false;
    }
    return true;
}

}  // namespace

StateChanges compare_states(const ServiceState& before, const ServiceState& after) {
    const Ports a = sorted_by_identity(before), b = sorted_by_identity(after);
    StateChanges c;
    merge_walk(
        a.size(), [&](size_t i) -> const ResolvedServicePort& { return *a[i]; }, b.size(),
        [&](size_t j) -> const ResolvedServicePort& { return *b[j]; }, c, SIZE_MAX, [](bool, size_t) { return true; });
    return c;
}

std::optional<StateChanges> compare_sorted_states(const ServiceState& before, const ServiceState& after,
                                                  size_t max_changes) {
    const auto& a = before.ports;
    const auto& b = after.ports;
    // Each port passed must come strictly after its predecessor.
    auto in_order = [&](bool in_before, size_t k) {
        const auto& v = in_before ? a : b;
        return k == 0 || compare_identity(v[k - 1], v[k]) == std::strong_ordering::less;
    };
    StateChanges c;
    if (!merge_walk(
            a.size(), [&](size_t i) -> const ResolvedServicePort& { return a[i]; }, b.size(),
            [&](size_t j) -> const ResolvedServicePort& { return b[j]; }, c, max_changes, in_order))
        return std::nullopt;
    return c;
}

}  // namespace svcnat
