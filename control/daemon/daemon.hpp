// `svcnat run`'s event loop: a single thread blocked in epoll on an inotify fd
// (manifests, config file), a signalfd (SIGTERM, SIGINT, SIGHUP), a timerfd
// (the scheduler's next deadline) and an eventfd (stop() from another thread).
// HTTP servers run in their own threads and only read DaemonStatus.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "control/config/settings.hpp"
#include "control/sync/syncer.hpp"
#include "daemon_status.hpp"
#include "manifest_paths.hpp"
#include "reconciler.hpp"

namespace svcnat {

// Re-reads the config file (and re-applies the command line). Throws
// std::exception with a message on a bad file.
using SettingsReloader = std::function<Settings()>;
// Makes the data path's syncer for some settings (kernel mode's in production).
// Called at start and after each config reload, since the syncer keeps the
// settings it was made with.
using SyncerFactory = std::function<std::unique_ptr<Syncer>(const Settings&)>;

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; threads created
// afterwards inherit the mask, so only the signalfd sees them. Call before
// any thread starts.
void block_daemon_signals();

class Daemon {
public:
    // Metrics go to `registry` (a fresh one when null), which /metrics serves.
    Daemon(Settings settings, SyncerFactory make_syncer, StateLoader loader, SettingsReloader reload_settings,
           std::shared_ptr<prometheus::Registry> registry = nullptr);
    ~Daemon();

    // Health check node ports (kube-proxy's, for externalTrafficPolicy
    // Local) are served unless turned off: `svcnat dns` programs no
    // traffic, so it must not answer for it. Call before run().
    void serve_health_check_node_ports(bool on) { health_check_node_ports_ = on; }

    // Work a data path needs done every `period` on the loop's thread, the
    // thread that also syncs (the gateway's neighbour requests and expiry
    // of held packets write the tables a reload writes). Call before run().
    void every(std::chrono::milliseconds period, std::function<void()> tick) {
        tick_period_ = period;
        tick_ = std::move(tick);
    }
    // The data path's own health for /healthz and /livez, and metrics it
    // collects itself (daemon_status.hpp). Call before run().
    void set_data_path_probe(DataPathProbe probe) { status_.set_data_path_probe(std::move(probe)); }
    void add_collectable(std::shared_ptr<prometheus::Collectable> c) { status_.add_collectable(std::move(c)); }

    // Runs until SIGTERM/SIGINT or stop(); returns the exit status.
    int run();
    void stop();  // thread-safe

    const DaemonStatus& status() const { return status_; }

private:
    struct Impl;
    bool start_serving();
    bool on_signals(const std::vector<int>& signals);
    void on_file_changes();
    void run_job(const SyncJob& job);
    int shut_down();
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
    bool health_check_node_ports_ = true;
    std::chrono::milliseconds tick_period_{0};
    std::function<void()> tick_;
};

}  // namespace svcnat
