// Gateway API (gateway.networking.k8s.io) GatewayClass, Gateway and
// ReferenceGrant, validated as the Gateway API CRDs do (OpenAPI patterns,
// enums, sizes and CEL rules), with their messages. Fields of the API that
// svcnat does not implement are accepted and reported where they change
// what a client would see.
#include <algorithm>
#include <set>
#include <tuple>

#include "api_validation.hpp"
#include "decode.hpp"
#include "l7_validation.hpp"

namespace svcnat::manifest {

namespace {

constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

// SectionName: a DNS-1123 subdomain of at most 253 characters.
void check_section_name(Decoder& d, uint32_t line, const FieldPath& path, const std::string& name) {
    if (name.empty()) {
        d.error(line, path, required());
        return;
    }
    for (auto& m : dns1123_subdomain_errors(name)) d.error(line, path, invalid(quote(name), m));
}

void too_many(Decoder& d, uint32_t line, const FieldPath& path, size_t n, size_t max) {
    if (n > max)
        d.error(line, path, "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(max) + " items");
}

void decode_selector(Decoder& d, uint32_t n, const FieldPath& path, LabelSelector& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "matchLabels") {
            d.read_string_map(v, fp, out.matchLabels);
        } else if (key == "matchExpressions") {
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                LabelSelectorRequirement r;
                d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
                    if (k2 == "key") d.read_string(v2, fp2, r.key);
                    else if (k2 == "values") d.read_string_list(v2, fp2, r.values);
                    else if (k2 == "operator") {
                        if (d.read_string(v2, fp2, r.op) && r.op != "In" && r.op != "NotIn" && r.op != "Exists" &&
                            r.op != "DoesNotExist")
                            d.error(l2, fp2, unsupported(r.op, {"DoesNotExist", "Exists", "In", "NotIn"}));
                    } else return false;
                    return true;
                });
                out.matchExpressions.push_back(std::move(r));
            });
        } else {
            return false;
        }
        return true;
    });
}

void decode_allowed_routes(Decoder& d, uint32_t n, const FieldPath& path, GatewayListener& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t) {
        if (key == "namespaces") {
            if (!d.expect_mapping(v, fp)) return true;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
                if (k2 == "from") {
                    std::string from;
                    if (!d.read_string(v2, fp2, from)) return true;
                    if (from == "Same") out.from = FromNamespaces::Same;
                    else if (from == "All") out.from = FromNamespaces::All;
                    else if (from == "Selector") out.from = FromNamespaces::Selector;
                    else d.error(l2, fp2, unsupported(from, {"All", "Selector", "Same"}));
                } else if (k2 == "selector") {
                    decode_selector(d, v2, fp2, out.selector);
                } else {
                    return false;
                }
                return true;
            });
        } else if (key == "kinds") {
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                std::string group(kGatewayGroup), kind;
                d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                    if (k2 == "group") d.read_string(v2, fp2, group);
                    else if (k2 == "kind") d.read_string(v2, fp2, kind);
                    else return false;
                    return true;
                });
                // Route kinds of other groups can never attach here: kept
                // under a name no route has, so the listener admits none.
                out.kinds.push_back(group == kGatewayGroup ? kind : group + "/" + kind);
            });
        } else {
            return false;
        }
        return true;
    });
}

void decode_tls_config(Decoder& d, uint32_t n, const FieldPath& path, const std::string& gateway_ns,
                       GatewayListener& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "mode") {
            std::string mode;
            if (!d.read_string(v, fp, mode)) return true;
            if (mode == "Passthrough") out.passthrough = true;
            else if (mode != "Terminate") d.error(line, fp, unsupported(mode, {"Passthrough", "Terminate"}));
        } else if (key == "certificateRefs") {
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                SecretReference ref{gateway_ns, {}, d.line(item)};
                std::string group, kind = "Secret";
                d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                    if (k2 == "group") d.read_string(v2, fp2, group);
                    else if (k2 == "kind") d.read_string(v2, fp2, kind);
                    else if (k2 == "name") d.read_string(v2, fp2, ref.name);
                    else if (k2 == "namespace") d.read_string(v2, fp2, ref.ns);
                    else return false;
                    return true;
                });
                if (!group.empty() || kind != "Secret") {
                    d.warning(ref.line, ip, "svcnat reads certificates from core Secrets only: reference to " +
                                                (group.empty() ? "" : group + "/") + kind + " " + ref.name +
                                                " ignored");
                    return;
                }
                out.certificateRefs.push_back(std::move(ref));
            });
            too_many(d, line, fp, out.certificateRefs.size(), 64);
        } else if (key != "options" && key != "frontendValidation") {
            return false;  // options and client validation: implementation-specific, not used
        }
        return true;
    });
}

void decode_listener(Decoder& d, uint32_t item, const FieldPath& ip, const std::string& gateway_ns,
                     GatewayListener& out) {
    out.line = d.line(item);
    uint32_t name_line = out.line, port_line = out.line, protocol_line = out.line, hostname_line = out.line;
    bool has_tls = false;
    int64_t port = 0;
    d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "name") name_line = line, d.read_string(v, fp, out.name);
        else if (key == "hostname") hostname_line = line, d.read_string(v, fp, out.hostname);
        else if (key == "port") port_line = line, d.read_int(v, fp, port);
        else if (key == "protocol") protocol_line = line, d.read_string(v, fp, out.protocol);
        else if (key == "tls") has_tls = !d.is_null(v), decode_tls_config(d, v, fp, gateway_ns, out);
        else if (key == "allowedRoutes") decode_allowed_routes(d, v, fp, out);
        else return false;
        return true;
    });
    const FieldPath np = ip.child("name"), pp = ip.child("port"), prp = ip.child("protocol"), hp = ip.child("hostname");
    check_section_name(d, name_line, np, out.name);
    if (port == 0) d.error(port_line, pp, required());
    else if (port < 1 || port > 65535) d.error(port_line, pp, invalid(std::to_string(port), kPortRangeMessage));
    else out.port = static_cast<uint16_t>(port);
    if (out.protocol.empty()) d.error(protocol_line, prp, required());
    if (!out.hostname.empty())
        for (auto& m : gateway_hostname_errors(out.hostname)) d.error(hostname_line, hp, invalid(quote(out.hostname), m));
    const FieldPath tp = ip.child("tls");
    if (has_tls && (out.protocol == "HTTP" || out.protocol == "TCP" || out.protocol == "UDP"))
        d.error(out.line, tp, invalid("\"object\"", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"));
    if (!has_tls && (out.protocol == "HTTPS" || out.protocol == "TLS"))
        d.error(out.line, tp, invalid("\"null\"", "tls must be specified for protocols ['HTTPS', 'TLS']"));
    if (!out.hostname.empty() && (out.protocol == "TCP" || out.protocol == "UDP"))
        d.error(hostname_line, hp, invalid(quote(out.hostname), "hostname must not be specified for protocols ['TCP', 'UDP']"));
    if (has_tls && out.protocol == "HTTPS" && !out.passthrough && out.certificateRefs.empty())
        d.warning(out.line, tp, "listener " + out.name + " has no certificate: the default one is served");
}

void decode_gateway_spec(Decoder& d, uint32_t n, const FieldPath& path, uint32_t spec_line, Gateway& out) {
    if (!d.expect_mapping(n, path)) return;
    uint32_t class_line = spec_line, listeners_line = spec_line;
    bool has_listeners = false;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "gatewayClassName") {
            class_line = line;
            d.read_string(v, fp, out.gatewayClassName);
        } else if (key == "listeners") {
            listeners_line = line;
            has_listeners = true;
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                GatewayListener l;
                decode_listener(d, item, ip, out.meta.ns, l);
                out.listeners.push_back(std::move(l));
            });
        } else if (key == "addresses") {
            if (!d.is_null(v))
                d.warning(line, fp, "svcnat serves Gateways on its --ingress-http-address and "
                                    "--ingress-https-address: the addresses asked for are not assigned");
        } else if (key != "infrastructure" && key != "backendTLS" && key != "allowedListeners" && key != "tls") {
            return false;
        }
        return true;
    });
    const FieldPath cp = path.child("gatewayClassName"), lp = path.child("listeners");
    check_section_name(d, class_line, cp, out.gatewayClassName);
    if (!has_listeners || out.listeners.empty()) d.error(listeners_line, lp, required());
    too_many(d, listeners_line, lp, out.listeners.size(), 64);
    std::set<std::string> names;
    std::set<std::tuple<uint16_t, std::string, std::string>> combos;
    for (const auto& l : out.listeners) {
        if (!l.name.empty() && !names.insert(l.name).second)
            d.error(l.line, lp, invalid("\"array\"", "Listener name must be unique within the Gateway"));
        if (!combos.emplace(l.port, l.protocol, l.hostname).second)
            d.error(l.line, lp, invalid("\"array\"", "Combination of port, protocol and hostname must be unique for each listener"));
    }
}

}  // namespace

void decode_gateway_class(Decoder& d, const ObjectNode& obj, GatewayClass& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::Yes);
    const FieldPath spec = root.child("spec");
    uint32_t controller_line = top.spec_line;
    if (top.spec_node != kNone && d.expect_mapping(top.spec_node, spec))
        d.for_each_field(top.spec_node, spec, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
            if (k2 == "controllerName") controller_line = l2, d.read_string(v2, fp2, out.controllerName);
            else if (k2 != "parametersRef" && k2 != "description") return false;
            return true;
        });
    out.meta.loc.line = obj.line;
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    out.meta.ns.clear();
    const FieldPath cp = spec.child("controllerName");
    if (out.controllerName.empty()) d.error(controller_line, cp, required());
    else if (!is_domain_prefixed_path(out.controllerName))
        d.error(controller_line, cp,
                invalid(quote(out.controllerName),
                        "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/"
                        "[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'"));
}

void decode_gateway(Decoder& d, const ObjectNode& obj, Gateway& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::Yes);
    out.meta.loc.line = obj.line;
    // The namespace first: listeners' certificate references default to it.
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    const FieldPath spec = root.child("spec");
    if (top.spec_node == kNone) d.error(top.spec_line, spec, required());
    else decode_gateway_spec(d, top.spec_node, spec, top.spec_line, out);
}

void decode_reference_grant(Decoder& d, const ObjectNode& obj, ReferenceGrant& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::No);
    const FieldPath spec = root.child("spec");
    uint32_t from_line = 0, to_line = 0;
    if (top.spec_node != kNone && d.expect_mapping(top.spec_node, spec))
        d.for_each_field(top.spec_node, spec, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
            const bool from = k2 == "from";
            if (!from && k2 != "to") return false;
            (from ? from_line : to_line) = l2;
            if (!d.expect_sequence(v2, fp2)) return true;
            d.for_each_item(v2, fp2, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                std::string group, kind, third;  // third: namespace (from) or name (to)
                d.for_each_field(item, ip, [&](std::string_view k3, uint32_t v3, const FieldPath& fp3, uint32_t) {
                    if (k3 == "group") d.read_string(v3, fp3, group);
                    else if (k3 == "kind") d.read_string(v3, fp3, kind);
                    else if (from ? k3 == "namespace" : k3 == "name") d.read_string(v3, fp3, third);
                    else return false;
                    return true;
                });
                const FieldPath kp = ip.child("kind");
                if (kind.empty()) d.error(d.line(item), kp, required());
                if (from) {
                    const FieldPath np = ip.child("namespace");
                    if (third.empty()) d.error(d.line(item), np, required());
                    out.from.push_back({group, kind, third});
                } else {
                    out.to.push_back({group, kind, third});
                }
            });
            return true;
        });
    out.meta.loc.line = obj.line;
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    const FieldPath fp = spec.child("from"), tp = spec.child("to");
    if (out.from.empty()) d.error(from_line ? from_line : top.spec_line, fp, required());
    if (out.to.empty()) d.error(to_line ? to_line : top.spec_line, tp, required());
    too_many(d, from_line, fp, out.from.size(), 16);
    too_many(d, to_line, tp, out.to.size(), 16);
}

}  // namespace svcnat::manifest
