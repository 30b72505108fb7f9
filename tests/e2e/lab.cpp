#include "lab.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SVCNAT_SOURCE_ROOT
#define SVCNAT_SOURCE_ROOT "."
#endif
#ifndef SVCNAT_DEFAULT_BIN
#define SVCNAT_DEFAULT_BIN ""
#endif

namespace svcnat::e2e {

const char* kPython = "/usr/bin/python3";

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// Labs that are up, kept in plain arrays so that a signal handler may read
// them: names are copied in before a lab is marked live, and cleared after.
constexpr int kMaxLabs = 16;
struct LiveLab {
    std::atomic<bool> live{false};
    char name[128] = {};
};
LiveLab g_labs[kMaxLabs];
char g_lab_sh[4096] = {};

int register_lab(const std::string& name) {
    for (int i = 0; i < kMaxLabs; ++i) {
        if (g_labs[i].live.load()) continue;
        std::snprintf(g_labs[i].name, sizeof g_labs[i].name, "%s", name.c_str());
        std::snprintf(g_lab_sh, sizeof g_lab_sh, "%s", lab_script().c_str());
        g_labs[i].live.store(true);
        return i;
    }
    return -1;
}

void unregister_lab(const std::string& name) {
    for (auto& lab : g_labs)
        if (lab.live.load() && name == lab.name) lab.live.store(false);
}

// Async-signal-safe: fork, execv, waitpid, signal, raise only.
void down_all_and_die(int sig) {
    for (auto& lab : g_labs) {
        if (!lab.live.load()) continue;
        pid_t pid = fork();
        if (pid == 0) {
            char bash[] = "/bin/bash";
            char down[] = "down";
            char* argv[] = {bash, g_lab_sh, down, lab.name, nullptr};
            execv(bash, argv);
            _exit(127);
        }
        if (pid > 0) {
            int status = 0;
            waitpid(pid, &status, 0);
        }
        lab.live.store(false);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

std::string lab_script() { return env_or("SVCNAT_LAB_SH", std::string(SVCNAT_SOURCE_ROOT) + "/scripts/lab/lab.sh"); }
std::string svcnat_binary() { return env_or("SVCNAT_BIN", SVCNAT_DEFAULT_BIN); }
bool running_as_root() { return geteuid() == 0; }

void install_lab_cleanup_on_signals() {
    struct sigaction sa {};
    sa.sa_handler = down_all_and_die;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
}

ProbeOutcome parse_probe_line(const std::string& line) {
    ProbeOutcome o;
    if (line.rfind("ERR ", 0) != 0) {
        o.ok = true;
        o.answer = line;
        return o;
    }
    std::istringstream in(line.substr(4));
    std::string ms;
    in >> o.error >> ms;
    o.ms = std::atoi(ms.c_str());  // "12ms" -> 12
    return o;
}

std::map<std::string, int> tally(const std::vector<ProbeOutcome>& outcomes) {
    std::map<std::string, int> counts;
    for (const auto& o : outcomes) ++counts[o.ok ? o.answer : "ERR " + o.error];
    return counts;
}

std::string show(const std::map<std::string, int>& counts) {
    std::string s;
    for (const auto& [answer, n] : counts) s += (s.empty() ? "" : ", ") + ("\"" + answer + "\" x" + std::to_string(n));
    return "{" + s + "}";
}

Lab::Lab(const std::string& prefix) {
    static std::atomic<int> counter{0};
    name_ = prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

Lab::~Lab() {
    try {
        down();
    } catch (...) {
    }
}

CommandResult Lab::lab_sh(const std::vector<std::string>& args, double timeout_s) const {
    std::vector<std::string> argv{"/bin/bash", lab_script()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, timeout_s);
}

void Lab::up(const Options& options) {
    if (register_lab(name_) < 0) throw std::runtime_error("too many labs up at once");
    is_up_ = true;  // from here, down() cleans up whatever `up` left behind
    std::vector<std::string> args{"up", name_, "--pods", std::to_string(options.pods)};
    if (options.ipv6) args.push_back("--ipv6");
    auto r = lab_sh(args, 60 + 5.0 * options.pods);
    if (!r.ok()) throw std::runtime_error("lab.sh up " + name_ + " failed: " + r.describe());
}

void Lab::down() {
    if (!is_up_) return;
    auto r = lab_sh({"down", name_}, 60);
    is_up_ = false;
    unregister_lab(name_);
    if (!r.ok()) throw std::runtime_error("lab.sh down " + name_ + " failed: " + r.describe());
}

void Lab::add_pod(const std::string& pod, const std::string& ip, const std::vector<std::string>& options) {
    std::vector<std::string> args{"add-pod", name_, pod, ip};
    args.insert(args.end(), options.begin(), options.end());
    auto r = lab_sh(args, 30);
    if (!r.ok()) throw std::runtime_error("lab.sh add-pod " + pod + " failed: " + r.describe());
}

void Lab::del_pod(const std::string& pod) {
    auto r = lab_sh({"del-pod", name_, pod}, 30);
    if (!r.ok()) throw std::runtime_error("lab.sh del-pod " + pod + " failed: " + r.describe());
}

void Lab::kubelet_resolv(const std::string& pod, const std::string& nameserver) {
    auto r = lab_sh({"resolv", name_, pod, nameserver, "default.svc.cluster.local", "svc.cluster.local", "cluster.local"},
                    10);
    if (!r.ok()) throw std::runtime_error("lab.sh resolv " + pod + " failed: " + r.describe());
}

std::vector<std::string> Lab::dns_query(const std::string& where, const std::string& server,
                                        const std::vector<std::string>& questions, double timeout_s,
                                        const std::vector<std::string>& extra) const {
    std::string input;
    for (const auto& q : questions) input += q + "\n";
    const std::string dnsq = (std::filesystem::path(lab_script()).parent_path() / "dnsq.py").string();
    std::ostringstream timeout;
    timeout << timeout_s;
    std::vector<std::string> argv{kPython, dnsq, "--server", server, "--timeout", timeout.str()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run_command(exec_argv(where, argv), 30 + timeout_s * static_cast<double>(questions.size()), input);
    return r.lines();
}

std::string Lab::ns(const std::string& where) const {
    auto r = lab_sh({"ns", name_, where}, 10);
    if (!r.ok()) throw std::runtime_error("lab.sh ns " + where + " failed: " + r.describe());
    return trim(r.out);
}

std::vector<std::string> Lab::exec_argv(const std::string& where, const std::vector<std::string>& argv) const {
    std::vector<std::string> full{"/bin/bash", lab_script(), "exec", name_, where, "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

CommandResult Lab::exec(const std::string& where, const std::vector<std::string>& argv, double timeout_s) const {
    return run_command(exec_argv(where, argv), timeout_s);
}

std::string Lab::http_get(const std::string& where, const std::string& url, double timeout_s) const {
    auto r = exec(where,
                  {"curl", "-sS", "-g", "--connect-timeout", std::to_string(timeout_s), "--max-time",
                   std::to_string(timeout_s), url},
                  timeout_s + 10);
    return r.ok() ? trim(r.out) : "";
}

std::string Lab::probe_script() const {
    std::string sh = lab_script();
    return sh.substr(0, sh.rfind('/') + 1) + "probe.py";
}

std::vector<ProbeOutcome> Lab::probe(const std::string& where, const std::vector<std::string>& args,
                                     double timeout_s) const {
    std::vector<std::string> argv{kPython, probe_script()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = exec(where, argv, timeout_s);
    if (!r.ok()) throw std::runtime_error("probe failed: " + r.describe());
    std::vector<ProbeOutcome> outcomes;
    for (const auto& line : r.lines()) outcomes.push_back(parse_probe_line(line));
    return outcomes;
}

static std::vector<std::string> with_source(std::vector<std::string> args, const std::string& source) {
    if (!source.empty()) {
        args.push_back("--source");
        args.push_back(source);
    }
    return args;
}

std::vector<ProbeOutcome> Lab::http(const std::string& where, const std::string& url, int count, double timeout_s,
                                    const std::string& source) const {
    return probe(where,
                 with_source({"http", url, "--count", std::to_string(count), "--timeout", std::to_string(timeout_s)},
                             source),
                 15 + count * timeout_s);
}

std::vector<ProbeOutcome> Lab::udp(const std::string& where, const std::string& host, int port, int count,
                                   int sport, double timeout_s, const std::string& source) const {
    return probe(where,
                 with_source({"udp", host, std::to_string(port), "--count", std::to_string(count), "--sport",
                              std::to_string(sport), "--timeout", std::to_string(timeout_s)},
                             source),
                 15 + count * timeout_s);
}

ProbeOutcome Lab::tcp_connect(const std::string& where, const std::string& host, int port, double timeout_s,
                              const std::string& source) const {
    auto outcomes = probe(
        where, with_source({"connect", host, std::to_string(port), "--timeout", std::to_string(timeout_s)}, source),
        15 + timeout_s);
    if (outcomes.size() != 1) throw std::runtime_error("probe connect: expected one line");
    return outcomes[0];
}

std::vector<ProbeOutcome> Lab::sctp(const std::string& where, const std::string& host, int port, int count,
                                    double timeout_s) const {
    return probe(where,
                 {"sctp", host, std::to_string(port), "--count", std::to_string(count), "--timeout",
                  std::to_string(timeout_s)},
                 15 + count * timeout_s);
}

void Lab::spawn(const std::string& where, const std::string& tag, const std::vector<std::string>& argv) {
    std::vector<std::string> args{"spawn", name_, where, tag, "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    auto r = lab_sh(args, 20);
    if (!r.ok()) throw std::runtime_error("lab.sh spawn " + tag + " failed: " + r.describe());
}

void Lab::stop(const std::string& tag) {
    auto r = lab_sh({"stop", name_, tag}, 20);
    if (!r.ok()) throw std::runtime_error("lab.sh stop " + tag + " failed: " + r.describe());
}

bool Lab::has_sctp(const std::string& where) const {
    auto r = exec(where,
                  {kPython, "-c",
                   "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)"},
                  15);
    return r.ok();
}

}  // namespace svcnat::e2e
