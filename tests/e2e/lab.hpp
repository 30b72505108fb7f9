// The namespace lab (scripts/lab/lab.sh) seen from GoogleTest: bring a lab up
// and down, run commands in its namespaces, and send traffic with the lab's
// probe (scripts/lab/probe.py), whose one-line-per-attempt output is parsed
// here. The topology itself lives only in lab.sh.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "command.hpp"

namespace svcnat::e2e {

// Paths handed over by meson (environment), with defaults for running a test
// binary by hand from the source tree.
std::string lab_script();     // SVCNAT_LAB_SH
std::string svcnat_binary();  // SVCNAT_BIN ("" when not built)
// Debian's Python, as lab.sh uses: its packages (dnspython), no user site-packages.
extern const char* kPython;
bool running_as_root();

// One attempt of a probe: an answer, or an error with how long it took.
struct ProbeOutcome {
    bool ok = false;
    std::string answer;  // server's reply when ok
    std::string error;   // "ECONNREFUSED", "timeout", ... when not ok
    int ms = 0;          // time to fail (errors only)
    std::string str() const { return ok ? answer : "ERR " + error + " " + std::to_string(ms) + "ms"; }
};
ProbeOutcome parse_probe_line(const std::string& line);

// Answers per distinct reply ("You've hit pod1" -> 17), errors under "ERR <kind>".
std::map<std::string, int> tally(const std::vector<ProbeOutcome>& outcomes);
std::string show(const std::map<std::string, int>& counts);

class Lab {
public:
    struct Options {
        int pods = 0;  // pod1..podN at 10.244.1.11, .12, ...
        bool ipv6 = false;
    };

    // `prefix` is completed with the PID and a counter: unique on the host.
    explicit Lab(const std::string& prefix);
    ~Lab();  // down()
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    const std::string& name() const { return name_; }
    // Throws std::runtime_error with lab.sh's output on failure.
    void up(const Options& options);
    void down();  // idempotent
    void add_pod(const std::string& pod, const std::string& ip, const std::vector<std::string>& options = {});
    void del_pod(const std::string& pod);
    // POD's resolv.conf as kubelet writes it for a pod of namespace default:
    // `nameserver`, the search path of namespace default, ndots:5.
    void kubelet_resolv(const std::string& pod, const std::string& nameserver);
    // DNS questions ("NAME TYPE" each) from `where` to `server`, answered as
    // scripts/lab/dnsq.py prints them: one JSON line per question.
    // `extra`: more dnsq.py options (--tcp, --edns, --burst N).
    std::vector<std::string> dns_query(const std::string& where, const std::string& server,
                                       const std::vector<std::string>& questions, double timeout_s = 2,
                                       const std::vector<std::string>& extra = {}) const;
    std::string ns(const std::string& where) const;  // namespace name of node|client|POD

    // Runs argv inside node|client|POD.
    CommandResult exec(const std::string& where, const std::vector<std::string>& argv, double timeout_s = 20) const;
    // A long-lived process inside node|client|POD.
    std::vector<std::string> exec_argv(const std::string& where, const std::vector<std::string>& argv) const;

    // One HTTP GET through curl (short timeouts); the body without the
    // trailing newline, "" on failure.
    std::string http_get(const std::string& where, const std::string& url, double timeout_s = 2) const;
    // The probes below take a `source`: "" lets the kernel choose, an
    // address of the namespace is bound first (probe.py --source).
    // `count` HTTP requests, each on a new connection (probe.py http).
    std::vector<ProbeOutcome> http(const std::string& where, const std::string& url, int count = 1,
                                   double timeout_s = 1, const std::string& source = "") const;
    // `count` UDP queries; sport != 0 keeps the same source port (same conntrack entry).
    std::vector<ProbeOutcome> udp(const std::string& where, const std::string& host, int port, int count = 1,
                                  int sport = 0, double timeout_s = 1, const std::string& source = "") const;
    // One TCP connect (no data): ok, or how it failed and how fast.
    ProbeOutcome tcp_connect(const std::string& where, const std::string& host, int port, double timeout_s = 1,
                             const std::string& source = "") const;
    std::vector<ProbeOutcome> sctp(const std::string& where, const std::string& host, int port, int count = 1,
                                   double timeout_s = 1) const;

    // A background process inside node|client|POD, stopped by stop(tag) or
    // by down(); its output goes to the lab's log TAG.log.
    void spawn(const std::string& where, const std::string& tag, const std::vector<std::string>& argv);
    void stop(const std::string& tag);
    // Does the kernel let this namespace open an SCTP socket?
    bool has_sctp(const std::string& where) const;

    std::string probe_script() const;

private:
    std::vector<ProbeOutcome> probe(const std::string& where, const std::vector<std::string>& args,
                                    double timeout_s) const;
    CommandResult lab_sh(const std::vector<std::string>& args, double timeout_s) const;

    std::string name_;
    bool is_up_ = false;
};

// Stops every lab still up (lab.sh down) when the test process gets SIGINT,
// SIGTERM, SIGHUP or SIGQUIT (Ctrl-C, meson's timeout), then dies of that
// signal. Call once from main().
void install_lab_cleanup_on_signals();

}  // namespace svcnat::e2e
