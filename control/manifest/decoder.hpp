// Typed, strict reading of one document's tree into Kubernetes fields, with
// every problem turned into a `file:line: field: message` Diagnostic. The
// object decoders (decode_*.cpp) are written against this class only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/model/diagnostic.hpp"
#include "field_path.hpp"
#include "scalar.hpp"
#include "yaml_tree.hpp"

namespace svcnat::manifest {

using yaml::kNone;

class Decoder {
public:
    Decoder(const yaml::Document& doc, const std::string& file, std::vector<Diagnostic>& out)
        : doc_(doc), file_(file), out_(out) {}

    const yaml::Document& doc() const { return doc_; }
    const yaml::Node& node(uint32_t n) const { return doc_.node(n); }
    uint32_t line(uint32_t n) const { return doc_.node(n).line; }
    const std::string& file() const { return file_; }

    void error(uint32_t line, const FieldPath& path, std::string message) {
        report(Severity::Error, line, path, std::move(message));
    }
    void warning(uint32_t line, const FieldPath& path, std::string message) {
        report(Severity::Warning, line, path, std::move(message));
    }
    void notice(uint32_t line, std::string message) { report(Severity::Notice, line, FieldPath(), std::move(message)); }
    void report(Severity severity, uint32_t line, const FieldPath& path, std::string message);
    // Errors reported through this decoder so far: an object is accepted only
    // if decoding it added none.
    size_t error_count() const { return errors_; }

    bool is_null(uint32_t n) const;

    // Scalar reads. A null value reads as absent (false, no message), as in
    // Kubernetes' JSON decoding; a value of the wrong type is reported.
    bool read_string(uint32_t n, const FieldPath& path, std::string& out);
    bool read_int(uint32_t n, const FieldPath& path, int64_t& out);
    bool read_bool(uint32_t n, const FieldPath& path, bool& out);

    // Collections: false for null (silently) and for other types (reported).
    bool expect_mapping(uint32_t n, const FieldPath& path);
    bool expect_sequence(uint32_t n, const FieldPath& path);

    // Calls f(key, value, path_of_key, key_line) for each entry of a mapping
    // (the caller has checked it is one). f returns false for a field it does
    // not know, which is reported as the API server's strict decoding does.
    // Duplicate and non-string keys are reported and skipped. YAML merge keys
    // (`<<: *defaults`, which Kubernetes' go-yaml honours) contribute the
    // entries the mapping does not set itself, after its own entries.
    template <class F>
    void for_each_field(uint32_t map, const FieldPath& path, F&& f) {
        const yaml::Node& m = node(map);
        uint32_t k = m.first;
        bool has_merge = false;
        for (uint32_t i = 0; i < m.count; ++i) {
            uint32_t v = node(k).next;
            if (is_merge_key(k)) {
                has_merge = true;
            } else if (check_key(map, k, path)) {
                visit_entry(k, v, path, f);
            }
            k = node(v).next;
        }
        if (!has_merge) return;
        for (auto [mk, mv] : merged_entries(map, path)) visit_entry(mk, mv, path, f);
    }

    // Calls f(index, item, path_of_item) for each item of a sequence.
    template <class F>
    void for_each_item(uint32_t seq, const FieldPath& path, F&& f) {
        size_t i = 0;
        for (uint32_t c = node(seq).first; c != kNone; c = node(c).next, ++i) {
            FieldPath item = path.index(i);
            f(i, c, item);
        }
    }

    // Sequence of strings (e.g. externalIPs); lines[i] is item i's line.
    bool read_string_list(uint32_t n, const FieldPath& path, std::vector<std::string>& out,
                          std::vector<uint32_t>* lines = nullptr);
    // map[string]string (labels, selector, annotations).
    template <class Map>
    bool read_string_map(uint32_t n, const FieldPath& path, Map& out) {
        if (!expect_mapping(n, path)) return false;
        for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath&, uint32_t) {
            FieldPath entry = path.key(key);
            std::string value;
            read_string(v, entry, value);
            out.emplace(std::string(key), std::move(value));
            return true;
        });
        return true;
    }

    void unknown_field(uint32_t line, const FieldPath& path);
    // How a value prints in "Invalid value: V": "text", 80, true, null.
    std::string render(uint32_t n) const;

private:
    template <class F>
    void visit_entry(uint32_t k, uint32_t v, const FieldPath& path, F& f) {
        std::string_view key = doc_.text(k);
        FieldPath child = path.child(key);
        if (!f(key, v, child, line(k))) unknown_field(line(k), child);
    }
    bool is_merge_key(uint32_t key) const;
    // (key, value) pairs that the mapping's `<<` entries add: from a mapping
    // or a list of mappings (earlier ones win), minus keys set explicitly.
    std::vector<std::pair<uint32_t, uint32_t>> merged_entries(uint32_t map, const FieldPath& path);
    bool check_key(uint32_t map, uint32_t key, const FieldPath& path);
    void type_error(uint32_t n, const FieldPath& path, std::string_view expected);

    const yaml::Document& doc_;
    const std::string& file_;
    std::vector<Diagnostic>& out_;
    size_t errors_ = 0;
};

}  // namespace svcnat::manifest
