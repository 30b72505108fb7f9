// Watches the manifest paths and the config file with inotify. Every target is
// watched through its parent directory, by name, so editors that write a new
// file and rename it over the old one (vim, sed -i, kubectl's atomic writer,
// ConfigMap volume "..data" swaps) keep being seen; manifest directories are
// also watched themselves, so new files in them are picked up. Regular files
// count when closed after writing or moved in, not when created (half-written).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace svcnat {

enum class WatchKind : uint8_t { Manifests, Config };

// One directory to watch and which names in it matter.
struct WatchTarget {
    std::string dir;
    std::string only_name;  // "" = any watched name (is_watched_name)
    WatchKind kind = WatchKind::Manifests;
    bool operator==(const WatchTarget&) const = default;
};

// Directories among `manifests` are told apart by stat(); a path that does
// not exist (yet) is treated as a file.
std::vector<WatchTarget> watch_targets(const std::vector<std::string>& manifests, const std::string& config_file);

// Names the manifest loader reads from a directory, plus the atomic writer's
// "..data" link that Kubernetes ConfigMap volumes swap on update.
bool is_watched_name(std::string_view name);

struct WatchChanges {
    bool manifests = false;
    bool config = false;
    bool rewatch = false;  // a watched directory went away or appeared
    bool any() const { return manifests || config || rewatch; }
};

// Whether one inotify event (mask, name) on a target's directory matters.
// `is_dir_or_link`: the named entry is a directory or symlink (for IN_CREATE).
bool event_matters(const WatchTarget& target, uint32_t mask, std::string_view name, bool is_dir_or_link);

class FileWatcher {
public:
    FileWatcher();  // throws std::system_error
    ~FileWatcher();
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    int fd() const { return fd_; }
    // Adds/removes inotify watches to match `targets`. Directories that do not
    // exist are skipped (and reported through the returned list).
    std::vector<std::string> set_targets(const std::vector<WatchTarget>& targets);
    // Reads every queued event (non-blocking).
    WatchChanges drain();

private:
    struct Watched {
        std::string dir;
        std::vector<WatchTarget> targets;
    };
    int fd_ = -1;
    std::map<int, Watched> by_wd_;
};

}  // namespace svcnat
