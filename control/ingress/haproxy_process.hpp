// HAProxy as svcnat's child, in master-worker mode (`haproxy -W -S
// master.sock -f haproxy.cfg`): started, reloaded hitlessly through the
// master socket (the new worker takes the listening sockets over; the old
// one finishes its connections), watched and stopped. Its log lines (it
// logs to stderr) go to svcnat's log. Never the distribution's
// haproxy.service: svcnat's own configuration, in svcnat's own directory.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "haproxy_config.hpp"

namespace svcnat::ingress {

// What the master says about itself: how many reloads it did and how many
// failed, and which worker serves now.
struct MasterState {
    uint64_t reloads = 0;
    uint64_t failed = 0;
    pid_t worker = 0;
};
// Parses the master CLI's "show proc".
bool parse_show_proc(const std::string& text, MasterState& out);

// HAProxy's environment: svcnat's own, with glibc's malloc told to keep up
// to kHeapKeptBytes of freed memory at the top of the heap instead of
// giving it back at once (glibc.malloc.trim_threshold, 128 KiB by default),
// unless the environment already sets that tunable (the operator's choice
// wins; other tunables are kept).
//
// Why: under a new TLS connection per request, each connection's buffers
// and OpenSSL objects are freed together, the heap's top shrinks past
// 128 KiB and grows again with the next ones: `perf stat` of the worker
// counted 225 brk calls and 544 page faults in 5 s, and `perf record` put
// 1.9 % of its CPU in brk's TLB flush and those faults (bench-ingress'
// https-close case, docs/BENCHMARKS.md "Ingress"). With the threshold: 0
// and 0. The memory kept is bounded and is reused by the next connections.
constexpr uint64_t kHeapKeptBytes = 64ull << 20;
std::vector<std::string> haproxy_environment(const std::vector<std::string>& inherited);

class HaproxyProcess {
public:
    HaproxyProcess(std::string executable, ProxyPaths paths) : exe_(std::move(executable)), paths_(std::move(paths)) {}
    ~HaproxyProcess() { stop(); }
    HaproxyProcess(const HaproxyProcess&) = delete;
    HaproxyProcess& operator=(const HaproxyProcess&) = delete;

    // Starts it on the configuration already written, and waits until a
    // worker answers on the admin socket. False with *error otherwise
    // (HAProxy's own words when it refused the configuration).
    bool start(std::string* error);
    // Re-reads the configuration: true once a new worker serves; false
    // when the master reports the reload failed (the old worker serves on).
    bool reload(std::string* error);
    // Still running? Reaps it when it is not.
    bool alive();
    void stop();

    pid_t pid() const { return pid_; }
    // The last lines HAProxy wrote to its log (why it failed).
    std::string last_log_lines() const;

private:
    bool wait_for_worker(pid_t not_this, std::chrono::milliseconds timeout, std::string* error);
    void read_log(int fd);

    std::string exe_;
    ProxyPaths paths_;
    pid_t pid_ = 0;
    std::thread log_reader_;
    mutable std::mutex log_mutex_;
    std::string last_log_;
};

// `haproxy -c -f FILE`: HAProxy's own verdict on a configuration ("" = valid).
std::string check_configuration(const std::string& executable, const std::string& config_file);

}  // namespace svcnat::ingress
