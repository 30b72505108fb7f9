// When to rebuild the service snapshot: SIGHUP, or (optionally) a change
// under a manifest path seen by inotify. Files are watched through their
// directory because editors and `kubectl`-style tools replace files by
// rename, which a watch on the file itself would miss.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace svcnat::gw {

class ReloadWatch {
public:
    // inotify is optional: on failure the watch logs and SIGHUP still works.
    ReloadWatch(const std::vector<std::string>& paths, bool use_inotify);
    ~ReloadWatch();
    ReloadWatch(const ReloadWatch&) = delete;
    ReloadWatch& operator=(const ReloadWatch&) = delete;

    // Non-blocking. True when a reload is due: SIGHUP arrived, or inotify
    // reported changes and `debounce` has passed since the last one (so a
    // burst of writes causes one reload).
    bool due(std::chrono::milliseconds debounce = std::chrono::milliseconds(200));

    // Installs SIGHUP/SIGINT/SIGTERM handlers (process-wide, once).
    static void install_signal_handlers();
    static bool stop_requested();

private:
    int fd_ = -1;
    // Per watch descriptor: the file names that matter in that directory
    // (empty = every visible file, for directories given as manifest paths).
    std::map<int, std::set<std::string>> filters_;
    bool pending_ = false;
    std::chrono::steady_clock::time_point last_event_{};
};

}  // namespace svcnat::gw
