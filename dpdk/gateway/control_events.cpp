#include "control_events.hpp"

#include <csignal>
#include <exception>

namespace svcnat::dpdk {

sigset_t control_signals() { return signal_set({SIGHUP, SIGINT, SIGTERM}); }

ControlEvents::ControlEvents(const std::vector<std::string>& manifests, bool watch_files)
    : signals_(control_signals()), manifests_(manifests) {
    if (!watch_files) return;
    try {
        watcher_.emplace();
        for (const auto& dir : watcher_->set_targets(watch_targets(manifests_, "")))
            watch_error_ += (watch_error_.empty() ? "cannot watch " : ", ") + dir;
    } catch (const std::exception& e) {
        watcher_.reset();
        watch_error_ = e.what();
    }
}

ControlEvents::Due ControlEvents::poll(std::chrono::milliseconds debounce) {
    Due due;
    for (int signo : signals_.take()) {
        if (signo == SIGHUP) due.reload = true;
        else due.stop = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (watcher_) {
        const WatchChanges ch = watcher_->drain();
        if (ch.rewatch) watcher_->set_targets(watch_targets(manifests_, ""));
        if (ch.manifests || ch.rewatch) {
            pending_ = true;
            last_event_ = now;
        }
    }
    if (due.reload || (pending_ && now - last_event_ >= debounce)) {
        pending_ = false;
        due.reload = true;
    }
    return due;
}

}  // namespace svcnat::dpdk
