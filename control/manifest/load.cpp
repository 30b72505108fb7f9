// load_text / load_paths: files → documents → objects by kind, then the
// cross-object checks. Objects with errors are left out of the result, as
// the API server would have refused them; every problem is in diagnostics.
#include "load.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "control/os/parallel.hpp"
#include "api_validation.hpp"
#include "manifest_files.hpp"
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

// One file's contribution before the cross-object checks. Files are decoded
// independently of each other (on worker threads, or taken from the daemon's
// cache); everything that relates objects across files happens in finish().
struct ParsedFile {
    bool readable = true;  // false: diagnostics holds "cannot read" only
    std::vector<manifest::StagedService> services;
    Manifests staged;
    std::vector<Diagnostic> diagnostics;
};

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
            if (accepted()) result_.services.push_back(std::move(s));
        } else if (kind == "EndpointSlice") {
            EndpointSlice slice;
            slice.meta.loc.file = d.file();
            bool used = manifest::decode_endpoint_slice(d, obj, slice);
            if (accepted() && used) result_.staged.endpointSlices.push_back(std::move(slice));
        } else if (kind == "Endpoints") {
            Endpoints e;
            e.meta.loc.file = d.file();
            manifest::decode_endpoints(d, obj, e);
            if (accepted()) result_.staged.endpoints.push_back(std::move(e));
        } else if (kind == "Pod") {
            Pod p;
            p.meta.loc.file = d.file();
            manifest::decode_pod(d, obj, p);
            if (accepted()) result_.staged.pods.push_back(std::move(p));
        } else {
            Node n;
            n.meta.loc.file = d.file();
            manifest::decode_node(d, obj, n);
            if (accepted()) result_.staged.nodes.push_back(std::move(n));
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

    const Settings& settings_;
    ParsedFile& result_;
};

// Reading order: files as loaded, then lines, so that each object's
// problems (including the cross-object ones found last) read top-down.
void sort_diagnostics(LoadResult& result) {
    std::unordered_map<std::string_view, size_t> ranks;
    for (size_t i = 0; i < result.files.size(); ++i) ranks.emplace(result.files[i], i);
    auto file_rank = [&](const std::string& f) {
        auto it = ranks.find(f);
        return it == ranks.end() ? result.files.size() : it->second;
    };
    std::vector<std::pair<size_t, Diagnostic*>> keyed;
    keyed.reserve(result.diagnostics.size());
    for (auto& d : result.diagnostics) keyed.emplace_back(file_rank(d.file), &d);
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return a.second->line < b.second->line;
    });
    std::vector<Diagnostic> sorted;
    sorted.reserve(keyed.size());
    for (auto& [rank, d] : keyed) sorted.push_back(std::move(*d));
    result.diagnostics = std::move(sorted);
}

// Concatenates the files' objects in reading order (so "the first object
// wins" keeps meaning first in file order), then runs the cross-object checks.
// Files owned by this load are moved from; cached ones are copied.
class Merger {
public:
    void add(const std::string& file, ParsedFile& f, bool owned) {
        if (f.readable) result.files.push_back(file);
        take(result.diagnostics, f.diagnostics, owned);
        take(services_, f.services, owned);
        take(staged_.endpointSlices, f.staged.endpointSlices, owned);
        take(staged_.endpoints, f.staged.endpoints, owned);
        take(staged_.pods, f.staged.pods, owned);
        take(staged_.nodes, f.staged.nodes, owned);
    }
    void add_error(Diagnostic d) { result.diagnostics.push_back(std::move(d)); }
    LoadResult finish() {
        manifest::cross_check(services_, staged_, result.manifests, result.diagnostics);
        sort_diagnostics(result);
        return std::move(result);
    }

private:
    template <class T>
    static void take(std::vector<T>& to, std::vector<T>& from, bool owned) {
        if (owned && to.empty()) to = std::move(from);
        else if (owned) to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
        else to.insert(to.end(), from.begin(), from.end());
    }
    LoadResult result;
    std::vector<manifest::StagedService> services_;
    Manifests staged_;
};

Diagnostic file_error(const std::string& path, const std::string& what) {
    Diagnostic d;
    d.file = path;
    d.message = what;
    return d;
}

// What identifies one version of a file for the cache: a file replaced by
// rename (editors, kubectl-style atomic writes, ConfigMap symlink swaps) has
// a new inode; one rewritten in place a new mtime/ctime or size.
struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{}, ctime{};
    bool operator==(const FileStamp& o) const {
        return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
               mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

FileStamp stamp_of(const struct stat& st) {
    return FileStamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

// Reads the whole file through one descriptor, so that the stamp describes
// exactly the bytes read.
bool read_file(const std::string& path, std::string& out, FileStamp& stamp, std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
        ::close(fd);
        return false;
    }
    stamp = stamp_of(st);
    out.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0);
    size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(out.size() + 65536);  // grew since fstat (or /proc-like)
        ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(got);
    return true;
}

// A file at least this big, when there are cores to spare, is decoded in
// pieces in parallel (one big manifest file is a common layout).
constexpr size_t kSplitBytes = size_t{1} << 20;

// Where to cut `text` into about `pieces` pieces: before document markers
// (`---` at the start of a line, then a blank or the end), which end any
// scalar or collection in YAML, so that each piece decodes exactly as it
// does in place. Not with directives (`%YAML`, `%TAG`), which belong to the
// document after them. Returns the starts of the pieces after the first.
std::vector<size_t> split_points(std::string_view text, size_t pieces) {
    std::vector<size_t> cuts;
    if (pieces < 2 || text.size() < kSplitBytes || text.starts_with('%') ||
        text.find("\n%") != std::string_view::npos)
        return cuts;
    auto is_marker = [&](size_t at) {
        if (text.compare(at, 3, "---") != 0) return false;
        return at + 3 == text.size() || text[at + 3] == ' ' || text[at + 3] == '\t' || text[at + 3] == '\n' ||
               text[at + 3] == '\r';
    };
    for (size_t i = 1; i < pieces; ++i) {
        const size_t target = text.size() / pieces * i;
        size_t at = cuts.empty() ? 0 : cuts.back() + 1;
        at = std::max(at, target);
        while ((at = text.find("\n---", at)) != std::string_view::npos && !is_marker(at + 1)) ++at;
        if (at == std::string_view::npos) break;
        cuts.push_back(at + 1);
    }
    return cuts;
}

void append_parsed(ParsedFile& to, ParsedFile&& from) {
    auto move_all = [](auto& dst, auto& src) { std::move(src.begin(), src.end(), std::back_inserter(dst)); };
    move_all(to.services, from.services);
    move_all(to.staged.services, from.staged.services);
    move_all(to.staged.endpointSlices, from.staged.endpointSlices);
    move_all(to.staged.endpoints, from.staged.endpoints);
    move_all(to.staged.pods, from.staged.pods);
    move_all(to.staged.nodes, from.staged.nodes);
    move_all(to.diagnostics, from.diagnostics);
}

// Decodes `text` in the pieces split_points() finds, in parallel, joined in
// file order. False when a piece is not valid YAML: the caller decodes the
// whole text instead, so that the error reads as it would (libyaml stops at
// the first one).
bool decode_in_pieces(std::string_view text, const std::string& path, const Settings& settings, size_t pieces,
                      ParsedFile& out) {
    const auto cuts = split_points(text, pieces);
    if (cuts.empty()) return false;
    std::vector<size_t> starts{0};
    starts.insert(starts.end(), cuts.begin(), cuts.end());
    std::vector<ParsedFile> parts(starts.size());
    std::vector<char> valid(starts.size(), 0);
    run_parallel(starts.size(), [&](size_t i) {
        const size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
        const std::string_view piece = text.substr(starts[i], end - starts[i]);
        const auto first_line =
            static_cast<uint32_t>(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(starts[i]), '\n'));
        valid[i] = FileDecoder(settings, parts[i]).load_text(piece, path, first_line);
    });
    if (std::find(valid.begin(), valid.end(), 0) != valid.end()) return false;
    for (auto& part : parts) append_parsed(out, std::move(part));
    return true;
}

// Reads and decodes one file; an unreadable one gives its "cannot read".
// `pieces` > 1: cores this file may use (see decode_in_pieces).
std::shared_ptr<ParsedFile> parse_file(const std::string& path, const Settings& settings, FileStamp& stamp,
                                       size_t pieces = 1) {
    auto parsed = std::make_shared<ParsedFile>();
    std::string text, error;
    if (!read_file(path, text, stamp, error)) {
        parsed->readable = false;
        parsed->diagnostics.push_back(file_error(path, "cannot read: " + error));
        return parsed;
    }
    if (!decode_in_pieces(text, path, settings, pieces, *parsed)) {
        *parsed = ParsedFile{};
        FileDecoder(settings, *parsed).load_text(text, path);
    }
    return parsed;
}

}  // namespace

struct ManifestCache::Impl {
    struct Entry {
        FileStamp stamp;
        std::shared_ptr<ParsedFile> parsed;
    };
    std::unordered_map<std::string, Entry> files;
    // Decoding depends on these settings (ClusterIPs must lie in a service
    // CIDR, node ports in the range): other values invalidate everything.
    std::vector<CIDR> service_cidrs;
    PortRange node_port_range;
    size_t parsed = 0;
};

ManifestCache::ManifestCache() : impl_(std::make_unique<Impl>()) {}
ManifestCache::~ManifestCache() = default;
size_t ManifestCache::files_parsed() const { return impl_->parsed; }
size_t ManifestCache::files_cached() const { return impl_->files.size(); }
void ManifestCache::clear() { impl_->files.clear(); }

LoadResult load_text(std::string_view text, const std::string& file_name, const Settings& settings) {
    ParsedFile parsed;
    FileDecoder(settings, parsed).load_text(text, file_name);
    Merger merger;
    merger.add(file_name, parsed, true);
    return merger.finish();
}

LoadResult load_paths(const std::vector<std::string>& paths, const Settings& settings, ManifestCache* cache) {
    namespace fs = std::filesystem;
    // The reading plan, in order: files to read, and problems with the paths
    // themselves (reported where they occur in the order).
    struct Item {
        std::string file;
        std::optional<Diagnostic> error;
        std::shared_ptr<ParsedFile> parsed;
        FileStamp stamp;
        bool from_cache = false;
    };
    std::vector<Item> items;
    auto add_file = [&](std::string f) { items.push_back(Item{std::move(f), std::nullopt, nullptr, {}, false}); };
    auto add_error = [&](Diagnostic d) { items.push_back(Item{d.file, std::move(d), nullptr, {}, false}); };
    for (const std::string& path : paths) {
        std::error_code ec;
        auto status = fs::status(path, ec);
        if (ec) {
            add_error(file_error(path, "cannot read: " + ec.message()));
            continue;
        }
        if (!fs::is_directory(status)) {
            add_file(path);
            continue;
        }
        // Like `kubectl apply -f DIR`: the directory's own manifest files,
        // not its subdirectories; hidden entries (editor swap files,
        // Kubernetes' ..data ConfigMap links) are skipped.
        std::vector<fs::path> files;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (!is_manifest_file_name(p.filename().string())) continue;
            std::error_code fec;
            if (fs::is_regular_file(it->status(fec))) files.push_back(p);
        }
        if (ec) {
            add_error(file_error(path, "cannot read directory: " + ec.message()));
            continue;
        }
        std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
        for (auto& f : files) add_file(f.string());
    }

    if (cache) {
        ManifestCache::Impl& c = *cache->impl_;
        if (c.service_cidrs != settings.service_cidrs || c.node_port_range.first != settings.node_port_range.first ||
            c.node_port_range.last != settings.node_port_range.last) {
            c.files.clear();
            c.service_cidrs = settings.service_cidrs;
            c.node_port_range = settings.node_port_range;
        }
        // A cheap stat first; the stamp taken while reading is what is stored.
        for (auto& item : items) {
            if (item.error) continue;
            auto it = c.files.find(item.file);
            struct stat st {};
            if (it != c.files.end() && ::stat(item.file.c_str(), &st) == 0 && stamp_of(st) == it->second.stamp) {
                item.parsed = it->second.parsed;
                item.stamp = it->second.stamp;
                item.from_cache = true;
            }
        }
    }
    // Decoding files is independent work: spread it over the cores. Results
    // land in their own slots, so objects, diagnostics and "first wins" are
    // the same as reading one file after the other.
    std::vector<Item*> todo;
    for (auto& item : items)
        if (!item.error && !item.parsed) todo.push_back(&item);
    // Fewer files than cores: the big ones are split among the idle cores.
    const size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const size_t pieces = todo.empty() ? 1 : std::max<size_t>(1, cores / todo.size());
    run_parallel(todo.size(),
                 [&](size_t i) { todo[i]->parsed = parse_file(todo[i]->file, settings, todo[i]->stamp, pieces); });

    Merger merger;
    for (auto& item : items) {
        if (item.error) {
            merger.add_error(std::move(*item.error));
            continue;
        }
        merger.add(item.file, *item.parsed, /*owned=*/!cache);
    }
    if (cache) {
        ManifestCache::Impl& c = *cache->impl_;
        c.parsed += todo.size();
        // Keep what was read this time, and only that: files that are gone
        // (or no longer listed) drop their objects; unreadable ones are
        // retried next time.
        std::unordered_map<std::string, ManifestCache::Impl::Entry> kept;
        for (auto& item : items)
            if (!item.error && item.parsed->readable) kept[item.file] = {item.stamp, std::move(item.parsed)};
        c.files = std::move(kept);
    }
    return merger.finish();
}

}  // namespace svcnat
