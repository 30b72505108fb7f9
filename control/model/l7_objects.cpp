#include "l7_objects.hpp"

#include <algorithm>
#include <tuple>

namespace svcnat {

bool older_than(const ObjectMeta& a, const ObjectMeta& b) {
    // "" sorts first: objects without a timestamp count as the oldest.
    return std::tie(a.creationTimestamp, a.ns, a.name) < std::tie(b.creationTimestamp, b.ns, b.name);
}

bool LabelSelector::matches(const Labels& labels) const {
    for (const auto& [k, v] : matchLabels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    for (const auto& r : matchExpressions) {
        auto it = labels.find(r.key);
        const bool has = it != labels.end();
        const bool listed = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
        if (r.op == "In" && !listed) return false;
        if (r.op == "NotIn" && listed) return false;
        if (r.op == "Exists" && !has) return false;
        if (r.op == "DoesNotExist" && has) return false;
    }
    return true;
}

bool reference_granted(const std::vector<ReferenceGrant>& grants, std::string_view from_group,
                       std::string_view from_kind, std::string_view from_ns, std::string_view to_group,
                       std::string_view to_kind, std::string_view to_ns, std::string_view to_name) {
    for (const auto& g : grants) {
        if (g.meta.ns != to_ns) continue;
        const bool from_ok = std::any_of(g.from.begin(), g.from.end(), [&](const ReferenceGrant::From& f) {
            return f.group == from_group && f.kind == from_kind && f.ns == from_ns;
        });
        if (!from_ok) continue;
        const bool to_ok = std::any_of(g.to.begin(), g.to.end(), [&](const ReferenceGrant::To& t) {
            return t.group == to_group && t.kind == to_kind && (t.name.empty() || t.name == to_name);
        });
        if (to_ok) return true;
    }
    return false;
}

}  // namespace svcnat
