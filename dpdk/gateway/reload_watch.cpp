#include "reload_watch.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>

namespace svcnat::gw {

namespace {

std::atomic<bool> g_hup{false};
std::atomic<bool> g_stop{false};

void on_signal(int sig) {
    if (sig == SIGHUP)
        g_hup.store(true);
    else
        g_stop.store(true);
}

}  // namespace

void ReloadWatch::install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool ReloadWatch::stop_requested() { return g_stop.load(); }

ReloadWatch::ReloadWatch(const std::vector<std::string>& paths, bool use_inotify) {
    if (!use_inotify) return;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return;
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE;
    std::map<int, bool> whole_dir;
    for (const std::string& p : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            const int wd = inotify_add_watch(fd_, p.c_str(), mask);
            if (wd >= 0) whole_dir[wd] = true;
        } else {
            std::filesystem::path fp(p);
            const std::string dir = fp.has_parent_path() ? fp.parent_path().string() : ".";
            const int wd = inotify_add_watch(fd_, dir.c_str(), mask);
            if (wd >= 0) filters_[wd].insert(fp.filename().string());
        }
    }
    // A directory that is also the parent of a listed file: every file counts.
    for (const auto& [wd, all] : whole_dir)
        if (all) filters_[wd].clear();
}

ReloadWatch::~ReloadWatch() {
    if (fd_ >= 0) close(fd_);
}

bool ReloadWatch::due(std::chrono::milliseconds debounce) {
    if (g_hup.exchange(false)) {
        pending_ = false;
        return true;
    }
    if (fd_ < 0) return false;
    alignas(inotify_event) char buf[4096];
    for (int round = 0; round < 16; ++round) {  // bounded: never starve the control loop
        const ssize_t n = read(fd_, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
            auto* ev = reinterpret_cast<inotify_event*>(buf + off);
            const std::string name = ev->len ? ev->name : "";
            bool relevant = !name.empty() && name[0] != '.';  // editors' hidden temp files
            auto it = filters_.find(ev->wd);
            if (relevant && it != filters_.end() && !it->second.empty()) relevant = it->second.count(name) > 0;
            if (relevant) {
                pending_ = true;
                last_event_ = std::chrono::steady_clock::now();
            }
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
    }
    if (pending_ && std::chrono::steady_clock::now() - last_event_ >= debounce) {
        pending_ = false;
        return true;
    }
    return false;
}

}  // namespace svcnat::gw
