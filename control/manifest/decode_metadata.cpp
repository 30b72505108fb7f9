// metadata (name, namespace, labels, annotations) as ValidateObjectMeta checks
// it, plus the small readers every kind shares.
#include <cctype>

#include "api_validation.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

namespace {

void validate_labels(Decoder& d, uint32_t line, const FieldPath& path, const Labels& labels) {
    for (const auto& [key, value] : labels) {
        for (auto& m : qualified_name_errors(key)) d.error(line, path, invalid(quote(key), m));
        for (auto& m : label_value_errors(value)) d.error(line, path, invalid(quote(value), m));
    }
}

}  // namespace

bool read_protocol(Decoder& d, uint32_t n, const FieldPath& path, Protocol& out) {
    std::string s;
    if (!d.read_string(n, path, s)) return false;
    auto p = parse_protocol(s);
    if (!p) {
        d.error(d.line(n), path, unsupported(s, {"SCTP", "TCP", "UDP"}));
        return false;
    }
    out = *p;
    return true;
}

bool read_port_number(Decoder& d, uint32_t n, const FieldPath& path, uint16_t& out) {
    int64_t v = 0;
    if (!d.read_int(n, path, v)) return false;
    if (v < 1 || v > 65535) {
        d.error(d.line(n), path, invalid(std::to_string(v), kPortRangeMessage));
        return false;
    }
    out = static_cast<uint16_t>(v);
    return true;
}

void decode_metadata(Decoder& d, uint32_t meta_node, uint32_t meta_line, NameRule rule, ObjectMeta& meta,
                     bool* deleting) {
    const FieldPath root;
    const FieldPath path = root.child("metadata");
    bool has_generate_name = false;
    bool name_mistyped = false;  // already reported as a type error
    uint32_t name_line = meta_line, labels_line = meta_line, annotations_line = meta_line;
    if (meta_node != kNone && d.expect_mapping(meta_node, path)) {
        d.for_each_field(meta_node, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key == "name") {
                name_line = line;
                name_mistyped = !d.read_string(v, fp, meta.name) && !d.is_null(v);
            } else if (key == "namespace") {
                std::string ns;
                if (d.read_string(v, fp, ns) && !ns.empty()) {
                    for (auto& m : dns1123_label_errors(ns)) d.error(line, fp, invalid(quote(ns), m));
                    meta.ns = std::move(ns);
                }
            } else if (key == "labels") {
                labels_line = line;
                d.read_string_map(v, fp, meta.labels);
            } else if (key == "annotations") {
                annotations_line = line;
                d.read_string_map(v, fp, meta.annotations);
            } else if (key == "generateName") {
                std::string g;
                has_generate_name = d.read_string(v, fp, g) && !g.empty();
            } else if (key == "deletionTimestamp") {
                std::string ts;
                if (d.read_string(v, fp, ts) && deleting) *deleting = !ts.empty();
            } else if (key == "creationTimestamp") {
                // kubectl's `get -o yaml` writes `creationTimestamp: null`.
                // Server-managed; kept only to order conflicting routes.
                if (d.node(v).type == yaml::NodeType::Scalar) meta.creationTimestamp = std::string(d.doc().text(v));
                if (d.is_null(v)) meta.creationTimestamp.clear();
            } else if (key == "selfLink" || key == "uid" || key == "resourceVersion" || key == "generation" ||
                       key == "deletionGracePeriodSeconds" || key == "ownerReferences" || key == "finalizers" ||
                       key == "managedFields") {
                // Server-managed fields of exported objects: accepted, unused.
            } else {
                return false;
            }
            return true;
        });
    }
    const FieldPath name_path = path.child("name");
    if (meta.name.empty()) {
        if (name_mistyped) {
            // reported above
        } else if (has_generate_name)
            d.error(name_line, name_path,
                    required("svcnat reads manifests without an API server, so generateName cannot be used"));
        else
            d.error(name_line, name_path, required("name or generateName is required"));
    } else {
        auto errs = rule == NameRule::DNS1035Label  ? dns1035_label_errors(meta.name)
                    : rule == NameRule::DNS1123Label ? dns1123_label_errors(meta.name)
                                                     : dns1123_subdomain_errors(meta.name);
        for (auto& m : errs) d.error(name_line, name_path, invalid(quote(meta.name), m));
    }
    validate_labels(d, labels_line, path.child("labels"), meta.labels);
    const FieldPath annotations_path = path.child("annotations");
    // The API server's ValidateAnnotationsSize: keys and values together.
    constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
    size_t annotation_bytes = 0;
    for (const auto& [key, value] : meta.annotations) annotation_bytes += key.size() + value.size();
    if (annotation_bytes > kTotalAnnotationSizeLimit)
        d.error(annotations_line, annotations_path,
                "Too long: must have at most " + std::to_string(kTotalAnnotationSizeLimit) + " bytes");
    for (const auto& [key, value] : meta.annotations) {
        (void)value;
        std::string lower(key);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (auto& m : qualified_name_errors(lower)) d.error(annotations_line, annotations_path, invalid(quote(key), m));
    }
}

TopFields read_top_fields(Decoder& d, const ObjectNode& obj, HasStatus status) {
    TopFields top{kNone, obj.line, kNone, obj.line};
    d.for_each_field(obj.root, FieldPath(), [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t line) {
        if (key == "apiVersion" || key == "kind") return true;
        if (key == "status") return status == HasStatus::Yes;
        if (key == "metadata") top.meta_node = v, top.meta_line = line;
        else if (key == "spec") top.spec_node = v, top.spec_line = line;
        else return false;
        return true;
    });
    return top;
}

}  // namespace svcnat::manifest
