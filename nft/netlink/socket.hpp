// A NETLINK_NETFILTER socket for nf_tables transactions and dumps (libmnl).
//
// Why a wrapper: a big ruleset is one sendmsg() of many megabytes, and the
// kernel refuses a message larger than the socket's send buffer (EMSGSIZE);
// every acknowledged message queues a reply, so the receive buffer must hold
// all of them at once (they are delivered while sendmsg() runs) or replies
// are dropped (ENOBUFS). The socket therefore grows both buffers to fit each
// batch, with SO_*BUFFORCE when we hold CAP_NET_ADMIN (ignores
// net.core.[rw]mem_max) and the capped SO_*BUF otherwise.
//
// The socket lives in the network namespace of the thread that opened it,
// for its whole life: open it inside the namespace you mean to program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct mnl_socket;

namespace svcnat::nft::netlink {

class NetlinkSocket {
public:
    // Opens and binds (automatic port id) a NETLINK_NETFILTER socket and
    // enables NETLINK_EXT_ACK (error text and offending attribute in error
    // replies) and NETLINK_CAP_ACK (error replies carry only the header of
    // the failed message, not its whole payload). Throws std::system_error.
    NetlinkSocket();
    ~NetlinkSocket();
    NetlinkSocket(NetlinkSocket&&) noexcept;
    NetlinkSocket& operator=(NetlinkSocket&&) noexcept;
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;

    int fd() const;
    uint32_t port_id() const;
    mnl_socket* raw() const { return sock_; }

    // Grow (never shrink) the kernel buffers to at least `bytes`. Returns the
    // size the kernel reports afterwards (the kernel doubles the request for
    // bookkeeping; the usable payload is about half of the reported size).
    size_t ensure_send_buffer(size_t bytes);
    size_t ensure_receive_buffer(size_t bytes);
    size_t send_buffer() const;

    // Default size of both buffers right after opening: 4 MiB.
    static constexpr size_t kInitialBufferBytes = size_t{4} << 20;

private:
    mnl_socket* sock_ = nullptr;
};

// Sequence numbers for new messages, unique within the process so that
// replies from one transaction can never be mistaken for another's.
// Seeded from the clock like nft does; thread-safe.
uint32_t next_sequence_number();

}  // namespace svcnat::nft::netlink
