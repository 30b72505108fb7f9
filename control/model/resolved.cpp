#include "resolved.hpp"

namespace svcnat {

std::string ResolvedServicePort::id() const {
    std::string s = ns + "/" + name;
    if (!portName.empty()) s += ":" + portName;
    return s;
}

std::string ResolvedServicePort::key() const { return id() + "/" + std::string(to_string(protocol)); }

std::vector<const ResolvedEndpoint*> usable_endpoints(const ResolvedServicePort& sp, bool local_only) {
    return usable_endpoints(sp.endpoints, local_only);
}

std::vector<const ResolvedEndpoint*> usable_endpoints(const std::vector<ResolvedEndpoint>& endpoints, bool local_only) {
    std::vector<const ResolvedEndpoint*> ready, fallback;
    for (const auto& ep : endpoints) {
        if (local_only && !ep.is_local) continue;
        if (ep.ready) ready.push_back(&ep);
        else if (ep.serving && ep.terminating) fallback.push_back(&ep);
    }
    return ready.empty() ? fallback : ready;
}

}  // namespace svcnat
