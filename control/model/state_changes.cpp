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

}  // namespace

StateChanges compare_states(const ServiceState& before, const ServiceState& after) {
    const Ports a = sorted_by_identity(before), b = sorted_by_identity(after);
    StateChanges c;
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const auto order = i == a.size()   ? std::strong_ordering::greater
                           : j == b.size() ? std::strong_ordering::less
                                           : compare_identity(*a[i], *b[j]);
        if (order < 0) {
            c.removed.push_back(a[i]);
            c.endpoint_changes += a[i++]->endpoints.size();
        } else if (order > 0) {
            c.added.push_back(b[j]);
            c.endpoint_changes += b[j++]->endpoints.size();
        } else {
            if (!(*a[i] == *b[j])) {
                c.changed.emplace_back(a[i], b[j]);
                c.endpoint_changes += endpoint_difference(*a[i], *b[j]);
            }
            ++i, ++j;
        }
    }
    return c;
}

}  // namespace svcnat
