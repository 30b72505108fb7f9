// The L7 data path between syncs: the HAProxy child, what it serves now
// (so that a sync sends only the difference), the files in the state
// directory, and what went on (for /healthz and /metrics). It lives as long
// as the daemon: config reloads make new syncers, never a new HAProxy.
//
// A sync renders the route model, writes what changed to disk (so that a
// restart or the next reload serves the same), then either reloads (the
// skeleton or certificates changed) or sends the difference through the
// runtime API; when that fails, it reloads from the files. Changes that
// arrive while a reload runs wait for the next sync, which the daemon
// starts no sooner than --min-sync-period after this one: reloads coalesce.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "control/sync/data_path_health.hpp"
#include "control/sync/syncer.hpp"
#include "haproxy_config.hpp"
#include "haproxy_process.hpp"
#include "runtime_plan.hpp"

namespace svcnat::ingress {

struct ProxyCounters {
    bool up = false;
    uint64_t starts = 0;
    uint64_t reloads = 0;
    uint64_t reload_failures = 0;
    uint64_t runtime_updates = 0;  // map contents and servers changed without a reload
    uint64_t runtime_failures = 0;
    double last_sync_seconds = 0;
    size_t listeners = 0, backends = 0, servers = 0;
};

class Proxy {
public:
    struct Options {
        std::string haproxy = "/usr/sbin/haproxy";
        std::string state_dir;
        unsigned threads = 0;  // HAProxy's nbthread (0: its default)
    };
    // Makes the state directory and the self-signed default certificate.
    // Throws std::runtime_error when it cannot.
    explicit Proxy(Options options);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Serves `routes`. `full`: write every file again and, after an error,
    // reload from them. Errors come back in the report.
    SyncReport apply(const RouteState& routes, bool full);
    // Every second or so, on the loop's thread: restarts a dead HAProxy
    // (backing off 1 s, 2 s, ... 30 s) and deletes servers whose last
    // connections have closed.
    void tick();

    DataPathHealth health() const;  // any thread
    ProxyCounters counters() const;  // any thread

private:
    bool start(std::string* error);
    void write_files(const HaproxyConfig& c, bool all);
    bool runtime_update(const RuntimeUpdate& u, std::string* error);
    bool reload(std::string* error);
    void set_error(std::string e);

    Options options_;
    ProxyPaths paths_;
    std::string self_signed_pem_;
    HaproxyProcess process_;
    std::optional<HaproxyConfig> on_disk_;  // the files as written last
    std::optional<HaproxyConfig> running_;  // what HAProxy serves (unknown after an error)
    std::set<std::string> pending_deletions_;  // "backend/server" in maintenance, connections still open
    std::chrono::steady_clock::time_point next_start_{};
    std::chrono::seconds backoff_{1};
    std::chrono::steady_clock::time_point started_at_{};

    mutable std::mutex mutex_;  // guards what other threads read
    ProxyCounters counters_;
    std::string last_error_;
};

// The Syncer the daemon runs: the desired state's routes to the proxy.
class IngressSyncer final : public Syncer {
public:
    explicit IngressSyncer(std::shared_ptr<Proxy> proxy) : proxy_(std::move(proxy)) {}
    SyncReport sync(const SharedState& desired, bool full) override { return proxy_->apply(desired->routes, full); }
    bool cleanup(std::string*) override { return true; }  // files and a child process only

private:
    std::shared_ptr<Proxy> proxy_;
};

}  // namespace svcnat::ingress
