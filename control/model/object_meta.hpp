// The metadata every Kubernetes object carries, as the model keeps it.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace svcnat {

// Where an object or field came from, for `file:line: field: message`.
struct SourceLoc {
    std::string file;
    uint32_t line = 0;
};

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
    std::string name;
    std::string ns = "default";
    Labels labels;
    Labels annotations;
    SourceLoc loc;  // line of the document's `kind:` (or first key)
    // RFC 3339 as exported ("" when absent, as in hand-written manifests):
    // the oldest object wins a conflict (Ingress paths, Gateway API rules),
    // then namespace/name order.
    std::string creationTimestamp;
};

// Conflict order of Ingresses and routes: older first (an object without a
// timestamp counts as older than any that has one, so hand-written
// manifests fall back to namespace/name order), then namespace, then name.
bool older_than(const ObjectMeta& a, const ObjectMeta& b);

}  // namespace svcnat
