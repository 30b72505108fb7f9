#include "signals.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace svcnat {

sigset_t signal_set(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    return set;
}

void block_signals(const sigset_t& set) { pthread_sigmask(SIG_BLOCK, &set, nullptr); }

SignalFd::SignalFd(const sigset_t& set) {
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
}

SignalFd::~SignalFd() {
    if (fd_ >= 0) close(fd_);
}

std::vector<int> SignalFd::take() {
    std::vector<int> out;
    signalfd_siginfo si{};
    while (read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) out.push_back(static_cast<int>(si.ssi_signo));
    return out;
}

}  // namespace svcnat
