// load_text / load_paths: files → documents → objects by kind, then the
// cross-object checks. Objects with errors are left out of the result, as
// the API server would have refused them; every problem is in diagnostics.
#include "load.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <unordered_map>

#include "api_validation.hpp"
#include "cross_checks.hpp"
#include "decode.hpp"
#include "yaml_tree.hpp"

namespace svcnat {

namespace {

using manifest::Decoder;
using manifest::FieldPath;
using manifest::kNone;
using manifest::ObjectNode;

struct KindInfo {
    std::string_view kind;
    std::string_view api_version;
};
constexpr KindInfo kKinds[] = {
    {"Service", "v1"}, {"EndpointSlice", "discovery.k8s.io/v1"}, {"Endpoints", "v1"}, {"Pod", "v1"}, {"Node", "v1"},
};

class Loader {
public:
    Loader(const Settings& settings, LoadResult& result) : settings_(settings), result_(result) {}

    void load_text(std::string_view text, const std::string& file) {
        yaml::StreamReader reader(text);
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
        }
    }

    void finish() {
        manifest::cross_check(services_, staged_, result_.manifests, result_.diagnostics);
        sort_diagnostics();
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
            d.notice(obj.line, "skipping " + kind + (name.empty() ? "" : " " + name) + ": not used by svcnat");
            return;
        }
        if (!api_version.empty() && api_version != info->api_version)
            d.error(api_line, api_path, manifest::unsupported(api_version, {info->api_version}));

        auto accepted = [&] { return d.error_count() == errors_before; };
        if (kind == "Service") {
            manifest::StagedService s;
            s.service.meta.loc.file = d.file();
            manifest::decode_service(d, obj, settings_, s.service, s.lines);
            if (accepted()) services_.push_back(std::move(s));
        } else if (kind == "EndpointSlice") {
            EndpointSlice slice;
            slice.meta.loc.file = d.file();
            bool used = manifest::decode_endpoint_slice(d, obj, slice);
            if (accepted() && used) staged_.endpointSlices.push_back(std::move(slice));
        } else if (kind == "Endpoints") {
            Endpoints e;
            e.meta.loc.file = d.file();
            manifest::decode_endpoints(d, obj, e);
            if (accepted()) staged_.endpoints.push_back(std::move(e));
        } else if (kind == "Pod") {
            Pod p;
            p.meta.loc.file = d.file();
            manifest::decode_pod(d, obj, p);
            if (accepted()) staged_.pods.push_back(std::move(p));
        } else {
            Node n;
            n.meta.loc.file = d.file();
            manifest::decode_node(d, obj, n);
            if (accepted()) staged_.nodes.push_back(std::move(n));
        }
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

    // Reading order: files as loaded, then lines, so that each object's
    // problems (including the cross-object ones found last) read top-down.
    void sort_diagnostics() {
        std::unordered_map<std::string_view, size_t> ranks;
        for (size_t i = 0; i < result_.files.size(); ++i) ranks.emplace(result_.files[i], i);
        auto file_rank = [&](const std::string& f) {
            auto it = ranks.find(f);
            return it == ranks.end() ? result_.files.size() : it->second;
        };
        std::vector<std::pair<size_t, Diagnostic*>> keyed;
        keyed.reserve(result_.diagnostics.size());
        for (auto& d : result_.diagnostics) keyed.emplace_back(file_rank(d.file), &d);
        std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
            if (a.first != b.first) return a.first < b.first;
            return a.second->line < b.second->line;
        });
        std::vector<Diagnostic> sorted;
        sorted.reserve(keyed.size());
        for (auto& [rank, d] : keyed) sorted.push_back(std::move(*d));
        result_.diagnostics = std::move(sorted);
    }

    const Settings& settings_;
    LoadResult& result_;
    std::vector<manifest::StagedService> services_;
    Manifests staged_;
};

bool is_manifest_name(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

Diagnostic file_error(const std::string& path, const std::string& what) {
    Diagnostic d;
    d.file = path;
    d.message = what;
    return d;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return false;
    }
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    in.seekg(0, std::ios::beg);
    out.resize(size > 0 ? static_cast<size_t>(size) : 0);
    if (size > 0 && !in.read(out.data(), size)) {
        error = "read error";
        return false;
    }
    return true;
}

}  // namespace

LoadResult load_text(std::string_view text, const std::string& file_name, const Settings& settings) {
    LoadResult result;
    Loader loader(settings, result);
    result.files.push_back(file_name);
    loader.load_text(text, file_name);
    loader.finish();
    return result;
}

LoadResult load_paths(const std::vector<std::string>& paths, const Settings& settings) {
    namespace fs = std::filesystem;
    LoadResult result;
    Loader loader(settings, result);
    std::string text, error;
    auto load_file = [&](const std::string& file) {
        if (!read_file(file, text, error)) {
            result.diagnostics.push_back(file_error(file, "cannot read: " + error));
            return;
        }
        result.files.push_back(file);
        loader.load_text(text, file);
    };
    for (const std::string& path : paths) {
        std::error_code ec;
        auto status = fs::status(path, ec);
        if (ec) {
            result.diagnostics.push_back(file_error(path, "cannot read: " + ec.message()));
            continue;
        }
        if (!fs::is_directory(status)) {
            load_file(path);
            continue;
        }
        // Like `kubectl apply -f DIR`: the directory's own manifest files,
        // not its subdirectories; hidden entries (editor swap files,
        // Kubernetes' ..data ConfigMap links) are skipped.
        std::vector<fs::path> files;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            std::string name = p.filename().string();
            if (name.empty() || name[0] == '.' || !is_manifest_name(p)) continue;
            std::error_code fec;
            if (fs::is_regular_file(it->status(fec))) files.push_back(p);
        }
        if (ec) {
            result.diagnostics.push_back(file_error(path, "cannot read directory: " + ec.message()));
            continue;
        }
        std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
        for (const auto& f : files) load_file(f.string());
    }
    loader.finish();
    return result;
}

}  // namespace svcnat
