// EndpointSlice (discovery.k8s.io/v1) and core/v1 Endpoints, validated as
// pkg/apis/discovery/validation and ValidateEndpoints do.
#include <algorithm>

#include "api_validation.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

namespace {

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
constexpr size_t kMaxAddresses = 100;   // per slice endpoint
constexpr size_t kMaxEndpoints = 1000;  // per slice

void decode_conditions(Decoder& d, uint32_t n, const FieldPath& path, EndpointConditions& c) {
    if (!d.expect_mapping(n, path)) return;
    bool serving_set = false;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "ready") d.read_bool(v, fp, c.ready);
        else if (key == "serving") serving_set = d.read_bool(v, fp, c.serving);
        else if (key == "terminating") d.read_bool(v, fp, c.terminating);
        else return false;
        return true;
    });
    // A nil `serving` means the same as `ready` (kube-proxy's reading).
    if (!serving_set) c.serving = c.ready;
}

void decode_target_ref(Decoder& d, uint32_t n, const FieldPath& path, std::string& pod_name) {
    if (!d.expect_mapping(n, path)) return;
    std::string kind, name;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "kind") d.read_string(v, fp, kind);
        else if (key == "name") d.read_string(v, fp, name);
        else if (key != "namespace" && key != "uid" && key != "apiVersion" && key != "resourceVersion" &&
                 key != "fieldPath")
            return false;
        return true;
    });
    if (kind == "Pod" || kind.empty()) pod_name = std::move(name);
}

void decode_hints(Decoder& d, uint32_t n, const FieldPath& path, std::vector<std::string>& zones) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "forNodes") return true;
        if (key != "forZones") return false;
        if (!d.expect_sequence(v, fp)) return true;
        d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
            if (!d.expect_mapping(item, ip)) return;
            d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 != "name") return false;
                std::string zone;
                if (d.read_string(v2, fp2, zone)) zones.push_back(std::move(zone));
                return true;
            });
        });
        return true;
    });
}

void validate_node_name(Decoder& d, uint32_t line, const FieldPath& path, const std::string& name) {
    if (name.empty()) return;
    for (auto& m : dns1123_subdomain_errors(name)) d.error(line, path, invalid(quote(name), m));
}

void validate_hostname(Decoder& d, uint32_t line, const FieldPath& path, const std::string& name) {
    if (name.empty()) return;
    for (auto& m : dns1123_label_errors(name)) d.error(line, path, invalid(quote(name), m));
}

// ports of a slice or an Endpoints subset. An Endpoints subset with more
// than one port needs names and every port a number; a slice allows empty
// names and an absent port ("all ports").
void decode_endpoint_ports(Decoder& d, uint32_t n, const FieldPath& path, bool endpoints_subset,
                           std::vector<EndpointPort>& out) {
    if (!d.expect_sequence(n, path)) return;
    const bool require_names = endpoints_subset && d.node(n).count > 1;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        EndpointPort port;
        bool port_set = false;
        uint32_t name_line = d.line(item);
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key == "name") {
                name_line = line;
                d.read_string(v, fp, port.name);
            } else if (key == "protocol") {
                read_protocol(d, v, fp, port.protocol);
            } else if (key == "port") {
                port_set = true;
                read_port_number(d, v, fp, port.port);
            } else if (key != "appProtocol") {
                return false;
            }
            return true;
        });
        const FieldPath name_path = ip.child("name");
        if (port.name.empty()) {
            if (require_names) d.error(name_line, name_path, required());
        } else {
            for (auto& m : dns1123_label_errors(port.name)) d.error(name_line, name_path, invalid(quote(port.name), m));
            bool dup = std::any_of(out.begin(), out.end(), [&](const EndpointPort& p) { return p.name == port.name; });
            if (dup) d.error(name_line, name_path, duplicate(quote(port.name)));
        }
        if (endpoints_subset && !port_set) {
            const FieldPath pp = ip.child("port");
            d.error(d.line(item), pp, invalid("0", kPortRangeMessage));
        }
        out.push_back(std::move(port));
    });
}

void decode_slice_endpoint(Decoder& d, uint32_t item, const FieldPath& path, IPFamily family, bool family_known,
                           SliceEndpoint& ep) {
    ep.line = d.line(item);
    if (!d.expect_mapping(item, path)) return;
    std::vector<std::string> addresses;
    std::vector<uint32_t> address_lines;
    uint32_t addresses_line = ep.line, node_line = 0, host_line = 0;
    d.for_each_field(item, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "addresses") {
            addresses_line = line;
            d.read_string_list(v, fp, addresses, &address_lines);
        } else if (key == "conditions") {
            decode_conditions(d, v, fp, ep.conditions);
        } else if (key == "nodeName") {
            node_line = line;
            d.read_string(v, fp, ep.nodeName);
        } else if (key == "zone") {
            d.read_string(v, fp, ep.zone);
        } else if (key == "hostname") {
            host_line = line;
            d.read_string(v, fp, ep.hostname);
        } else if (key == "hints") {
            decode_hints(d, v, fp, ep.hintZones);
        } else if (key == "targetRef") {
            decode_target_ref(d, v, fp, ep.targetPodName);
        } else if (key != "deprecatedTopology") {
            return false;
        }
        return true;
    });
    const FieldPath ap = path.child("addresses");
    if (addresses.empty()) d.error(addresses_line, ap, required("must contain at least 1 address"));
    if (addresses.size() > kMaxAddresses)
        d.error(addresses_line, ap,
                "Too many: " + std::to_string(addresses.size()) + ": must have at most 100 items");
    for (size_t i = 0; i < addresses.size(); ++i) {
        const FieldPath fp = ap.index(i);
        auto ip = IPAddr::parse(addresses[i]);
        if (!family_known) continue;
        if (!ip || ip->family != family) {
            d.error(address_lines[i], fp,
                    invalid(quote(addresses[i]), family == IPFamily::IPv4 ? "must be a valid IPv4 address"
                                                                          : "must be a valid IPv6 address"));
            continue;
        }
        auto special = special_ip_errors(addresses[i]);
        for (auto& m : special) d.error(address_lines[i], fp, invalid(quote(addresses[i]), m));
        if (special.empty()) ep.addresses.push_back(*ip);
    }
    const FieldPath np = path.child("nodeName");
    validate_node_name(d, node_line, np, ep.nodeName);
    const FieldPath hp = path.child("hostname");
    validate_hostname(d, host_line, hp, ep.hostname);
}

void decode_endpoint_address(Decoder& d, uint32_t item, const FieldPath& path, EndpointAddress& out) {
    if (!d.expect_mapping(item, path)) return;
    std::string ip;
    uint32_t ip_line = d.line(item), node_line = 0, host_line = 0;
    d.for_each_field(item, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "ip") {
            ip_line = line;
            d.read_string(v, fp, ip);
        } else if (key == "hostname") {
            host_line = line;
            d.read_string(v, fp, out.hostname);
        } else if (key == "nodeName") {
            node_line = line;
            d.read_string(v, fp, out.nodeName);
        } else if (key == "targetRef") {
            decode_target_ref(d, v, fp, out.targetPodName);
        } else {
            return false;
        }
        return true;
    });
    const FieldPath ip_path = path.child("ip");
    if (ip.empty()) {
        d.error(ip_line, ip_path, required());
    } else if (auto parsed = IPAddr::parse(ip)) {
        auto special = special_ip_errors(ip);
        for (auto& m : special) d.error(ip_line, ip_path, invalid(quote(ip), m));
        out.ip = *parsed;
    } else {
        d.error(ip_line, ip_path, invalid(quote(ip), kIPMessage));
    }
    const FieldPath np = path.child("nodeName");
    validate_node_name(d, node_line, np, out.nodeName);
    const FieldPath hp = path.child("hostname");
    validate_hostname(d, host_line, hp, out.hostname);
}

void decode_address_list(Decoder& d, uint32_t n, const FieldPath& path, std::vector<EndpointAddress>& out) {
    if (!d.expect_sequence(n, path)) return;
    out.resize(d.node(n).count);
    d.for_each_item(n, path, [&](size_t i, uint32_t item, const FieldPath& ip) {
        decode_endpoint_address(d, item, ip, out[i]);
    });
}

}  // namespace

bool decode_endpoint_slice(Decoder& d, const ObjectNode& obj, EndpointSlice& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line;
    uint32_t endpoints_node = kNone, ports_node = kNone, type_line = obj.line;
    std::string address_type;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "apiVersion" || key == "kind") return true;
        if (key == "metadata") meta_node = v, meta_line = line;
        else if (key == "addressType") type_line = line, d.read_string(v, fp, address_type);
        else if (key == "endpoints") endpoints_node = v;
        else if (key == "ports") ports_node = v;
        else return false;
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Subdomain, out.meta);

    const FieldPath type_path = root.child("addressType");
    bool family_known = false;
    if (address_type.empty()) {
        d.error(type_line, type_path, required());
    } else if (address_type == "IPv4" || address_type == "IPv6") {
        out.addressType = address_type == "IPv4" ? IPFamily::IPv4 : IPFamily::IPv6;
        family_known = true;
    } else if (address_type != "FQDN") {
        d.error(type_line, type_path, unsupported(address_type, {"FQDN", "IPv4", "IPv6"}));
    }

    if (endpoints_node != kNone) {
        const FieldPath ep = root.child("endpoints");
        if (d.expect_sequence(endpoints_node, ep)) {
            if (d.node(endpoints_node).count > kMaxEndpoints)
                d.error(d.line(endpoints_node), ep,
                        "Too many: " + std::to_string(d.node(endpoints_node).count) + ": must have at most " +
                            std::to_string(kMaxEndpoints) + " items");
            out.endpoints.resize(d.node(endpoints_node).count);
            d.for_each_item(endpoints_node, ep, [&](size_t i, uint32_t item, const FieldPath& ip) {
                decode_slice_endpoint(d, item, ip, out.addressType, family_known, out.endpoints[i]);
            });
        }
    }
    if (ports_node != kNone) {
        const FieldPath pp = root.child("ports");
        decode_endpoint_ports(d, ports_node, pp, false, out.ports);
    }

    auto it = out.meta.labels.find(std::string(kServiceNameLabel));
    if (it != out.meta.labels.end()) out.serviceName = it->second;
    if (address_type == "FQDN") {
        d.notice(obj.line, "skipping EndpointSlice " + out.meta.name +
                               ": addressType FQDN is not used by svcnat (kube-proxy ignores such slices)");
        return false;
    }
    if (out.serviceName.empty()) {
        const FieldPath mp = root.child("metadata");
        const FieldPath lp = mp.child("labels");
        d.warning(obj.line, lp,
                  required("label \"kubernetes.io/service-name\" names the slice's Service; without it the "
                           "EndpointSlice is ignored"));
        return false;
    }
    return true;
}

void decode_endpoints(Decoder& d, const ObjectNode& obj, Endpoints& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line, subsets_node = kNone;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t line) {
        if (key == "apiVersion" || key == "kind") return true;
        if (key == "metadata") meta_node = v, meta_line = line;
        else if (key == "subsets") subsets_node = v;
        else return false;
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Subdomain, out.meta);
    if (subsets_node == kNone) return;
    const FieldPath sp = root.child("subsets");
    if (!d.expect_sequence(subsets_node, sp)) return;
    out.subsets.resize(d.node(subsets_node).count);
    d.for_each_item(subsets_node, sp, [&](size_t i, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        EndpointSubset& subset = out.subsets[i];
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
            if (key == "addresses") decode_address_list(d, v, fp, subset.addresses);
            else if (key == "notReadyAddresses") decode_address_list(d, v, fp, subset.notReadyAddresses);
            else if (key == "ports") decode_endpoint_ports(d, v, fp, true, subset.ports);
            else return false;
            return true;
        });
    });
}

}  // namespace svcnat::manifest
