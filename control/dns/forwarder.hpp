// The upstream side of the DNS server: names outside the cluster domain and
// the reverse zones (CoreDNS's `forward . /etc/resolv.conf`), and the
// targets of ExternalName services. UDP queries from clients are relayed
// asynchronously by one thread (new query ID, answer matched by ID, source
// and question, 2 s per upstream, the next upstream on timeout, SERVFAIL
// after the last); TCP clients' queries go upstream over TCP, synchronously
// in the connection's thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/config/settings.hpp"
#include "responder.hpp"

namespace svcnat::dns {

class Forwarder {
public:
    // Throws std::runtime_error when its sockets cannot be made.
    explicit Forwarder(std::vector<SocketAddress> upstream);
    ~Forwarder();
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    bool enabled() const { return !upstream_.empty(); }

    // A UDP client's query: `outcome` is respond()'s Forward or Chase (for a
    // Chase, `reply` holds the CNAME answer to complete). The answer goes to
    // `client` through `reply_fd`, the socket the query came in on.
    void submit(int reply_fd, const sockaddr_storage& client, socklen_t client_len, const uint8_t* query,
                size_t query_len, const Outcome& outcome, const uint8_t* reply);

    // A TCP client's query, answered in the calling thread: the bytes to
    // send back (without the length prefix). `reply`/`reply_len`: the CNAME
    // answer for a Chase.
    std::string resolve_tcp(const uint8_t* query, size_t query_len, const Outcome& outcome, const uint8_t* reply);

private:
    struct Impl;
    std::vector<SocketAddress> upstream_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace svcnat::dns
