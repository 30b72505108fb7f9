// Any bytes as a manifest file, through the whole loader: YAML/JSON parse,
// decoding by kind, API-server validation, merge and cross-object checks,
// then allocation and endpoint resolution of what was accepted. Nothing may
// crash, hang or trip a sanitizer; every rejection is a diagnostic.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/config/settings.hpp"
#include "control/manifest/load.hpp"
#include "control/model/allocate.hpp"
#include "control/model/discovery.hpp"
#include "control/model/resolve.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace svcnat;
    static const Settings settings = [] {
        Settings s;
        s.node_name = "node-a";
        s.service_cidrs = {*CIDR::parse("10.96.0.0/12"), *CIDR::parse("fd00:10:96::/112")};
        return s;
    }();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    LoadResult r = load_text(text, "fuzz.yaml", settings);
    AllocationOptions alloc;
    alloc.service_cidrs = effective_service_cidrs(settings.service_cidrs, r.manifests.serviceCIDRs);
    allocate(r.manifests, alloc, r.diagnostics);
    if (!r.ok()) return 0;
    NodeInfo node;
    node.name = settings.node_name;
    const ServiceState state = resolve(r.manifests, node, &r.diagnostics);
    const DiscoveryState discovery = discover(r.manifests, node);
    (void)state;
    (void)discovery;
    return 0;
}
