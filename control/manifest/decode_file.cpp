// The dispatcher: each document's `kind` (and apiVersion) picks its
// decoder; Lists are unpacked; kinds svcnat does not use are skipped with a
// notice.
#include "decode_file.hpp"

#include <iterator>

#include "api_validation.hpp"
#include "decode.hpp"
#include "yaml_tree.hpp"

namespace svcnat::manifest {

namespace {

// Kinds of Kubernetes and its common extensions that a manifest directory
// or a cluster export may hold and svcnat does not use.
bool is_known_kubernetes_kind(std::string_view kind) {
    static constexpr std::string_view kKnown[] = {
        "APIService", "Binding", "CSIDriver", "CSINode", "CSIStorageCapacity", "Certificate",
        "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "ComponentStatus", "ConfigMap",
        "ControllerRevision", "CronJob", "CustomResourceDefinition", "DaemonSet", "Deployment", "Event",
        "FlowSchema", "GRPCRoute", "HorizontalPodAutoscaler", "IPAddress",
        "Issuer", "Job", "Lease", "LimitRange", "MutatingWebhookConfiguration",
        "NetworkPolicy", "PersistentVolume", "PersistentVolumeClaim", "PodDisruptionBudget",
        "PodTemplate", "PriorityClass", "PriorityLevelConfiguration", "ReplicaSet",
        "ReplicationController", "ResourceQuota", "Role", "RoleBinding", "RuntimeClass", "ServiceAccount", "StatefulSet", "StorageClass", "TCPRoute", "TLSRoute", "UDPRoute",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
        "VolumeAttachment", "VolumeSnapshot", "VolumeSnapshotClass", "VolumeSnapshotContent"};
    for (auto k : kKnown)
        if (k == kind) return true;
    return false;
}

// One object being decoded, and where an accepted one goes.
struct ObjectContext {
    Decoder& d;
    const ObjectNode& obj;
    const Settings& settings;
    ParsedFile& out;
    size_t errors_before;  // any error since rejects the object
    bool accepted() const { return d.error_count() == errors_before; }
};

void decode_service_object(ObjectContext& c) {
    manifest::StagedService s;
    s.service.meta.loc.file = c.d.file();
    manifest::decode_service(c.d, c.obj, c.settings, s.service, s.lines);
    s.rejected = !c.accepted();  // kept: the merge reports duplicates of rejected services too
    c.out.services.push_back(std::move(s));
}

// The kinds whose decoder fills a T: decoded, then kept in
// `out.staged.*list` when no error was found.
template <typename T, void (*Decode)(Decoder&, const ObjectNode&, T&), std::vector<T> Manifests::*list>
void decode_staged(ObjectContext& c) {
    T object;
    object.meta.loc.file = c.d.file();
    Decode(c.d, c.obj, object);
    if (c.accepted()) (c.out.staged.*list).push_back(std::move(object));
}

// The kinds whose decoder may find an object valid but of no use to
// svcnat (a slice of no Service, a Secret without a certificate): kept
// only when it says so.
template <typename T, bool (*Decode)(Decoder&, const ObjectNode&, T&), std::vector<T> Manifests::*list>
void decode_if_used(ObjectContext& c) {
    T object;
    object.meta.loc.file = c.d.file();
    const bool used = Decode(c.d, c.obj, object);
    if (c.accepted() && used) (c.out.staged.*list).push_back(std::move(object));
}

// The kinds svcnat reads: their API version, and their decoder.
struct KindInfo {
    std::string_view kind;
    std::string_view api_version;
    // Also accepted (betas that exports still carry), or "".
    std::string_view older_api_versions[2] = {};
    void (*decode)(ObjectContext&) = nullptr;
};
constexpr std::string_view kGatewayV1 = "gateway.networking.k8s.io/v1";
constexpr std::string_view kGatewayV1beta1 = "gateway.networking.k8s.io/v1beta1";
constexpr KindInfo kKinds[] = {
    {"Service", "v1", {}, decode_service_object},
    {"EndpointSlice", "discovery.k8s.io/v1", {},
     decode_if_used<EndpointSlice, manifest::decode_endpoint_slice, &Manifests::endpointSlices>},
    {"Endpoints", "v1", {}, decode_staged<Endpoints, manifest::decode_endpoints, &Manifests::endpoints>},
    {"Pod", "v1", {}, decode_staged<Pod, manifest::decode_pod, &Manifests::pods>},
    {"Node", "v1", {}, decode_staged<Node, manifest::decode_node, &Manifests::nodes>},
    {"ServiceCIDR", "networking.k8s.io/v1", {"networking.k8s.io/v1beta1"},
     decode_staged<ServiceCIDR, manifest::decode_service_cidr, &Manifests::serviceCIDRs>},
    {"Ingress", "networking.k8s.io/v1", {}, decode_staged<Ingress, manifest::decode_ingress, &Manifests::ingresses>},
    {"IngressClass", "networking.k8s.io/v1", {},
     decode_staged<IngressClass, manifest::decode_ingress_class, &Manifests::ingressClasses>},
    {"Secret", "v1", {}, decode_if_used<TLSSecret, manifest::decode_secret, &Manifests::secrets>},
    {"Namespace", "v1", {}, decode_staged<Namespace, manifest::decode_namespace, &Manifests::namespaces>},
    {"GatewayClass", kGatewayV1, {kGatewayV1beta1},
     decode_staged<GatewayClass, manifest::decode_gateway_class, &Manifests::gatewayClasses>},
    {"Gateway", kGatewayV1, {kGatewayV1beta1}, decode_staged<Gateway, manifest::decode_gateway, &Manifests::gateways>},
    {"HTTPRoute", kGatewayV1, {kGatewayV1beta1},
     decode_staged<HTTPRoute, manifest::decode_http_route, &Manifests::httpRoutes>},
    {"ReferenceGrant", kGatewayV1beta1, {kGatewayV1, "gateway.networking.k8s.io/v1alpha2"},
     decode_staged<ReferenceGrant, manifest::decode_reference_grant, &Manifests::referenceGrants>},
};

// "Unsupported value" for an apiVersion: the supported ones, newest first.
std::string unsupported_api_version(std::string_view given, const KindInfo& info) {
    const auto& older = info.older_api_versions;
    if (older[0].empty()) return manifest::unsupported(given, {info.api_version});
    if (older[1].empty()) return manifest::unsupported(given, {info.api_version, older[0]});
    return manifest::unsupported(given, {info.api_version, older[0], older[1]});
}

bool accepts_api_version(const KindInfo& info, std::string_view v) {
    return v == info.api_version || (!info.older_api_versions[0].empty() && v == info.older_api_versions[0]) ||
           (!info.older_api_versions[1].empty() && v == info.older_api_versions[1]);
}

class FileDecoder {
public:
    FileDecoder(const Settings& settings, ParsedFile& result) : settings_(settings), result_(result) {}

    // False when the text is not valid YAML (reported in diagnostics).
    bool load_text(std::string_view text, const std::string& file, uint32_t first_line = 1) {
        yaml::StreamReader reader(text, first_line);
        yaml::Document doc;
        while (reader.next(doc)) {
            if (doc.empty()) continue;
            Decoder d(doc, file, result_.diagnostics);
            decode_object(d, doc.root(), /*in_list=*/false);
        }
        if (const auto& e = reader.error()) {
            Diagnostic diag;
            diag.file = file;
            diag.line = e->line;
            diag.message = "yaml: " + e->str();
            result_.diagnostics.push_back(std::move(diag));
            return false;
        }
        return true;
    }

private:
    // Finds `key` in a mapping without reporting anything.
    static bool has_key(const Decoder& d, uint32_t map, std::string_view key, uint32_t* line, uint32_t* value) {
        const yaml::Node& m = d.node(map);
        uint32_t k = m.first;
        for (uint32_t i = 0; i < m.count; ++i) {
            uint32_t v = d.node(k).next;
            if (d.node(k).type == yaml::NodeType::Scalar && d.doc().text(k) == key) {
                *line = d.line(k);
                *value = v;
                return true;
            }
            k = d.node(v).next;
        }
        return false;
    }

    void decode_object(Decoder& d, uint32_t root, bool in_list) {
        const FieldPath top;
        // Any error from here on (apiVersion included) rejects the object.
        const size_t errors_before = d.error_count();
        const yaml::Node& r = d.node(root);
        if (r.type != yaml::NodeType::Mapping) {
            std::string got = r.type == yaml::NodeType::Sequence ? "a list" : "a scalar " + d.render(root);
            d.error(r.line, top,
                    std::string(in_list ? "a List item" : "a manifest document") +
                        " must be an object with apiVersion and kind, got " + got);
            return;
        }
        uint32_t kind_line = 0, kind_node = kNone, api_line = 0, api_node = kNone;
        const bool has_kind = has_key(d, root, "kind", &kind_line, &kind_node);
        const bool has_api = has_key(d, root, "apiVersion", &api_line, &api_node);
        std::string kind, api_version;
        const FieldPath kind_path = top.child("kind");
        const FieldPath api_path = top.child("apiVersion");
        ObjectNode obj{root, has_kind ? kind_line : r.line};
        // A value of the wrong type has been reported by read_string.
        const bool kind_mistyped = has_kind && !d.read_string(kind_node, kind_path, kind) && !d.is_null(kind_node);
        if (kind.empty()) {
            if (!kind_mistyped) d.error(obj.line, kind_path, manifest::required());
            return;
        }
        const bool api_mistyped = has_api && !d.read_string(api_node, api_path, api_version) && !d.is_null(api_node);
        if (api_version.empty() && !api_mistyped) d.error(obj.line, api_path, manifest::required());

        if (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) {
            decode_list(d, obj);
            return;
        }
        const KindInfo* info = nullptr;
        for (const auto& k : kKinds)
            if (k.kind == kind) info = &k;
        if (!info) {
            std::string name = peek_name(d, root);
            const std::string what = kind + (name.empty() ? "" : " " + name);
            // Kubernetes kinds svcnat has no use for are expected in a
            // manifest directory: a notice (-v). Anything else is likely a
            // typo (`kind: Servce`): a warning, shown by default.
            if (is_known_kubernetes_kind(kind)) d.notice(obj.line, "skipping " + what + ": not used by svcnat");
            else d.warning(obj.line, FieldPath(), "skipping " + what + ": \"" + kind + "\" is not a Kubernetes kind svcnat knows");
            return;
        }
        if (!api_version.empty() && !accepts_api_version(*info, api_version))
            d.error(api_line, api_path, unsupported_api_version(api_version, *info));

        ObjectContext c{d, obj, settings_, result_, errors_before};
        info->decode(c);
    }

    void decode_list(Decoder& d, const ObjectNode& obj) {
        const FieldPath top;
        uint32_t items = kNone;
        d.for_each_field(obj.root, top, [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t) {
            if (key == "items") items = v;
            else if (key != "apiVersion" && key != "kind" && key != "metadata") return false;
            return true;
        });
        const FieldPath items_path = top.child("items");
        if (items == kNone || !d.expect_sequence(items, items_path)) return;
        for (uint32_t c = d.node(items).first; c != kNone; c = d.node(c).next) decode_object(d, c, true);
    }

    // metadata.name of an object of a kind svcnat skips, for the notice.
    static std::string peek_name(const Decoder& d, uint32_t root) {
        uint32_t line = 0, meta = kNone, name = kNone;
        if (!has_key(d, root, "metadata", &line, &meta) || d.node(meta).type != yaml::NodeType::Mapping) return {};
        if (!has_key(d, meta, "name", &line, &name) || d.node(name).type != yaml::NodeType::Scalar) return {};
        return std::string(d.doc().text(name));
    }

    const Settings& settings_;
    ParsedFile& result_;
};

}  // namespace

bool decode_text(std::string_view text, const std::string& file, const Settings& settings, ParsedFile& out,
                 uint32_t first_line) {
    return FileDecoder(settings, out).load_text(text, file, first_line);
}

void append_parsed(ParsedFile& to, ParsedFile&& from) {
    auto move_all = [](auto& dst, auto& src) { std::move(src.begin(), src.end(), std::back_inserter(dst)); };
    move_all(to.services, from.services);
    move_all(to.staged.services, from.staged.services);
    for_each_object_list([&](auto list) { move_all(to.staged.*list, from.staged.*list); });
    move_all(to.diagnostics, from.diagnostics);
}

}  // namespace svcnat::manifest
