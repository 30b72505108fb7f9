#include "decoder.hpp"

#include "api_validation.hpp"

namespace svcnat::manifest {

void Decoder::report(Severity severity, uint32_t line, const FieldPath& path, std::string message) {
    Diagnostic d;
    d.severity = severity;
    d.file = file_;
    d.line = line;
    d.field = path.str();
    d.message = std::move(message);
    out_.push_back(std::move(d));
    if (severity == Severity::Error) ++errors_;
}

bool Decoder::is_null(uint32_t n) const {
    const yaml::Node& x = node(n);
    return x.type == yaml::NodeType::Scalar &&
           yaml::resolve_scalar(doc_.text(x), x.quoted).kind == yaml::ScalarKind::Null;
}

std::string Decoder::render(uint32_t n) const {
    const yaml::Node& x = node(n);
    if (x.type == yaml::NodeType::Mapping) return "{...}";
    if (x.type == yaml::NodeType::Sequence) return "[...]";
    auto s = yaml::resolve_scalar(doc_.text(x), x.quoted);
    if (s.kind == yaml::ScalarKind::String) return quote(doc_.text(x));
    if (s.kind == yaml::ScalarKind::Null) return "null";
    return std::string(doc_.text(x));
}

void Decoder::type_error(uint32_t n, const FieldPath& path, std::string_view expected) {
    const yaml::Node& x = node(n);
    std::string_view got;
    if (x.type == yaml::NodeType::Mapping) got = "object";
    else if (x.type == yaml::NodeType::Sequence) got = "list";
    else got = yaml::kind_name(yaml::resolve_scalar(doc_.text(x), x.quoted).kind);
    error(x.line, path, invalid(render(n), "expected " + std::string(expected) + ", got " + std::string(got)));
}

bool Decoder::read_string(uint32_t n, const FieldPath& path, std::string& out) {
    const yaml::Node& x = node(n);
    if (x.type == yaml::NodeType::Scalar) {
        auto s = yaml::resolve_scalar(doc_.text(x), x.quoted);
        if (s.kind == yaml::ScalarKind::Null) return false;
        if (s.kind == yaml::ScalarKind::String) {
            out.assign(doc_.text(x));
            return true;
        }
    }
    type_error(n, path, "string");
    return false;
}

bool Decoder::read_int(uint32_t n, const FieldPath& path, int64_t& out) {
    const yaml::Node& x = node(n);
    if (x.type == yaml::NodeType::Scalar) {
        auto s = yaml::resolve_scalar(doc_.text(x), x.quoted);
        if (s.kind == yaml::ScalarKind::Null) return false;
        if (s.kind == yaml::ScalarKind::Int) {
            out = s.integer;
            return true;
        }
    }
    type_error(n, path, "integer");
    return false;
}

bool Decoder::read_bool(uint32_t n, const FieldPath& path, bool& out) {
    const yaml::Node& x = node(n);
    if (x.type == yaml::NodeType::Scalar) {
        auto s = yaml::resolve_scalar(doc_.text(x), x.quoted);
        if (s.kind == yaml::ScalarKind::Null) return false;
        if (s.kind == yaml::ScalarKind::Bool) {
            out = s.boolean;
            return true;
        }
    }
    type_error(n, path, "boolean");
    return false;
}

bool Decoder::expect_mapping(uint32_t n, const FieldPath& path) {
    if (node(n).type == yaml::NodeType::Mapping) return true;
    if (!is_null(n)) type_error(n, path, "object");
    return false;
}

bool Decoder::expect_sequence(uint32_t n, const FieldPath& path) {
    if (node(n).type == yaml::NodeType::Sequence) return true;
    if (!is_null(n)) type_error(n, path, "list");
    return false;
}

bool Decoder::read_string_list(uint32_t n, const FieldPath& path, std::vector<std::string>& out,
                               std::vector<uint32_t>* lines) {
    if (!expect_sequence(n, path)) return false;
    for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& item_path) {
        std::string s;
        if (read_string(item, item_path, s)) {
            out.push_back(std::move(s));
            if (lines) lines->push_back(line(item));
        }
    });
    return true;
}

void Decoder::unknown_field(uint32_t line, const FieldPath& path) {
    // The wording of the API server's strict field validation (kubectl's
    // default since 1.27), which rejects the object.
    error(line, FieldPath(), "unknown field " + quote(path.str()));
}

bool Decoder::is_merge_key(uint32_t key) const {
    const yaml::Node& k = node(key);
    return k.type == yaml::NodeType::Scalar && !k.quoted && doc_.text(k) == "<<";
}

std::vector<std::pair<uint32_t, uint32_t>> Decoder::merged_entries(uint32_t map, const FieldPath& path) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    auto already = [&](std::string_view key) {
        for (uint32_t k = node(map).first; k != kNone; k = node(node(k).next).next)
            if (!is_merge_key(k) && node(k).type == yaml::NodeType::Scalar && doc_.text(k) == key) return true;
        for (auto [mk, mv] : out)
            if (doc_.text(mk) == key) return true;
        return false;
    };
    auto take = [&](uint32_t source) {
        for (uint32_t k = node(source).first; k != kNone; k = node(node(k).next).next)
            if (node(k).type == yaml::NodeType::Scalar && !already(doc_.text(k))) out.emplace_back(k, node(k).next);
    };
    for (uint32_t k = node(map).first; k != kNone; k = node(node(k).next).next) {
        if (!is_merge_key(k)) continue;
        uint32_t v = node(k).next;
        const FieldPath merge_path = path.child("<<");
        if (node(v).type == yaml::NodeType::Mapping) {
            take(v);
        } else if (node(v).type == yaml::NodeType::Sequence) {
            for (uint32_t item = node(v).first; item != kNone; item = node(item).next) {
                if (node(item).type == yaml::NodeType::Mapping) take(item);
                else error(node(item).line, merge_path, invalid(render(item), "map merge requires map or sequence of maps as the value"));
            }
        } else {
            error(node(v).line, merge_path, invalid(render(v), "map merge requires map or sequence of maps as the value"));
        }
    }
    return out;
}

bool Decoder::check_key(uint32_t map, uint32_t key, const FieldPath& path) {
    const yaml::Node& k = node(key);
    if (k.type != yaml::NodeType::Scalar) {
        error(k.line, path, invalid(render(key), "mapping keys must be strings"));
        return false;
    }
    std::string_view text = doc_.text(k);
    // Earlier keys of the same mapping: manifests' mappings are small, so a
    // linear scan beats hashing.
    for (uint32_t other = node(map).first; other != key; other = node(node(other).next).next) {
        if (doc_.text(other) == text && node(other).type == yaml::NodeType::Scalar) {
            FieldPath child = path.child(text);
            error(k.line, child,
                  duplicate(quote(text)) + ": mapping key already defined at line " + std::to_string(node(other).line));
            return false;
        }
    }
    return true;
}

}  // namespace svcnat::manifest
