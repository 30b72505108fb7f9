// load_state(): the one path from settings to desired state, shared by every
// subcommand and the daemon, so that `svcnat get`, `svcnat sync` and the
// daemon can never disagree about what the manifests mean.
#include "state.hpp"

#include "control/model/allocate.hpp"
#include "control/model/resolve.hpp"

namespace svcnat {

NodeInfo node_info(const Settings& settings, const Manifests& manifests) {
    NodeInfo node;
    node.name = settings.node_name;
    const Node* self = nullptr;
    for (const auto& n : manifests.nodes)
        if (!node.name.empty() && n.meta.name == node.name) self = &n;
    if (!settings.node_ips.empty()) {
        node.ips = settings.node_ips;
    } else if (self) {
        // kube-proxy's choice: InternalIP addresses, ExternalIP only when a
        // node has no internal address at all.
        node.ips = !self->internalIPs.empty() ? self->internalIPs : self->externalIPs;
    }
    if (self) node.zone = self->zone;
    return node;
}

StateResult load_state(const Settings& settings, ManifestCache* cache) {
    StateResult out;
    if (cache && cache->unchanged(settings)) {
        out.unchanged = true;
        return out;
    }
    if (cache) cache->forget_valid();
    out.load = load_paths(settings.manifests, settings, cache);

    const std::vector<CIDR> service_cidrs =
        effective_service_cidrs(settings.service_cidrs, out.load.manifests.serviceCIDRs);
    AllocationOptions alloc;
    alloc.service_cidrs = service_cidrs;
    alloc.node_port_first = settings.node_port_range.first;
    alloc.node_port_last = settings.node_port_range.last;
    // Allocation also runs on invalid input, so that `svcnat check` reports
    // exhaustion next to the validation errors in one pass.
    allocate(out.load.manifests, alloc, out.load.diagnostics);

    out.state.node = node_info(settings, out.load.manifests);
    if (!out.load.ok()) return out;
    // One resolution for the data paths and, when DNS is served, its view.
    ResolveOptions views;
    views.discovery = settings.dns_enabled();
    if (settings.ingress_enabled()) views.routes = &settings.ingress.routes;
    out.state = resolve(out.load.manifests, out.state.node, &out.load.diagnostics, views);
    out.state.service_cidrs = service_cidrs;
    if (cache) cache->remember_valid(settings);
    return out;
}

}  // namespace svcnat
