// `svcnat run`'s event loop: a single thread blocked in epoll on an inotify fd
// (manifests, config file), a signalfd (SIGTERM, SIGINT, SIGHUP), a timerfd
// (the scheduler's next deadline) and an eventfd (stop() from another thread).
// HTTP servers run in their own threads and only read DaemonStatus.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "../../nft/syncer.hpp"
#include "../config/settings.hpp"
#include "daemon_status.hpp"
#include "manifest_paths.hpp"
#include "reconciler.hpp"

namespace svcnat {

// Re-reads the config file (and re-applies the command line). Throws
// std::exception with a message on a bad file.
using SettingsReloader = std::function<Settings()>;
// Makes the kernel syncer for some settings (make_nft_syncer in production).
// Called at start and after each config reload, since the syncer keeps the
// settings it was made with.
using SyncerFactory = std::function<std::unique_ptr<Syncer>(const Settings&)>;

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; threads created
// afterwards inherit the mask, so only the signalfd sees them. Call before
// any thread starts.
void block_daemon_signals();

class Daemon {
public:
    Daemon(Settings settings, SyncerFactory make_syncer, StateLoader loader, SettingsReloader reload_settings);
    ~Daemon();

    // Runs until SIGTERM/SIGINT or stop(); returns the exit status.
    int run();
    void stop();  // thread-safe

    const DaemonStatus& status() const { return status_; }
    // Ports the status servers bound (after start-up; for tests binding port 0).
    std::vector<uint16_t> status_ports() const;
    std::vector<uint16_t> health_check_ports() const;
    // Number of completed sync attempts (for tests waiting on the loop).
    uint64_t sync_attempts() const { return attempts_; }

private:
    struct Impl;
    void run_job(const SyncJob& job);
    StateResult load(const Settings& settings);

    Settings settings_;
    SyncerFactory make_syncer_;
    std::unique_ptr<Syncer> syncer_;
    StateLoader loader_;
    SettingsReloader reload_settings_;
    ManifestPaths manifest_paths_;
    std::vector<std::string> removed_paths_;  // last reported, to say it once
    DaemonStatus status_;
    Reconciler reconciler_;
    std::unique_ptr<Impl> impl_;
    int stop_fd_ = -1;
    std::atomic<uint64_t> attempts_{0};
};

}  // namespace svcnat
