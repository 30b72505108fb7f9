// Signals as file descriptor events: the daemon and the gateway block the
// signals they handle in every thread (before creating any) and read them
// from a signalfd in their control loop, so no handler runs in a random
// thread and no global flag is needed.
#pragma once

#include <signal.h>

#include <initializer_list>
#include <vector>

namespace svcnat {

sigset_t signal_set(std::initializer_list<int> signals);

// Blocks `set` in the calling thread; threads created afterwards inherit
// the mask. Call before any thread starts.
void block_signals(const sigset_t& set);

class SignalFd {
public:
    explicit SignalFd(const sigset_t& set);  // throws std::system_error
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int fd() const { return fd_; }
    // The signals received since the last call, in order (non-blocking).
    std::vector<int> take();

private:
    int fd_ = -1;
};

}  // namespace svcnat
