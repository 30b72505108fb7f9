// The DNS server's sockets: for every bind address, UDP workers (one
// SO_REUSEPORT socket and thread each, recvmmsg/sendmmsg in batches) and a
// TCP listener (a thread per connection, RFC 7766: pipelined queries,
// length-prefixed, 10 s idle timeout, at most kMaxTcpConnections). Every
// query is answered by respond() from the current Zone, which set_zone()
// swaps atomically: a reload never leaves a query without an answer table.
//
// Why hand-written and batched: one recvmmsg/sendmmsg of up to 32 datagrams
// per wake-up instead of a recvfrom/sendto pair per query, the zone pointer
// loaded once per batch, and a reply that is a memcpy of a precomputed body
// (docs/BENCHMARKS.md, bench-dns: same-run comparison with Knot and NSD).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/config/settings.hpp"
#include "forwarder.hpp"
#include "zone.hpp"

namespace svcnat::dns {

struct ServerStats {
    std::atomic<uint64_t> udp_queries{0}, tcp_queries{0}, truncated{0}, dropped{0};
    std::atomic<uint64_t> rcodes[6] = {};  // replies by rcode 0..5 (NOERROR .. REFUSED)
    std::atomic<uint64_t> tcp_connections{0}, tcp_refused{0};
};

struct ServerOptions {
    std::vector<SocketAddress> bind;
    int udp_workers = 1;  // per bind address
    std::vector<SocketAddress> upstream;
};

class Server {
public:
    static constexpr int kMaxTcpConnections = 256;

    // Binds every socket (throws std::runtime_error naming the address on
    // failure) and starts the threads.
    explicit Server(const ServerOptions& options);
    ~Server();  // stops and joins everything
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void set_zone(std::shared_ptr<const Zone> zone) { zone_.store(std::move(zone)); }
    std::shared_ptr<const Zone> zone() const { return zone_.load(); }

    const ServerStats& stats() const { return stats_; }
    // The addresses actually bound (port 0 in the options picks one).
    const std::vector<SocketAddress>& bound() const { return bound_; }

private:
    void udp_worker(int fd);
    void tcp_listener(int fd);
    void tcp_connection(int fd);
    Transport transport(bool tcp) const { return {tcp, forwarder_.enabled()}; }
    void count_reply(const uint8_t* reply, size_t len);

    std::atomic<std::shared_ptr<const Zone>> zone_;
    ServerStats stats_;
    Forwarder forwarder_;
    std::vector<SocketAddress> bound_;
    std::vector<int> fds_;
    std::vector<std::thread> threads_;
    std::mutex tcp_mu_;
    std::vector<int> tcp_fds_;  // open connections, shut down on stop
    std::atomic<int> tcp_active_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace svcnat::dns
