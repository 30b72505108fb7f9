// networking.k8s.io/v1 Ingress and IngressClass, validated as
// pkg/apis/networking/validation does (ValidateIngressSpec,
// ValidateIngressClass), with its messages. Which Ingresses svcnat serves
// (their class) and what their backends resolve to is decided later, with
// every object known (control/model/routes.cpp).
#include "api_validation.hpp"
#include "decode.hpp"
#include "l7_validation.hpp"

namespace svcnat::manifest {

namespace {

constexpr std::string_view kClassAnnotation = "kubernetes.io/ingress.class";
constexpr std::string_view kDefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

void decode_service_port(Decoder& d, uint32_t n, const FieldPath& path, IngressBackend& out, bool& has_name,
                         bool& has_number) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "name") {
            has_name = d.read_string(v, fp, out.port_name) && !out.port_name.empty();
        } else if (key == "number") {
            int64_t number = 0;
            if (d.read_int(v, fp, number) && number != 0) {
                has_number = true;
                if (number < 1 || number > 65535) d.error(line, fp, invalid(std::to_string(number), kPortRangeMessage));
                else out.port_number = static_cast<uint16_t>(number);
            }
        } else {
            return false;
        }
        return true;
    });
}

// IngressBackend: exactly one of service and resource; svcnat serves
// Services only, so a resource backend is refused with the reason.
void decode_backend(Decoder& d, uint32_t n, const FieldPath& path, uint32_t line, IngressBackend& out) {
    out.line = line;
    if (!d.expect_mapping(n, path)) return;
    bool has_service = false, has_resource = false;
    bool has_name = false, has_number = false;
    uint32_t service_line = line, resource_line = line;
    const FieldPath service_path = path.child("service");
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t key_line) {
        if (key == "service") {
            has_service = !d.is_null(v);
            service_line = key_line;
            if (!d.expect_mapping(v, fp)) return true;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 == "name") d.read_string(v2, fp2, out.service);
                else if (k2 == "port") decode_service_port(d, v2, fp2, out, has_name, has_number);
                else return false;
                return true;
            });
        } else if (key == "resource") {
            has_resource = !d.is_null(v);
            resource_line = key_line;
        } else {
            return false;
        }
        return true;
    });
    if (has_service && has_resource) {
        d.error(line, path, invalid("\"\"", "cannot set both resource and service backends"));
        return;
    }
    if (has_resource) {
        d.error(resource_line, path.child("resource"),
                forbidden("svcnat routes to Services only: use `service` (name and port)"));
        return;
    }
    if (!has_service) {
        d.error(line, path, invalid("\"\"", "one backend must be specified"));
        return;
    }
    const FieldPath name_path = service_path.child("name");
    if (out.service.empty()) d.error(service_line, name_path, required());
    else
        for (auto& m : dns1035_label_errors(out.service)) d.error(service_line, name_path, invalid(quote(out.service), m));
    const FieldPath port_path = service_path.child("port");
    if (has_name && has_number) {
        d.error(service_line, path, invalid("\"\"", "cannot set both port name & port number"));
    } else if (has_name) {
        const FieldPath pn = port_path.child("name");
        for (auto& m : port_name_errors(out.port_name)) d.error(service_line, pn, invalid(quote(out.port_name), m));
    } else if (!has_number) {
        d.error(service_line, path, required("port name or number is required"));
    }
}

void decode_path(Decoder& d, uint32_t item, const FieldPath& ip, IngressPath& out) {
    out.line = d.line(item);
    bool has_type = false, has_backend = false;
    uint32_t type_line = out.line, path_line = out.line;
    d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "path") {
            path_line = line;
            d.read_string(v, fp, out.path);
        } else if (key == "pathType") {
            type_line = line;
            std::string t;
            if (!d.read_string(v, fp, t)) return true;
            has_type = true;
            if (t == "Exact") out.pathType = IngressPathType::Exact;
            else if (t == "Prefix") out.pathType = IngressPathType::Prefix;
            else if (t == "ImplementationSpecific") out.pathType = IngressPathType::ImplementationSpecific;
            else d.error(line, fp, unsupported(t, {"Exact", "ImplementationSpecific", "Prefix"}));
        } else if (key == "backend") {
            has_backend = true;
            decode_backend(d, v, fp, line, out.backend);
        } else {
            return false;
        }
        return true;
    });
    if (!has_type) {
        d.error(type_line, ip.child("pathType"), required("pathType must be specified"));
        return;
    }
    const FieldPath pp = ip.child("path");
    for (auto& m : ingress_path_errors(out.path, out.pathType)) d.error(path_line, pp, invalid(quote(out.path), m));
    if (!has_backend) d.error(out.line, ip.child("backend"), required());
}

void decode_rules(Decoder& d, uint32_t n, const FieldPath& path, std::vector<IngressRule>& out) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        IngressRule rule;
        rule.line = d.line(item);
        uint32_t host_line = rule.line;
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key == "host") {
                host_line = line;
                d.read_string(v, fp, rule.host);
            } else if (key == "http") {
                if (!d.expect_mapping(v, fp)) return true;
                bool has_paths = false;
                d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
                    if (k2 != "paths") return false;
                    if (!d.expect_sequence(v2, fp2)) return true;
                    d.for_each_item(v2, fp2, [&](size_t, uint32_t p, const FieldPath& pp) {
                        if (!d.expect_mapping(p, pp)) return;
                        IngressPath ingress_path;
                        decode_path(d, p, pp, ingress_path);
                        rule.paths.push_back(std::move(ingress_path));
                    });
                    has_paths = true;
                    if (rule.paths.empty()) d.error(l2, fp2, required());
                    return true;
                });
                if (!has_paths) {
                    const FieldPath paths = fp.child("paths");
                    d.error(line, paths, required());
                }
            } else {
                return false;
            }
            return true;
        });
        if (!rule.host.empty()) {
            const FieldPath hp = ip.child("host");
            for (auto& m : ingress_host_errors(rule.host)) d.error(host_line, hp, invalid(quote(rule.host), m));
        }
        out.push_back(std::move(rule));
    });
}

void decode_tls(Decoder& d, uint32_t n, const FieldPath& path, std::vector<IngressTLS>& out) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        IngressTLS tls;
        tls.line = d.line(item);
        std::vector<uint32_t> host_lines;
        uint32_t secret_line = tls.line;
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key == "hosts") d.read_string_list(v, fp, tls.hosts, &host_lines);
            else if (key == "secretName") secret_line = line, d.read_string(v, fp, tls.secretName);
            else return false;
            return true;
        });
        const FieldPath hosts = ip.child("hosts");
        for (size_t i = 0; i < tls.hosts.size(); ++i) {
            const FieldPath hp = hosts.index(i);
            for (auto& m : ingress_host_errors(tls.hosts[i])) d.error(host_lines[i], hp, invalid(quote(tls.hosts[i]), m));
        }
        if (!tls.secretName.empty()) {
            const FieldPath sp = ip.child("secretName");
            for (auto& m : dns1123_subdomain_errors(tls.secretName))
                d.error(secret_line, sp, invalid(quote(tls.secretName), m));
        }
        out.push_back(std::move(tls));
    });
}

void decode_spec(Decoder& d, uint32_t n, const FieldPath& path, uint32_t spec_line, Ingress& out) {
    if (!d.expect_mapping(n, path)) return;
    uint32_t class_line = spec_line;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "ingressClassName") {
            class_line = line;
            d.read_string(v, fp, out.ingressClassName);
        } else if (key == "defaultBackend") {
            if (d.is_null(v)) return true;
            out.defaultBackend.emplace();
            decode_backend(d, v, fp, line, *out.defaultBackend);
        } else if (key == "rules") {
            decode_rules(d, v, fp, out.rules);
        } else if (key == "tls") {
            decode_tls(d, v, fp, out.tls);
        } else {
            return false;
        }
        return true;
    });
    if (!out.ingressClassName.empty()) {
        const FieldPath cp = path.child("ingressClassName");
        for (auto& m : dns1123_subdomain_errors(out.ingressClassName))
            d.error(class_line, cp, invalid(quote(out.ingressClassName), m));
    }
}

}  // namespace

void decode_ingress(Decoder& d, const ObjectNode& obj, Ingress& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::Yes);
    const FieldPath spec = root.child("spec");
    if (top.spec_node != kNone) decode_spec(d, top.spec_node, spec, top.spec_line, out);
    out.meta.loc.line = obj.line;
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    if (top.spec_node == kNone || (out.rules.empty() && !out.defaultBackend))
        d.error(top.spec_line, spec, invalid("[]", "either `defaultBackend` or `rules` must be specified"));
    auto annotation = out.meta.annotations.find(std::string(kClassAnnotation));
    if (annotation != out.meta.annotations.end() && !out.ingressClassName.empty() &&
        annotation->second != out.ingressClassName) {
        const FieldPath annotations = root.child("annotations");
        const FieldPath ap = annotations.child(kClassAnnotation);
        d.error(top.meta_line, ap, invalid(quote(annotation->second), "must match `ingressClassName` when both are specified"));
    }
}

void decode_ingress_class(Decoder& d, const ObjectNode& obj, IngressClass& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::No);
    const FieldPath spec = root.child("spec");
    uint32_t controller_line = top.spec_line;
    if (top.spec_node != kNone && d.expect_mapping(top.spec_node, spec))
        d.for_each_field(top.spec_node, spec, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
            if (k2 == "controller") controller_line = l2, d.read_string(v2, fp2, out.controller);
            else if (k2 != "parameters") return false;  // the controller's business; svcnat has none
            return true;
        });
    out.meta.loc.line = obj.line;
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    out.meta.ns.clear();  // cluster-scoped
    const FieldPath cp = spec.child("controller");
    if (out.controller.empty()) d.error(controller_line, cp, required());
    else if (out.controller.size() > 250) d.error(controller_line, cp, "Too long: may not be more than 250 bytes");
    else if (!is_domain_prefixed_path(out.controller))
        d.error(controller_line, cp, invalid(quote(out.controller), "must be a domain-prefixed path (such as \"acme.io/foo\")"));
    auto a = out.meta.annotations.find(std::string(kDefaultClassAnnotation));
    out.is_default = a != out.meta.annotations.end() && a->second == "true";
}

}  // namespace svcnat::manifest
