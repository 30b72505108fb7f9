// What the gateway's control loop reacts to besides time: SIGHUP (reload)
// and SIGTERM/SIGINT (stop) through a signalfd, and changes under the
// manifest paths through the same FileWatcher as the daemon (ConfigMap
// "..data" swaps, rename-replace, half-written files), debounced so that a
// burst of writes is one reload.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "control/os/signals.hpp"
#include "control/watch/file_watcher.hpp"

namespace svcnat::dpdk {

// The signals ControlEvents reads: block them before any thread starts
// (before rte_eal_init), or they may reach an lcore thread instead.
sigset_t control_signals();

class ControlEvents {
public:
    // `watch_files` false: SIGHUP only. An inotify failure is not fatal
    // (SIGHUP still works); `watch_error()` then says why.
    ControlEvents(const std::vector<std::string>& manifests, bool watch_files);

    struct Due {
        bool reload = false;
        bool stop = false;
    };
    // Non-blocking. A reload is due on SIGHUP at once, or once `debounce`
    // has passed since the last relevant file event.
    Due poll(std::chrono::milliseconds debounce = std::chrono::milliseconds(200));

    const std::string& watch_error() const { return watch_error_; }

private:
    SignalFd signals_;
    std::optional<FileWatcher> watcher_;
    std::vector<std::string> manifests_;
    std::string watch_error_;
    bool pending_ = false;
    std::chrono::steady_clock::time_point last_event_{};
};

}  // namespace svcnat::dpdk
