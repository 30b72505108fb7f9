#include "file_watcher.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>

#include "control/manifest/manifest_files.hpp"

namespace svcnat {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::pair<std::string, std::string> split_parent(const std::string& path) {
    fs::path p = fs::path(path).lexically_normal();
    if (p.has_filename() == false) p = p.parent_path();  // "dir/" -> "dir"
    std::string parent = p.parent_path().string();
    if (parent.empty()) parent = ".";
    return {parent, p.filename().string()};
}

}  // namespace

bool is_watched_name(std::string_view name) { return name == "..data" || is_manifest_file_name(name); }

std::vector<WatchTarget> watch_targets(const std::vector<std::string>& manifests, const std::string& config_file) {
    std::vector<WatchTarget> out;
    auto add = [&](WatchTarget t) {
        for (const auto& o : out)
            if (o == t) return;
        out.push_back(std::move(t));
    };
    for (const auto& m : manifests) {
        auto [parent, name] = split_parent(m);
        std::error_code ec;
        if (fs::is_directory(m, ec)) add({fs::path(m).lexically_normal().string(), "", WatchKind::Manifests});
        // Through the parent too: a replaced file, or the directory itself
        // being removed, renamed away or (re)created.
        add({parent, name, WatchKind::Manifests});
    }
    if (!config_file.empty()) {
        auto [parent, name] = split_parent(config_file);
        add({parent, name, WatchKind::Config});
    }
    return out;
}

bool event_matters(const WatchTarget& target, uint32_t mask, std::string_view name, bool is_dir_or_link) {
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) return target.only_name.empty();
    const bool name_ok = target.only_name.empty() ? is_watched_name(name) : name == target.only_name;
    if (!name_ok) return false;
    // A regular file being created is still empty or half-written; its
    // IN_CLOSE_WRITE follows. Directories and symlinks are complete at once.
    if ((mask & IN_CREATE) && !(mask & IN_ISDIR) && !is_dir_or_link) return false;
    return (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)) != 0;
}

FileWatcher::FileWatcher() {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
}

FileWatcher::~FileWatcher() {
    if (fd_ >= 0) close(fd_);
}

std::vector<std::string> FileWatcher::set_targets(const std::vector<WatchTarget>& targets) {
    std::vector<std::string> missing;
    std::map<int, Watched> next;
    for (const auto& t : targets) {
        // Adding a watch on an inode already watched returns the same wd.
        int wd = inotify_add_watch(fd_, t.dir.c_str(), kDirMask);
        if (wd < 0) {
            missing.push_back(t.dir);
            continue;
        }
        auto& w = next[wd];
        w.dir = t.dir;
        w.targets.push_back(t);
    }
    for (const auto& [wd, w] : by_wd_)
        if (!next.count(wd)) inotify_rm_watch(fd_, wd);
    by_wd_ = std::move(next);
    return missing;
}

WatchChanges FileWatcher::drain() {
    WatchChanges ch;
    alignas(struct inotify_event) char buf[16384];
    for (int rounds = 0; rounds < 1024; ++rounds) {  // bounded: the queue is finite anyway
        ssize_t n = read(fd_, buf, sizeof buf);
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<struct inotify_event*>(p);
            p += sizeof(struct inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                ch.manifests = ch.config = ch.rewatch = true;
                continue;
            }
            auto it = by_wd_.find(ev->wd);
            if (it == by_wd_.end()) continue;
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) ch.rewatch = true;
            std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
            bool dir_or_link = false;
            if ((ev->mask & IN_CREATE) && !name.empty()) {
                struct stat st {};
                std::string full = it->second.dir + "/" + std::string(name);
                dir_or_link = lstat(full.c_str(), &st) == 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode));
            }
            for (const auto& t : it->second.targets) {
                if (!event_matters(t, ev->mask, name, dir_or_link)) continue;
                (t.kind == WatchKind::Config ? ch.config : ch.manifests) = true;
                // A watched name that is (or was) a directory: watch it anew.
                if (!t.only_name.empty() && (ev->mask & IN_ISDIR)) ch.rewatch = true;
                if (!t.only_name.empty() && (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)))
                    ch.rewatch = true;
            }
        }
    }
    return ch;
}

}  // namespace svcnat
