// Running helper programs from the e2e tests: a command with captured output
// and a hard timeout, and a long-lived coprocess talked to line by line.
// Children get their own process group, so a timeout kills the command and
// whatever it started, by that group's id.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace svcnat::e2e {

struct CommandResult {
    int status = -1;         // exit status; 128+N when killed by signal N
    bool timed_out = false;  // killed because it ran past the timeout
    double seconds = 0;
    std::string out;
    std::string err;

    bool ok() const { return status == 0 && !timed_out; }
    std::vector<std::string> lines() const;  // stdout split at '\n', no empty last line
    std::string describe() const;            // for assertion messages
};

// argv[0] is looked up in PATH. No shell is involved.
CommandResult run_command(const std::vector<std::string>& argv, double timeout_s,
                          const std::string& input = "");

// A child whose stdin and stdout stay open: write a line, read a line.
class Coprocess {
public:
    explicit Coprocess(const std::vector<std::string>& argv);
    ~Coprocess();
    Coprocess(const Coprocess&) = delete;
    Coprocess& operator=(const Coprocess&) = delete;

    bool send_line(const std::string& line);
    // The next stdout line without '\n'; "" with *ok=false on timeout or EOF.
    std::string read_line(double timeout_s, bool* ok = nullptr);
    // Closes stdin, waits up to `grace_s`, then kills the process group.
    int stop(double grace_s = 2);
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int in_fd_ = -1;
    int out_fd_ = -1;
    std::string buffer_;
    int status_ = -1;
};

}  // namespace svcnat::e2e
