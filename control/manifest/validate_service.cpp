// Service validation as pkg/apis/core/validation.ValidateService and the
// ClusterIP / NodePort allocators do it, with their messages and field
// paths, followed by conversion to the model with the API server's defaults.
#include <algorithm>

#include "api_validation.hpp"
#include "service_raw.hpp"

namespace svcnat::manifest {

namespace {

bool externally_accessible(ServiceType type, const RawService& raw) {
    return type == ServiceType::LoadBalancer || type == ServiceType::NodePort ||
           (type == ServiceType::ClusterIP && !raw.externalIPs.values.empty());
}

// ValidateServiceClusterIPsRelatedFields plus the allocator's range checks,
// over clusterIPs already synchronised with clusterIP.
void validate_cluster_ips(Decoder& d, const RawService& raw, const std::vector<std::string>& ips, uint32_t ips_line,
                          const Settings& settings, Service& out) {
    const FieldPath root;
    const FieldPath spec = root.child("spec");
    const FieldPath ips_path = spec.child("clusterIPs");
    const FieldPath families_path = spec.child("ipFamilies");
    const FieldPath policy_path = spec.child("ipFamilyPolicy");

    if (raw.clusterIP.set && !raw.clusterIP.value.empty() && raw.clusterIPs.set && !raw.clusterIPs.values.empty() &&
        raw.clusterIPs.values[0] != raw.clusterIP.value)
        d.error(raw.clusterIPs.line, ips_path, invalid(go_string_list(raw.clusterIPs.values), "first value must match `clusterIP`"));

    std::vector<IPFamily> families;
    for (size_t i = 0; i < raw.ipFamilies.values.size(); ++i) {
        const std::string& f = raw.ipFamilies.values[i];
        const FieldPath fp = families_path.index(i);
        uint32_t line = raw.ipFamilies.lines[i];
        if (f != "IPv4" && f != "IPv6") {
            d.error(line, fp, unsupported(f, {"IPv4", "IPv6"}));
            continue;
        }
        IPFamily family = f == "IPv4" ? IPFamily::IPv4 : IPFamily::IPv6;
        if (std::find(families.begin(), families.end(), family) != families.end()) {
            d.error(line, fp, duplicate(quote(f)));
            continue;
        }
        families.push_back(family);
        bool configured = std::any_of(settings.service_cidrs.begin(), settings.service_cidrs.end(),
                                      [&](const CIDR& c) { return c.addr.family == family; });
        if (!configured) d.error(line, fp, invalid(quote(f), "not configured on this cluster"));
    }
    out.ipFamilies = families;

    if (raw.ipFamilyPolicy.set) {
        auto policy = parse_ip_family_policy(raw.ipFamilyPolicy.value);
        if (!policy) {
            d.error(raw.ipFamilyPolicy.line, policy_path,
                    unsupported(raw.ipFamilyPolicy.value, {"PreferDualStack", "RequireDualStack", "SingleStack"}));
        } else {
            out.ipFamilyPolicy = *policy;
            bool dual_configured = settings.service_cidrs.size() >= 2;
            if (*policy == IPFamilyPolicy::RequireDualStack && !dual_configured)
                d.error(raw.ipFamilyPolicy.line, policy_path,
                        invalid(quote(raw.ipFamilyPolicy.value), "this cluster is not configured for dual-stack services"));
            if (*policy == IPFamilyPolicy::SingleStack && families.size() > 1)
                d.error(raw.ipFamilyPolicy.line, policy_path,
                        invalid(quote(raw.ipFamilyPolicy.value),
                                "must be RequireDualStack or PreferDualStack when multiple 'ipFamilies' are specified"));
            if (*policy == IPFamilyPolicy::SingleStack && ips.size() > 1)
                d.error(raw.ipFamilyPolicy.line, policy_path,
                        invalid(quote(raw.ipFamilyPolicy.value),
                                "must be RequireDualStack or PreferDualStack when multiple 'clusterIPs' are specified"));
        }
    } else if (families.size() > 1 || ips.size() > 1) {
        // The API server defaults the policy from what was asked for.
        out.ipFamilyPolicy = IPFamilyPolicy::RequireDualStack;
    }

    bool bad = false;
    std::vector<IPAddr> parsed;
    for (size_t i = 0; i < ips.size(); ++i) {
        const FieldPath fp = ips_path.index(i);
        if (i == 0 && ips[0] == "None") {
            if (ips.size() > 1) {
                bad = true;
                d.error(ips_line, ips_path, invalid(go_string_list(ips), "'None' must be the first and only value"));
            }
            continue;
        }
        auto ip = IPAddr::parse(ips[i]);
        if (!ip) {
            bad = true;
            d.error(ips_line, fp, invalid(quote(ips[i]), kIPMessage));
            continue;
        }
        parsed.push_back(*ip);
    }
    if (ips.size() > 2) d.error(ips_line, ips_path, invalid(go_string_list(ips), "may only hold up to 2 values"));
    if (bad) return;
    if (ips.size() == 2 && parsed.size() == 2 && parsed[0].family == parsed[1].family)
        d.error(ips_line, ips_path, invalid(go_string_list(ips), "may specify no more than one IP for each IP family"));
    if (!out.headless) {
        for (size_t i = 0; i < parsed.size() && i < raw.ipFamilies.values.size(); ++i) {
            const std::string& f = raw.ipFamilies.values[i];
            if ((f == "IPv4" && !parsed[i].is_v4()) || (f == "IPv6" && parsed[i].is_v4())) {
                const FieldPath fp = ips_path.index(i);
                d.error(ips_line, fp,
                        invalid(quote(ips[i]), "expected an " + f + " value as indicated by `ipFamilies[" +
                                                   std::to_string(i) + "]`"));
            }
        }
    }
    // The allocator's check: a requested ClusterIP must lie in the service
    // CIDR of its family (--service-cidr).
    for (const IPAddr& ip : parsed) {
        const CIDR* range = nullptr;
        for (const CIDR& c : settings.service_cidrs)
            if (c.addr.family == ip.family) range = &c;
        std::string detail = "failed to allocate IP " + ip.str() + ": ";
        if (!range) {
            d.error(ips_line, ips_path,
                    invalid(go_string_list(ips), detail + "no service CIDR of family " + std::string(to_string(ip.family)) +
                                                     " is configured (--service-cidr)"));
        } else if (!range->contains(ip) || ip == range->addr ||
                   (ip.is_v4() && range->prefix < 31 && ip == range->at(range->size() - 1))) {
            // The allocator never hands out the network address, nor the
            // broadcast address of an IPv4 range.
            d.error(ips_line, ips_path,
                    invalid(go_string_list(ips), detail + "the provided IP (" + ip.str() +
                                                     ") is not in the valid range. The range of valid IPs is " +
                                                     range->str()));
        }
    }
    out.clusterIPs = parsed;
    if (out.ipFamilies.empty())
        for (const IPAddr& ip : parsed) out.ipFamilies.push_back(ip.family);
}

void validate_ports(Decoder& d, const RawService& raw, ServiceType type, bool type_known, const Settings& settings,
                    Service& out, ServiceLines& lines) {
    const FieldPath root;
    const FieldPath spec = root.child("spec");
    const FieldPath ports_path = spec.child("ports");
    const bool require_name = raw.ports.size() > 1;
    std::vector<std::string> names;
    std::vector<std::pair<Protocol, int64_t>> seen_ports, seen_node_ports;
    for (size_t i = 0; i < raw.ports.size(); ++i) {
        const RawPort& rp = raw.ports[i];
        const FieldPath pp = ports_path.index(i);
        ServicePort sp;
        sp.line = rp.line;
        const FieldPath name_path = pp.child("name");
        if (rp.name.value.empty()) {
            if (require_name) d.error(rp.line, name_path, required());
        } else {
            for (auto& m : dns1123_label_errors(rp.name.value)) d.error(rp.name.line, name_path, invalid(quote(rp.name.value), m));
            if (std::find(names.begin(), names.end(), rp.name.value) != names.end())
                d.error(rp.name.line, name_path, duplicate(quote(rp.name.value)));
            names.push_back(rp.name.value);
            sp.name = rp.name.value;
        }
        if (rp.protocol.set) {
            auto p = parse_protocol(rp.protocol.value);
            const FieldPath proto_path = pp.child("protocol");
            if (!p) d.error(rp.protocol.line, proto_path, unsupported(rp.protocol.value, {"SCTP", "TCP", "UDP"}));
            else sp.protocol = *p;
        }
        const FieldPath port_path = pp.child("port");
        if (!rp.port.set || rp.port.value < 1 || rp.port.value > 65535) {
            d.error(rp.port.set ? rp.port.line : rp.line, port_path, invalid(std::to_string(rp.port.value), kPortRangeMessage));
        } else {
            sp.port = static_cast<uint16_t>(rp.port.value);
        }
        const FieldPath target_path = pp.child("targetPort");
        // The API server defaults an absent, 0 or "" targetPort to the port.
        if (!rp.targetPort.set || (!rp.targetPort.value.is_name && rp.targetPort.value.number == 0) ||
            (rp.targetPort.value.is_name && rp.targetPort.value.name.empty())) {
            sp.targetPort.number = sp.port;
        } else if (rp.targetPort.value.is_name) {
            for (auto& m : port_name_errors(rp.targetPort.value.name))
                d.error(rp.targetPort.line, target_path, invalid(quote(rp.targetPort.value.name), m));
            sp.targetPort = rp.targetPort.value;
        } else if (rp.targetPort.value.number < 1 || rp.targetPort.value.number > 65535) {
            d.error(rp.targetPort.line, target_path, invalid(std::to_string(rp.targetPort.value.number), kPortRangeMessage));
        } else {
            sp.targetPort = rp.targetPort.value;
        }
        if (rp.appProtocol.set && !rp.appProtocol.value.empty()) {
            const FieldPath ap = pp.child("appProtocol");
            for (auto& m : qualified_name_errors(rp.appProtocol.value))
                d.error(rp.appProtocol.line, ap, invalid(quote(rp.appProtocol.value), m));
            sp.appProtocol = rp.appProtocol.value;
        }
        if (sp.port) {
            std::pair<Protocol, int64_t> key{sp.protocol, sp.port};
            if (std::find(seen_ports.begin(), seen_ports.end(), key) != seen_ports.end())
                d.error(rp.line, pp,
                        duplicate("core.ServicePort{Protocol:" + quote(to_string(sp.protocol)) +
                                  ", Port:" + std::to_string(sp.port) + "}"));
            seen_ports.push_back(key);
        }
        const FieldPath np_path = pp.child("nodePort");
        lines.nodePort.push_back(rp.nodePort.set ? rp.nodePort.line : 0);
        if (rp.nodePort.set && rp.nodePort.value != 0) {
            const int64_t np = rp.nodePort.value;
            if (type_known && type == ServiceType::ClusterIP) {
                d.error(rp.nodePort.line, np_path, forbidden("may not be used when `type` is 'ClusterIP'"));
            } else if (type_known && type != ServiceType::ExternalName) {
                std::pair<Protocol, int64_t> key{sp.protocol, np};
                if (std::find(seen_node_ports.begin(), seen_node_ports.end(), key) != seen_node_ports.end())
                    d.error(rp.nodePort.line, np_path, duplicate(std::to_string(np)));
                seen_node_ports.push_back(key);
                if (np < 0 || np > 65535 || !settings.node_port_range.contains(static_cast<uint32_t>(np)))
                    d.error(rp.nodePort.line, np_path,
                            invalid(std::to_string(np),
                                    "provided port is not in the valid range. The range of valid ports is " +
                                        settings.node_port_range.str()));
                else
                    sp.nodePort = static_cast<uint16_t>(np);
            }
        }
        out.ports.push_back(std::move(sp));
    }
}


}  // namespace

void validate_service(Decoder& d, const RawService& raw, uint32_t object_line, const Settings& settings, Service& out,
                      ServiceLines& lines) {
    const FieldPath root;
    const FieldPath spec = root.child("spec");
    const uint32_t spec_line = raw.spec_line ? raw.spec_line : object_line;

    // type
    bool type_known = true;
    if (raw.type.set) {
        auto t = parse_service_type(raw.type.value);
        const FieldPath tp = spec.child("type");
        if (!t) {
            type_known = false;
            d.error(raw.type.line, tp, unsupported(raw.type.value, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
        } else {
            out.type = *t;
        }
    }
    const ServiceType type = out.type;

    // clusterIP / clusterIPs, synchronised as the API server's strategy does.
    std::vector<std::string> ips = raw.clusterIPs.values;
    uint32_t ips_line = raw.clusterIPs.set ? raw.clusterIPs.line : raw.clusterIP.line;
    if (ips.empty() && raw.clusterIP.set && !raw.clusterIP.value.empty()) ips.push_back(raw.clusterIP.value);
    lines.clusterIP = ips_line;
    out.headless = ips.size() == 1 && ips[0] == "None";

    if (type_known && type == ServiceType::ExternalName) {
        auto forbid = [&](bool set, uint32_t line, std::string_view field) {
            const FieldPath fp = spec.child(field);
            if (set) d.error(line, fp, forbidden("may not be set for ExternalName services"));
        };
        forbid(raw.clusterIP.set && !raw.clusterIP.value.empty(), raw.clusterIP.line, "clusterIP");
        forbid(raw.clusterIPs.set && !raw.clusterIPs.values.empty(), raw.clusterIPs.line, "clusterIPs");
        forbid(raw.ipFamilies.set && !raw.ipFamilies.values.empty(), raw.ipFamilies.line, "ipFamilies");
        forbid(raw.ipFamilyPolicy.set, raw.ipFamilyPolicy.line, "ipFamilyPolicy");
        std::string cname = raw.externalName.value;
        if (!cname.empty() && cname.back() == '.') cname.pop_back();
        const FieldPath en = spec.child("externalName");
        if (cname.empty()) {
            d.error(raw.externalName.set ? raw.externalName.line : spec_line, en, required());
        } else {
            for (auto& m : dns1123_subdomain_errors(cname)) d.error(raw.externalName.line, en, invalid(quote(cname), m));
        }
        out.externalName = raw.externalName.value;
        out.headless = false;
    } else {
        validate_cluster_ips(d, raw, ips, ips_line, settings, out);
    }

    if (raw.ports.empty() && !raw.ports_mistyped && !out.headless && type != ServiceType::ExternalName) {
        const FieldPath pp = spec.child("ports");
        d.error(raw.ports_line ? raw.ports_line : spec_line, pp, required());
    }
    validate_ports(d, raw, type, type_known, settings, out, lines);

    if (type_known && out.headless && (type == ServiceType::NodePort || type == ServiceType::LoadBalancer)) {
        const FieldPath ips_path = spec.child("clusterIPs");
        const FieldPath first = ips_path.index(0);
        d.error(ips_line, first,
                invalid(quote("None"), "may not be set to 'None' for " + std::string(to_string(type)) + " services"));
    }

    // selector
    if (raw.selector.set) {
        const FieldPath sp = spec.child("selector");
        for (const auto& [key, value] : raw.selector.value) {
            for (auto& m : qualified_name_errors(key)) d.error(raw.selector.line, sp, invalid(quote(key), m));
            for (auto& m : label_value_errors(value)) d.error(raw.selector.line, sp, invalid(quote(value), m));
        }
        out.selector = raw.selector.value;
        out.has_selector = !out.selector.empty();
    }

    // externalIPs
    {
        const FieldPath ep = spec.child("externalIPs");
        for (size_t i = 0; i < raw.externalIPs.values.size(); ++i) {
            const std::string& s = raw.externalIPs.values[i];
            const FieldPath fp = ep.index(i);
            auto ip = IPAddr::parse(s);
            if (!ip) {
                d.error(raw.externalIPs.lines[i], fp, invalid(quote(s), kIPMessage));
                continue;
            }
            auto special = special_ip_errors(s);
            for (auto& m : special) d.error(raw.externalIPs.lines[i], fp, invalid(quote(s), m));
            if (special.empty()) out.externalIPs.push_back(*ip);
        }
    }

    // loadBalancerIP, loadBalancerClass, loadBalancerSourceRanges
    if (raw.loadBalancerIP.set && !raw.loadBalancerIP.value.empty()) {
        const FieldPath fp = spec.child("loadBalancerIP");
        auto ip = IPAddr::parse(raw.loadBalancerIP.value);
        if (!ip) d.error(raw.loadBalancerIP.line, fp, invalid(quote(raw.loadBalancerIP.value), kIPMessage));
        else out.loadBalancerIP = *ip;
    }
    if (raw.loadBalancerClass.set && type_known) {
        const FieldPath fp = spec.child("loadBalancerClass");
        if (type != ServiceType::LoadBalancer)
            d.error(raw.loadBalancerClass.line, fp, forbidden("may only be used when `type` is 'LoadBalancer'"));
        else
            for (auto& m : qualified_name_errors(raw.loadBalancerClass.value))
                d.error(raw.loadBalancerClass.line, fp, invalid(quote(raw.loadBalancerClass.value), m));
    }
    if (!raw.loadBalancerSourceRanges.values.empty()) {
        const FieldPath rp = spec.child("loadBalancerSourceRanges");
        if (type_known && type != ServiceType::LoadBalancer)
            d.error(raw.loadBalancerSourceRanges.line, rp, forbidden("may only be used when `type` is 'LoadBalancer'"));
        for (size_t i = 0; i < raw.loadBalancerSourceRanges.values.size(); ++i) {
            std::string_view s = raw.loadBalancerSourceRanges.values[i];
            // Historically space-padded values are allowed (annotation legacy).
            while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
            while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
            const FieldPath fp = rp.index(i);
            auto cidr = CIDR::parse(s);
            if (!cidr) d.error(raw.loadBalancerSourceRanges.lines[i], fp, invalid(quote(s), kCIDRMessage));
            else out.loadBalancerSourceRanges.push_back(*cidr);
        }
    }
    for (const auto& f : raw.ingressIPs) out.loadBalancerIngress.push_back(*IPAddr::parse(f.value));

    // session affinity
    {
        const FieldPath ap = spec.child("sessionAffinity");
        const FieldPath cp = spec.child("sessionAffinityConfig");
        if (raw.sessionAffinity.set) {
            auto a = parse_session_affinity(raw.sessionAffinity.value);
            if (!a) d.error(raw.sessionAffinity.line, ap, unsupported(raw.sessionAffinity.value, {"ClientIP", "None"}));
            else out.sessionAffinity = *a;
        }
        const bool affinity_known = !raw.sessionAffinity.set || parse_session_affinity(raw.sessionAffinity.value);
        if (affinity_known && out.sessionAffinity == SessionAffinity::None && raw.sessionAffinityConfig_line) {
            d.error(raw.sessionAffinityConfig_line, cp, forbidden("must not be set when session affinity is None"));
        }
        if (out.sessionAffinity == SessionAffinity::ClientIP && raw.timeoutSeconds.set) {
            const FieldPath client = cp.child("clientIP");
            const FieldPath tp = client.child("timeoutSeconds");
            int64_t t = raw.timeoutSeconds.value;
            if (t <= 0 || t > 86400)
                d.error(raw.timeoutSeconds.line, tp, invalid(std::to_string(t), "must be greater than 0 and less than 86400"));
            else
                out.sessionAffinityTimeout = static_cast<uint32_t>(t);
        }
    }

    // traffic policies and health check node port
    {
        const FieldPath ep = spec.child("externalTrafficPolicy");
        const FieldPath ip = spec.child("internalTrafficPolicy");
        const FieldPath hp = spec.child("healthCheckNodePort");
        if (raw.externalTrafficPolicy.set && !raw.externalTrafficPolicy.value.empty() && type_known) {
            if (!externally_accessible(type, raw)) {
                d.error(raw.externalTrafficPolicy.line, ep,
                        invalid(quote(raw.externalTrafficPolicy.value), "may only be set for externally-accessible services"));
            } else if (auto p = parse_traffic_policy(raw.externalTrafficPolicy.value)) {
                out.externalTrafficPolicy = *p;
            } else {
                d.error(raw.externalTrafficPolicy.line, ep, unsupported(raw.externalTrafficPolicy.value, {"Cluster", "Local"}));
            }
        }
        if (raw.internalTrafficPolicy.set) {
            if (raw.internalTrafficPolicy.value != "Cluster" && raw.internalTrafficPolicy.value != "Local")
                d.error(raw.internalTrafficPolicy.line, ip, unsupported(raw.internalTrafficPolicy.value, {"Cluster", "Local"}));
            else
                out.internalTrafficPolicy = *parse_traffic_policy(raw.internalTrafficPolicy.value);
        }
        lines.healthCheckNodePort = raw.healthCheckNodePort.line;
        if (raw.healthCheckNodePort.set && raw.healthCheckNodePort.value != 0 && type_known) {
            const int64_t p = raw.healthCheckNodePort.value;
            bool needs = type == ServiceType::LoadBalancer && out.externalTrafficPolicy == TrafficPolicy::Local;
            if (!needs) {
                d.error(raw.healthCheckNodePort.line, hp,
                        invalid(std::to_string(p),
                                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
            } else if (p < 0 || p > 65535 || !settings.node_port_range.contains(static_cast<uint32_t>(p))) {
                d.error(raw.healthCheckNodePort.line, hp,
                        invalid(std::to_string(p),
                                "provided port is not in the valid range. The range of valid ports is " +
                                    settings.node_port_range.str()));
            } else {
                out.healthCheckNodePort = static_cast<uint16_t>(p);
            }
        }
    }

    if (raw.allocateLoadBalancerNodePorts.set) {
        const FieldPath fp = spec.child("allocateLoadBalancerNodePorts");
        if (type_known && type != ServiceType::LoadBalancer)
            d.error(raw.allocateLoadBalancerNodePorts.line, fp, forbidden("may only be used when `type` is 'LoadBalancer'"));
        else
            out.allocateLoadBalancerNodePorts = raw.allocateLoadBalancerNodePorts.value;
    }
    if (raw.publishNotReadyAddresses.set) out.publishNotReadyAddresses = raw.publishNotReadyAddresses.value;
}

}  // namespace svcnat::manifest
