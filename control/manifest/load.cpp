// load_text / load_paths: files -> documents -> objects by kind, then the
// cross-object checks. Objects with errors are left out of the result, as
// the API server would have refused them; every problem is in diagnostics.
// The jobs live apart: reading files (file_reader), decoding one file by
// kind (decode_file), big files on several cores (big_file), joining and
// cross-checking (merge). Here: the order of work and the daemon's cache.
#include "load.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>

#include "big_file.hpp"
#include "control/os/parallel.hpp"
#include "decode_file.hpp"
#include "file_reader.hpp"
#include "merge.hpp"

namespace svcnat {

namespace {

using manifest::FileStamp;
using manifest::Merger;
using manifest::ParsedFile;

// Reads and decodes one file; an unreadable one gives its "cannot read".
// `pieces` > 1: cores this file may use (see decode_in_pieces).
std::shared_ptr<ParsedFile> parse_file(const std::string& path, const Settings& settings, FileStamp& stamp,
                                       size_t pieces = 1) {
    auto parsed = std::make_shared<ParsedFile>();
    std::string text, error;
    if (!manifest::read_file(path, text, stamp, error, settings.max_manifest_bytes)) {
        parsed->readable = false;
        parsed->diagnostics.push_back(manifest::file_error(path, "cannot read: " + error));
        return parsed;
    }
    if (!manifest::decode_in_pieces(text, path, settings, pieces, *parsed)) {
        *parsed = ParsedFile{};
        manifest::decode_text(text, path, settings, *parsed);
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
    // Decoding depends on the node port range: another invalidates everything.
    PortRange node_port_range;
    std::optional<Settings> valid_with;  // see unchanged()
};

ManifestCache::ManifestCache() : impl_(std::make_unique<Impl>()) {}
ManifestCache::~ManifestCache() = default;
void ManifestCache::clear() {
    impl_->files.clear();
    impl_->valid_with.reset();
}
void ManifestCache::remember_valid(const Settings& settings) { impl_->valid_with = settings; }
void ManifestCache::forget_valid() { impl_->valid_with.reset(); }

bool ManifestCache::unchanged(const Settings& settings) const {
    const Impl& c = *impl_;
    if (!c.valid_with || !(*c.valid_with == settings)) return false;
    const std::vector<manifest::PathEntry> plan = manifest::expand_paths(settings.manifests);
    if (plan.size() != c.files.size()) return false;  // a file appeared or went, or one was unreadable
    for (const auto& entry : plan) {
        if (entry.error) return false;
        auto it = c.files.find(entry.file);
        struct stat st {};
        if (it == c.files.end() || ::stat(entry.file.c_str(), &st) != 0 || !(manifest::stamp_of(st) == it->second.stamp))
            return false;
    }
    return true;
}

LoadResult load_text(std::string_view text, const std::string& file_name, const Settings& settings) {
    ParsedFile parsed;
    manifest::decode_text(text, file_name, settings, parsed);
    Merger merger(settings.service_cidrs);
    merger.add(file_name, parsed, true);
    return merger.finish();
}

namespace {

// One entry of the reading plan: a file to read (or taken from the cache),
// or a problem with a path, where it occurs in the order.
struct Item {
    std::string file;
    std::optional<Diagnostic> error;
    std::shared_ptr<ParsedFile> parsed;
    FileStamp stamp;
};

std::vector<Item> reading_plan(const std::vector<std::string>& paths) {
    std::vector<Item> items;
    for (auto& entry : manifest::expand_paths(paths)) items.push_back({std::move(entry.file), std::move(entry.error), nullptr, {}});
    return items;
}

// Decoding depends on the node port range (node ports must lie in it): a
// change to it invalidates every cached file. (The service ranges are
// checked after decoding, with every ServiceCIDR known.)
void drop_cache_if_settings_changed(ManifestCache::Impl& c, const Settings& settings) {
    if (c.node_port_range.first == settings.node_port_range.first &&
        c.node_port_range.last == settings.node_port_range.last)
        return;
    c.files.clear();
    c.node_port_range = settings.node_port_range;
}

// Files whose stamp is unchanged are taken from the cache. A cheap stat
// first; the stamp taken while reading is what is stored.
void take_unchanged_from_cache(ManifestCache::Impl& c, std::vector<Item>& items) {
    for (auto& item : items) {
        if (item.error) continue;
        auto it = c.files.find(item.file);
        struct stat st {};
        if (it != c.files.end() && ::stat(item.file.c_str(), &st) == 0 && manifest::stamp_of(st) == it->second.stamp) {
            item.parsed = it->second.parsed;
            item.stamp = it->second.stamp;
        }
    }
}

// Decoding files is independent work: spread it over the cores. Results
// land in their own slots, so objects, diagnostics and "first wins" are the
// same as reading one file after the other. Returns how many were decoded.
size_t decode_the_rest(std::vector<Item>& items, const Settings& settings) {
    std::vector<Item*> todo;
    for (auto& item : items)
        if (!item.error && !item.parsed) todo.push_back(&item);
    // Fewer files than cores: the big ones are split among the idle cores.
    const size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const size_t pieces = todo.empty() ? 1 : std::max<size_t>(1, cores / todo.size());
    run_parallel(todo.size(),
                 [&](size_t i) { todo[i]->parsed = parse_file(todo[i]->file, settings, todo[i]->stamp, pieces); });
    return todo.size();
}

// Keep what was read this time, and only that: files that are gone (or no
// longer listed) drop their objects; unreadable ones are retried next time.
void remember_in_cache(ManifestCache::Impl& c, std::vector<Item>& items) {
    std::unordered_map<std::string, ManifestCache::Impl::Entry> kept;
    for (auto& item : items)
        if (!item.error && item.parsed->readable) kept[item.file] = {item.stamp, std::move(item.parsed)};
    c.files = std::move(kept);
}

}  // namespace

LoadResult load_paths(const std::vector<std::string>& paths, const Settings& settings, ManifestCache* cache) {
    std::vector<Item> items = reading_plan(paths);
    if (cache) {
        drop_cache_if_settings_changed(*cache->impl_, settings);
        take_unchanged_from_cache(*cache->impl_, items);
    }
    const size_t decoded = decode_the_rest(items, settings);
    Merger merger(settings.service_cidrs);
    for (auto& item : items) {
        if (item.error) merger.add_error(std::move(*item.error));
        else merger.add(item.file, *item.parsed, /*owned=*/!cache);
    }
    if (cache) remember_in_cache(*cache->impl_, items);
    LoadResult result = merger.finish();
    result.files_decoded = decoded;
    return result;
}

}  // namespace svcnat
