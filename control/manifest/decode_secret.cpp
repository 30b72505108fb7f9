// v1 Secret (only those holding a certificate and key are kept) and v1
// Namespace (its labels, for Gateway listeners' namespace selectors),
// validated as ValidateSecret and ValidateNamespace do.
#include <cctype>

#include "api_validation.hpp"
#include "base64.hpp"
#include "decode.hpp"
#include "tls_pair.hpp"

namespace svcnat::manifest {

namespace {

constexpr std::string_view kTLSType = "kubernetes.io/tls";
constexpr size_t kMaxSecretBytes = 1024 * 1024;  // the API server's MaxSecretSize

bool is_config_map_key(std::string_view k) {
    if (k.empty() || k.size() > 253 || k == "." || k == "..") return false;
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') return false;
    return true;
}

// data (base64) or stringData (text): key -> bytes, stringData winning as
// the API server merges it.
void decode_data(Decoder& d, uint32_t n, const FieldPath& path, bool base64, std::map<std::string, std::string>& out,
                 size_t& bytes) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t line) {
        const FieldPath kp = path.key(key);
        if (!is_config_map_key(key))
            d.error(line, kp, invalid(quote(key), "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
        std::string value;
        if (!d.read_string(v, kp, value)) return true;
        if (base64) {
            size_t at = 0;
            auto decoded = decode_base64(value, &at);
            // A bad value is reported once: the key still counts as given.
            if (!decoded) d.error(line, kp, "illegal base64 data at input byte " + std::to_string(at));
            value = decoded ? std::move(*decoded) : std::string();
        }
        bytes += value.size();
        out[std::string(key)] = std::move(value);
        return true;
    });
}

}  // namespace

bool decode_secret(Decoder& d, const ObjectNode& obj, TLSSecret& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line, data_line = obj.line;
    std::string type = "Opaque";
    std::map<std::string, std::string> data, string_data;
    size_t bytes = 0;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "apiVersion" || key == "kind" || key == "immutable") return true;
        if (key == "metadata") meta_node = v, meta_line = line;
        else if (key == "type") d.read_string(v, fp, type);
        else if (key == "data") data_line = line, decode_data(d, v, fp, true, data, bytes);
        else if (key == "stringData") data_line = line, decode_data(d, v, fp, false, string_data, bytes);
        else return false;
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Subdomain, out.meta);
    for (auto& [k, v] : string_data) data[k] = std::move(v);
    const FieldPath data_path = root.child("data");
    if (bytes > kMaxSecretBytes)
        d.error(data_line, data_path, "Too long: must have at most " + std::to_string(kMaxSecretBytes) + " bytes");
    auto crt = data.find("tls.crt"), key = data.find("tls.key");
    if (type == kTLSType) {
        const FieldPath crt_path = data_path.key("tls.crt"), key_path = data_path.key("tls.key");
        if (crt == data.end()) d.error(data_line, crt_path, required());
        if (key == data.end()) d.error(data_line, key_path, required());
    }
    if (crt == data.end() || key == data.end()) {
        d.notice(obj.line, "skipping Secret " + out.meta.ns + "/" + out.meta.name + ": holds no tls.crt and tls.key");
        return false;
    }
    out.certificate = std::move(crt->second);
    out.key = std::move(key->second);
    out.problem = tls_pair_problem(out.certificate, out.key);
    if (!out.problem.empty())
        d.warning(data_line, data_path, "Secret " + out.meta.ns + "/" + out.meta.name + " cannot be served: " +
                                            out.problem);
    return true;
}

void decode_namespace(Decoder& d, const ObjectNode& obj, Namespace& out) {
    const FieldPath root;
    uint32_t meta_node = kNone, meta_line = obj.line;
    d.for_each_field(obj.root, root, [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t line) {
        if (key == "apiVersion" || key == "kind" || key == "spec" || key == "status") return true;
        if (key != "metadata") return false;
        meta_node = v, meta_line = line;
        return true;
    });
    out.meta.loc.line = obj.line;
    decode_metadata(d, meta_node, meta_line, NameRule::DNS1123Label, out.meta);
    out.meta.ns.clear();  // cluster-scoped
    // The label every namespace carries (NamespaceDefaultLabelName).
    out.meta.labels["kubernetes.io/metadata.name"] = out.meta.name;
}

}  // namespace svcnat::manifest
