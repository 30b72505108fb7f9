#include "daemon.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "control/os/signals.hpp"
#include "control/watch/file_watcher.hpp"
#include "health_check_servers.hpp"
#include "logging.hpp"
#include "status_servers.hpp"
#include "sync_scheduler.hpp"
#include "systemd_notify.hpp"

namespace svcnat {

namespace {

using Mono = std::chrono::steady_clock;

std::chrono::nanoseconds seconds_to_ns(double s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s < 0 ? 0 : s));
}

SyncScheduler::Periods periods_of(const Settings& s) {
    SyncScheduler::Periods p;
    p.min_sync = seconds_to_ns(s.min_sync_period_s);
    p.sync = seconds_to_ns(s.sync_period_s > 0 ? s.sync_period_s : 30);
    return p;
}

std::chrono::nanoseconds health_timeout_of(const Settings& s) { return 2 * periods_of(s).sync; }

sigset_t daemon_signals() { return signal_set({SIGTERM, SIGINT, SIGHUP}); }

// A file descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int f, const char* what) : fd(f) {
        if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
    }
    ~Fd() {
        if (fd >= 0) close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

void arm_timer(int tfd, Mono::time_point due) {
    // steady_clock is CLOCK_MONOTONIC on Linux, so its epoch matches the timerfd's.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // an all-zero value would disarm the timer
    itimerspec its{};
    its.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
}

void drain_fd(int fd) {
    uint64_t buf[8];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

// Settings that only a restart can change (they name what this process owns).
void warn_immutable(const Settings& old_s, const Settings& new_s) {
    auto warn = [](const char* flag, const std::string& a, const std::string& b) {
        if (a != b) spdlog::warn("{} changed from '{}' to '{}': takes effect after a restart", flag, a, b);
    };
    warn("--table", old_s.table, new_s.table);
    warn("--healthz-bind-address", old_s.healthz_bind_address, new_s.healthz_bind_address);
    warn("--metrics-bind-address", old_s.metrics_bind_address, new_s.metrics_bind_address);
}

}  // namespace

void block_daemon_signals() { block_signals(daemon_signals()); }

struct Daemon::Impl {
    explicit Impl(DaemonStatus& status)
        : status_servers(status), hc_servers("0.0.0.0", [&status] {
              return status.healthy(std::chrono::system_clock::now());
          }) {}
    StatusServers status_servers;
    HealthCheckServers hc_servers;
    FileWatcher watcher;
    std::optional<SyncScheduler> scheduler;
    bool config_broken = false;  // last config-file reload failed: retry on each job
    bool notified_ready = false;
};

Daemon::Daemon(Settings settings, SyncerFactory make_syncer, StateLoader loader, SettingsReloader reload_settings,
               std::shared_ptr<prometheus::Registry> registry)
    : settings_(std::move(settings)),
      make_syncer_(std::move(make_syncer)),
      syncer_(make_syncer_(settings_)),
      loader_(std::move(loader)),
      reload_settings_(std::move(reload_settings)),
      status_(health_timeout_of(settings_), std::move(registry)),
      reconciler_(*syncer_, [this](const Settings& s) { return load(s); }, status_),
      impl_(std::make_unique<Impl>(status_)) {
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Daemon::~Daemon() {
    impl_.reset();
    if (stop_fd_ >= 0) close(stop_fd_);
}

void Daemon::stop() {
    uint64_t one = 1;
    if (write(stop_fd_, &one, sizeof one) < 0) {
    }
}

StateResult Daemon::load(const Settings& settings) {
    auto sel = manifest_paths_.select(settings.manifests);
    if (sel.removed != removed_paths_)
        for (const auto& p : sel.removed) spdlog::warn("{} was removed: its objects are removed", p);
    removed_paths_ = sel.removed;
    Settings effective = settings;
    effective.manifests = std::move(sel.load);
    return loader_(effective);
}

void Daemon::run_job(const SyncJob& job) {
    auto& im = *impl_;
    if (job.reload_config || im.config_broken) {
        try {
            Settings next = reload_settings_();
            warn_immutable(settings_, next);
            next.table = settings_.table;
            next.healthz_bind_address = settings_.healthz_bind_address;
            next.metrics_bind_address = settings_.metrics_bind_address;
            // The syncer keeps the settings it was made with (node IPs,
            // masquerade bit, ...): a new one, whose first sync is full.
            // Made first, so a failure leaves settings and syncer as they were.
            auto syncer = make_syncer_(next);
            settings_ = std::move(next);
            syncer_ = std::move(syncer);
            reconciler_.set_syncer(*syncer_);
            set_log_verbosity(settings_.verbosity);
            im.scheduler->set_periods(periods_of(settings_));
            status_.set_health_timeout(health_timeout_of(settings_));
            im.config_broken = false;
            spdlog::info("configuration reloaded{}",
                         settings_.config_file.empty() ? "" : " from " + settings_.config_file);
        } catch (const std::exception& e) {
            im.config_broken = true;
            // Config errors usually name "file:line:" already.
            const std::string what = e.what();
            const std::string& file = settings_.config_file;
            const std::string msg = !file.empty() && what.find(file) == std::string::npos
                                        ? file + ": " + what
                                        : what;
            const bool periodic = job.reason == SyncReason::Periodic;
            reconciler_.reject({msg}, periodic);
            if (!periodic) spdlog::error("keeping the previous settings and the programmed state");
            im.scheduler->finished(SyncOutcome::LoadRejected, Mono::now());
            return;
        }
    }
    // The manifest list may have changed, or a watched directory come or gone.
    for (const auto& dir : im.watcher.set_targets(watch_targets(settings_.manifests, settings_.config_file)))
        spdlog::debug("cannot watch {} (missing?); the periodic reconcile will notice it", dir);

    spdlog::debug("sync starting ({}, {})", job.full ? "full" : "partial", to_string(job.reason));
    const SyncOutcome outcome = reconciler_.reconcile(settings_, job.full, job.reason);
    im.scheduler->finished(outcome, Mono::now());

    if (outcome == SyncOutcome::Ok && reconciler_.programmed() && health_check_node_ports_) {
        for (const auto& err : im.hc_servers.update(health_check_services(*reconciler_.programmed())))
            spdlog::error("{}", err);
        spdlog::debug("health check node ports open: {}", fmt::join(im.hc_servers.open_ports(), ","));
    }
    std::string state_line;
    switch (outcome) {
        case SyncOutcome::Ok: state_line = "rules in sync"; break;
        case SyncOutcome::LoadRejected:
            state_line = fmt::format("manifests rejected ({} errors), last good state kept",
                                     reconciler_.config_errors().size());
            break;
        case SyncOutcome::SyncFailed: state_line = "kernel sync failed, retrying"; break;
    }
    if (!im.notified_ready) {
        // Ready once the first attempt is over, whatever its outcome:
        // healthz tells whether it worked, and a unit stuck "activating"
        // would only be restarted by systemd into the same situation.
        notify_systemd("READY=1\nSTATUS=" + state_line);
        im.notified_ready = true;
    } else {
        notify_systemd("STATUS=" + state_line);
    }
}

bool Daemon::start_serving() {
    auto& im = *impl_;
    try {
        im.status_servers.start(settings_.healthz_bind_address, settings_.metrics_bind_address);
    } catch (const std::exception& e) {
        spdlog::error("cannot serve health/metrics: {}", e.what());
        return false;
    }
    spdlog::info("serving /healthz and /livez on {}, /metrics on {} (bound ports {})",
                 settings_.healthz_bind_address.empty() ? "-" : settings_.healthz_bind_address,
                 settings_.metrics_bind_address.empty() ? "-" : settings_.metrics_bind_address,
                 fmt::join(im.status_servers.ports(), ","));
    im.watcher.set_targets(watch_targets(settings_.manifests, settings_.config_file));
    im.scheduler.emplace(periods_of(settings_), Mono::now());
    status_.queued(std::chrono::system_clock::now());
    spdlog::info("svcnat running: table {}, manifests {}, sync-period {}s, min-sync-period {}s", settings_.table,
                 fmt::join(settings_.manifests, ","), settings_.sync_period_s, settings_.min_sync_period_s);
    return true;
}

// SIGHUP reloads; SIGTERM and SIGINT stop. False: stop.
bool Daemon::on_signals(const std::vector<int>& signals) {
    bool keep_running = true;
    for (int signo : signals) {
        if (signo != SIGHUP) {
            spdlog::info("{}: shutting down", strsignal(signo));
            keep_running = false;
            continue;
        }
        spdlog::info("SIGHUP: reloading the configuration and the manifests");
        notify_systemd("RELOADING=1");
        status_.queued(std::chrono::system_clock::now());
        impl_->scheduler->forced(Mono::now());
    }
    return keep_running;
}

void Daemon::on_file_changes() {
    auto& im = *impl_;
    const WatchChanges ch = im.watcher.drain();
    const auto now = Mono::now();
    if (ch.rewatch) im.watcher.set_targets(watch_targets(settings_.manifests, settings_.config_file));
    if (ch.config) {
        spdlog::debug("config file changed");
        status_.queued(std::chrono::system_clock::now());
        im.scheduler->config_changed(now);
    }
    if (ch.manifests || ch.rewatch) {
        spdlog::debug("manifests changed");
        status_.queued(std::chrono::system_clock::now());
        im.scheduler->manifests_changed(now);
    }
}

int Daemon::shut_down() {
    auto& im = *impl_;
    notify_systemd("STOPPING=1");
    im.hc_servers.update({});
    im.status_servers.stop();
    if (!settings_.cleanup_on_exit) {
        spdlog::info("leaving the rules in place (use --cleanup-on-exit to remove them)");
        return 0;
    }
    std::string err;
    if (!syncer_->cleanup(&err)) {
        spdlog::error("--cleanup-on-exit: removing table {} failed: {}", settings_.table, err);
        return 1;
    }
    spdlog::info("--cleanup-on-exit: removed table {}", settings_.table);
    return 0;
}

// One thread: epoll over the signalfd, the scheduler's timer, stop(), the
// file watcher and the data path's tick; a due job runs between waits.
int Daemon::run() {
    auto& im = *impl_;
    SignalFd signals(daemon_signals());
    Fd tfd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create");
    Fd tick_fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create");
    if (tick_) {
        // At least 1 ms: an all-zero period would disarm the timer.
        const int64_t ns = std::max<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(tick_period_).count(), 1'000'000);
        itimerspec its{};
        its.it_interval.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        its.it_interval.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        its.it_value = its.it_interval;
        timerfd_settime(tick_fd.fd, 0, &its, nullptr);
    }
    Fd ep(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
    for (int fd : {signals.fd(), tfd.fd, stop_fd_, im.watcher.fd(), tick_fd.fd}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (epoll_ctl(ep.fd, EPOLL_CTL_ADD, fd, &ev) != 0)
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
    if (!start_serving()) return 1;
    for (bool running = true; running;) {
        arm_timer(tfd.fd, im.scheduler->next_due());
        epoll_event events[5];
        const int n = epoll_wait(ep.fd, events, 5, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            spdlog::critical("epoll_wait: {}", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == stop_fd_ || fd == tfd.fd || fd == tick_fd.fd) drain_fd(fd);
            if (fd == tick_fd.fd) tick_();
            if (fd == stop_fd_) running = false;
            else if (fd == signals.fd()) running = on_signals(signals.take()) && running;
            else if (fd == im.watcher.fd()) on_file_changes();
        }
        if (!running) break;
        if (auto job = im.scheduler->take_due(Mono::now())) run_job(*job);
    }
    return shut_down();
}

}  // namespace svcnat
