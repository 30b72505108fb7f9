// Service: read into a RawService (what the user wrote, with lines), then
// validated and converted by validate_service().
#include <algorithm>

#include "api_validation.hpp"
#include "decode.hpp"
#include "service_raw.hpp"

namespace svcnat::manifest {

namespace {

void read(Decoder& d, uint32_t n, const FieldPath& p, Field<std::string>& f) {
    f.line = d.line(n);
    f.set = d.read_string(n, p, f.value);
}
void read(Decoder& d, uint32_t n, const FieldPath& p, Field<int64_t>& f) {
    f.line = d.line(n);
    f.set = d.read_int(n, p, f.value);
    f.mistyped = !f.set && !d.is_null(n);
}
void read(Decoder& d, uint32_t n, const FieldPath& p, Field<bool>& f) {
    f.line = d.line(n);
    f.set = d.read_bool(n, p, f.value);
}
void read(Decoder& d, uint32_t n, const FieldPath& p, uint32_t key_line, StringList& f) {
    f.line = key_line;
    f.set = d.read_string_list(n, p, f.values, &f.lines);
}

// targetPort: an integer, or a string naming a container port.
void read_int_or_string(Decoder& d, uint32_t n, const FieldPath& p, Field<IntOrString>& f) {
    f.line = d.line(n);
    const yaml::Node& x = d.node(n);
    if (x.type == yaml::NodeType::Scalar) {
        auto s = yaml::resolve_scalar(d.doc().text(x), x.quoted);
        if (s.kind == yaml::ScalarKind::Null) return;
        if (s.kind == yaml::ScalarKind::Int) {
            f.set = true;
            f.value.is_name = false;
            // Out-of-int32 values are reported by the range check below.
            f.value.number = static_cast<int32_t>(std::clamp<int64_t>(s.integer, INT32_MIN, INT32_MAX));
            return;
        }
        if (s.kind == yaml::ScalarKind::String) {
            f.set = true;
            f.value.is_name = true;
            f.value.name.assign(d.doc().text(x));
            return;
        }
    }
    d.error(x.line, p, invalid(d.render(n), "expected integer or string"));
}

void decode_port(Decoder& d, uint32_t item, const FieldPath& path, RawPort& port) {
    port.line = d.line(item);
    if (!d.expect_mapping(item, path)) return;
    d.for_each_field(item, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "name") read(d, v, fp, port.name);
        else if (key == "protocol") read(d, v, fp, port.protocol);
        else if (key == "appProtocol") read(d, v, fp, port.appProtocol);
        else if (key == "port") read(d, v, fp, port.port);
        else if (key == "nodePort") read(d, v, fp, port.nodePort);
        else if (key == "targetPort") read_int_or_string(d, v, fp, port.targetPort);
        else return false;
        return true;
    });
}

void decode_spec(Decoder& d, uint32_t spec, const FieldPath& path, RawService& raw) {
    if (!d.expect_mapping(spec, path)) return;
    d.for_each_field(spec, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "type") read(d, v, fp, raw.type);
        else if (key == "clusterIP") read(d, v, fp, raw.clusterIP);
        else if (key == "clusterIPs") read(d, v, fp, line, raw.clusterIPs);
        else if (key == "ipFamilies") read(d, v, fp, line, raw.ipFamilies);
        else if (key == "ipFamilyPolicy") read(d, v, fp, raw.ipFamilyPolicy);
        else if (key == "externalIPs") read(d, v, fp, line, raw.externalIPs);
        else if (key == "loadBalancerIP") read(d, v, fp, raw.loadBalancerIP);
        else if (key == "loadBalancerClass") read(d, v, fp, raw.loadBalancerClass);
        else if (key == "loadBalancerSourceRanges") read(d, v, fp, line, raw.loadBalancerSourceRanges);
        else if (key == "externalTrafficPolicy") read(d, v, fp, raw.externalTrafficPolicy);
        else if (key == "internalTrafficPolicy") read(d, v, fp, raw.internalTrafficPolicy);
        else if (key == "sessionAffinity") read(d, v, fp, raw.sessionAffinity);
        else if (key == "externalName") read(d, v, fp, raw.externalName);
        else if (key == "healthCheckNodePort") read(d, v, fp, raw.healthCheckNodePort);
        else if (key == "publishNotReadyAddresses") read(d, v, fp, raw.publishNotReadyAddresses);
        else if (key == "allocateLoadBalancerNodePorts") read(d, v, fp, raw.allocateLoadBalancerNodePorts);
        else if (key == "selector") {
            raw.selector.line = line;
            raw.selector.set = d.read_string_map(v, fp, raw.selector.value);
        } else if (key == "ports") {
            raw.ports_line = line;
            raw.ports_mistyped = !d.is_null(v) && d.node(v).type != yaml::NodeType::Sequence;
            if (d.expect_sequence(v, fp)) {
                raw.ports.resize(d.node(v).count);
                d.for_each_item(v, fp, [&](size_t i, uint32_t item, const FieldPath& ip) {
                    decode_port(d, item, ip, raw.ports[i]);
                });
            }
        } else if (key == "sessionAffinityConfig") {
            if (!d.expect_mapping(v, fp)) return true;
            raw.sessionAffinityConfig_line = line;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 != "clientIP") return false;
                if (!d.expect_mapping(v2, fp2)) return true;
                d.for_each_field(v2, fp2, [&](std::string_view k3, uint32_t v3, const FieldPath& fp3, uint32_t) {
                    if (k3 != "timeoutSeconds") return false;
                    read(d, v3, fp3, raw.timeoutSeconds);
                    return true;
                });
                return true;
            });
        } else if (key == "trafficDistribution" || key == "topologyKeys") {
            // Topology hints for other proxies; accepted, not used.
        } else {
            return false;
        }
        return true;
    });
}

void decode_status(Decoder& d, uint32_t status, const FieldPath& path, RawService& raw) {
    if (!d.expect_mapping(status, path)) return;
    d.for_each_field(status, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "conditions") return true;
        if (key != "loadBalancer") return false;
        if (!d.expect_mapping(v, fp)) return true;
        d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
            if (k2 != "ingress") return false;
            if (!d.expect_sequence(v2, fp2)) return true;
            d.for_each_item(v2, fp2, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                d.for_each_field(item, ip, [&](std::string_view k3, uint32_t v3, const FieldPath& fp3, uint32_t) {
                    if (k3 == "ip") {
                        Field<std::string> f;
                        read(d, v3, fp3, f);
                        if (f.set && !f.value.empty()) {
                            if (!IPAddr::parse(f.value)) d.error(f.line, fp3, invalid(quote(f.value), "must be a valid IP address"));
                            else raw.ingressIPs.push_back(std::move(f));
                        }
                    } else if (k3 != "hostname" && k3 != "ipMode" && k3 != "ports") {
                        return false;
                    }
                    return true;
                });
            });
            return true;
        });
        return true;
    });
}


}  // namespace

void decode_service(Decoder& d, const ObjectNode& obj, const Settings& settings, Service& out, ServiceLines& lines) {
    const FieldPath root;
    RawService raw;
    uint32_t meta_node = kNone, meta_line = obj.line;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "apiVersion" || key == "kind") return true;
        if (key == "metadata") {
            meta_node = v;
            meta_line = line;
        } else if (key == "spec") {
            raw.spec_line = line;
            decode_spec(d, v, fp, raw);
        } else if (key == "status") {
            decode_status(d, v, fp, raw);
        } else {
            return false;
        }
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1035Label, out.meta);

    validate_service(d, raw, obj.line, settings, out, lines);
}

}  // namespace svcnat::manifest
