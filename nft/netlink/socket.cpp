#include "socket.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

namespace svcnat::nft::netlink {
namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

size_t get_buffer(int fd, int option) {
    int value = 0;
    socklen_t len = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return 0;
    return static_cast<size_t>(value);
}

// The kernel stores twice the requested value and caps the request at
// INT_MAX / 2. FORCE variants need CAP_NET_ADMIN and ignore [rw]mem_max;
// without the capability fall back to the capped variant.
size_t grow_buffer(int fd, int force_option, int option, size_t bytes) {
    size_t current = get_buffer(fd, option);
    if (current >= bytes * 2) return current;  // reported size is doubled
    constexpr size_t kMax = static_cast<size_t>(INT32_MAX / 2);
    int request = static_cast<int>(bytes > kMax ? kMax : bytes);
    if (setsockopt(fd, SOL_SOCKET, force_option, &request, sizeof(request)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, option, &request, sizeof(request));
    return get_buffer(fd, option);
}

}  // namespace

NetlinkSocket::NetlinkSocket() {
    sock_ = mnl_socket_open(NETLINK_NETFILTER);
    if (sock_ == nullptr) throw_errno("netlink socket (NETLINK_NETFILTER)");
    if (mnl_socket_bind(sock_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int saved = errno;
        mnl_socket_close(sock_);
        sock_ = nullptr;
        errno = saved;
        throw_errno("netlink bind");
    }
    int on = 1;
    // Both are optional for correctness: without EXT_ACK errors lack their
    // text, without CAP_ACK error replies are bigger. Old kernels lack them.
    // Without it (kernels < 4.12) errors carry no text or offset; not fatal.
    (void)mnl_socket_setsockopt(sock_, NETLINK_EXT_ACK, &on, sizeof(on));
    (void)mnl_socket_setsockopt(sock_, NETLINK_CAP_ACK, &on, sizeof(on));
    ensure_send_buffer(kInitialBufferBytes);
    ensure_receive_buffer(kInitialBufferBytes);
}

NetlinkSocket::~NetlinkSocket() {
    if (sock_ != nullptr) mnl_socket_close(sock_);
}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& other) noexcept
    : sock_(std::exchange(other.sock_, nullptr)) {}

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& other) noexcept {
    if (this != &other) {
        if (sock_ != nullptr) mnl_socket_close(sock_);
        sock_ = std::exchange(other.sock_, nullptr);
    }
    return *this;
}

int NetlinkSocket::fd() const { return mnl_socket_get_fd(sock_); }
uint32_t NetlinkSocket::port_id() const { return mnl_socket_get_portid(sock_); }

size_t NetlinkSocket::ensure_send_buffer(size_t bytes) {
    return grow_buffer(fd(), SO_SNDBUFFORCE, SO_SNDBUF, bytes);
}
size_t NetlinkSocket::ensure_receive_buffer(size_t bytes) {
    return grow_buffer(fd(), SO_RCVBUFFORCE, SO_RCVBUF, bytes);
}
size_t NetlinkSocket::send_buffer() const { return get_buffer(fd(), SO_SNDBUF); }

uint32_t next_sequence_number() {
    static std::atomic<uint32_t> counter{static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count())};
    uint32_t seq = counter.fetch_add(1, std::memory_order_relaxed);
    // 0 means "no sequence number" in several replies; never hand it out.
    return seq != 0 ? seq : counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace svcnat::nft::netlink
