// Pod and Node: only the fields endpoint resolution needs are read (and
// checked); the rest of their large specs is accepted as is, since svcnat
// does not run pods or manage nodes.
#include <algorithm>

#include "api_validation.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

namespace {

void decode_container_ports(Decoder& d, uint32_t n, const FieldPath& path, std::vector<ContainerPort>& out) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        ContainerPort port;
        bool has_port = false;
        uint32_t name_line = 0, port_line = d.line(item);
        int64_t number = 0;
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key == "name") {
                name_line = line;
                d.read_string(v, fp, port.name);
            } else if (key == "containerPort") {
                port_line = line;
                d.read_int(v, fp, number);
            } else if (key == "protocol") {
                read_protocol(d, v, fp, port.protocol);
            }
            return true;  // hostPort, hostIP: not used here
        });
        // validateContainerPorts: 0 (or absent) is "Required", others must be a port.
        const FieldPath cp = ip.child("containerPort");
        if (number == 0) {
            d.error(port_line, cp, required());
        } else if (number < 1 || number > 65535) {
            d.error(port_line, cp, invalid(std::to_string(number), kPortRangeMessage));
        } else {
            port.containerPort = static_cast<uint16_t>(number);
            has_port = true;
        }
        if (!port.name.empty()) {
            const FieldPath np = ip.child("name");
            for (auto& m : port_name_errors(port.name)) d.error(name_line, np, invalid(quote(port.name), m));
        }
        if (has_port) out.push_back(std::move(port));
    });
}

void decode_containers(Decoder& d, uint32_t n, const FieldPath& path, std::vector<ContainerPort>& out) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
            if (key == "ports") decode_container_ports(d, v, fp, out);
            return true;
        });
    });
}

void add_pod_ip(Decoder& d, uint32_t n, const FieldPath& path, std::vector<IPAddr>& ips) {
    std::string s;
    if (!d.read_string(n, path, s) || s.empty()) return;
    auto ip = IPAddr::parse(s);
    if (!ip) {
        d.error(d.line(n), path, invalid(quote(s), kIPMessage));
        return;
    }
    if (std::find(ips.begin(), ips.end(), *ip) == ips.end()) ips.push_back(*ip);
}

void decode_pod_status(Decoder& d, uint32_t n, const FieldPath& path, Pod& out, bool& has_ready_condition) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "phase") {
            d.read_string(v, fp, out.phase);
        } else if (key == "podIP") {
            add_pod_ip(d, v, fp, out.podIPs);
        } else if (key == "podIPs") {
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                    if (k2 != "ip") return false;
                    add_pod_ip(d, v2, fp2, out.podIPs);
                    return true;
                });
            });
        } else if (key == "conditions") {
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                std::string type, status;
                d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                    if (k2 == "type") d.read_string(v2, fp2, type);
                    else if (k2 == "status") d.read_string(v2, fp2, status);
                    return true;
                });
                if (type == "Ready") {
                    has_ready_condition = true;
                    out.ready = status == "True";
                }
            });
        }
        return true;
    });
}

}  // namespace

void decode_pod(Decoder& d, const ObjectNode& obj, Pod& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line;
    bool has_ready_condition = false;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "apiVersion" || key == "kind") return true;
        if (key == "metadata") {
            meta_node = v, meta_line = line;
        } else if (key == "spec") {
            if (!d.expect_mapping(v, fp)) return true;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 == "nodeName") {
                    d.read_string(v2, fp2, out.nodeName);
                } else if (k2 == "containers") {
                    decode_containers(d, v2, fp2, out.ports);
                } else if (k2 == "hostname" || k2 == "subdomain") {
                    std::string& name = k2 == "hostname" ? out.hostname : out.subdomain;
                    d.read_string(v2, fp2, name);
                    for (auto& m : dns1123_label_errors(name)) d.error(d.line(v2), fp2, invalid(quote(name), m));
                }
                return true;
            });
        } else if (key == "status") {
            decode_pod_status(d, v, fp, out, has_ready_condition);
        } else {
            return false;
        }
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Subdomain, out.meta, &out.terminating);
    // Without conditions (a hand-written manifest), a running pod counts as ready.
    if (!has_ready_condition) out.ready = out.phase == "Running";
}

void decode_node(Decoder& d, const ObjectNode& obj, Node& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "apiVersion" || key == "kind" || key == "spec") return true;
        if (key == "metadata") {
            meta_node = v, meta_line = line;
        } else if (key == "status") {
            if (!d.expect_mapping(v, fp)) return true;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 != "addresses" || !d.expect_sequence(v2, fp2)) return true;
                d.for_each_item(v2, fp2, [&](size_t, uint32_t item, const FieldPath& ip) {
                    if (!d.expect_mapping(item, ip)) return;
                    std::string type, address;
                    uint32_t address_node = kNone;
                    d.for_each_field(item, ip, [&](std::string_view k3, uint32_t v3, const FieldPath& fp3, uint32_t) {
                        if (k3 == "type") d.read_string(v3, fp3, type);
                        else if (k3 == "address") address_node = v3, d.read_string(v3, fp3, address);
                        else return false;
                        return true;
                    });
                    if (type != "InternalIP" && type != "ExternalIP") return;  // Hostname, InternalDNS, ...
                    const FieldPath ap = ip.child("address");
                    auto parsed = IPAddr::parse(address);
                    if (!parsed) {
                        d.error(address_node != kNone ? d.line(address_node) : d.line(item), ap,
                                invalid(quote(address), kIPMessage));
                        return;
                    }
                    (type == "InternalIP" ? out.internalIPs : out.externalIPs).push_back(*parsed);
                });
                return true;
            });
        } else {
            return false;
        }
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Subdomain, out.meta);
    auto zone = out.meta.labels.find("topology.kubernetes.io/zone");
    if (zone == out.meta.labels.end()) zone = out.meta.labels.find("failure-domain.beta.kubernetes.io/zone");
    if (zone != out.meta.labels.end()) out.zone = zone->second;
}

}  // namespace svcnat::manifest
