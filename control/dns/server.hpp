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
#include <deque>
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

struct ServerOptions {
    std::vector<SocketAddress> bind;
    int udp_workers = 1;  // per bind address
    ForwardOptions forward;
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

    // The addresses actually bound (port 0 in the options picks one).
    const std::vector<SocketAddress>& bound() const { return bound_; }

    // For the metrics: the counters of every UDP worker and TCP connection,
    // and the forwarder (its own counters, the upstreams', its cache).
    struct Counters {
        const DnsStats* stats;
        size_t bind_index;  // which of bound() it serves
    };
    std::vector<Counters> counters() const;
    const Forwarder& forwarder() const { return forwarder_; }

private:
    struct UdpBatch;
    // One datagram's answer written into `out`: its length, or 0 when
    // there is none to send now (dropped, or left to the forwarder).
    // `type` is the question's type slot for the duration histogram.
    size_t answer_udp(const UdpBatch& batch, const uint8_t* in, size_t len, const sockaddr_storage& from,
                      socklen_t from_len, uint8_t* out, uint8_t& type);
    void udp_worker(int fd, DnsStats& stats, bool ipv6);
    void tcp_listener(int fd, size_t bind_index, bool ipv6);
    void tcp_connection(int fd, DnsStats& stats, bool ipv6);
    Transport transport(bool tcp) const { return {tcp, forwarder_.enabled()}; }

    std::atomic<std::shared_ptr<const Zone>> zone_;
    Forwarder forwarder_;
    // One per UDP worker; per bind address, one per open TCP connection
    // (a connection is a thread: it takes a free one, and gives it back).
    struct TcpStats {
        std::deque<DnsStats> all;
        std::vector<DnsStats*> free;
    };
    DnsStats* take_tcp_stats(size_t bind_index);  // under tcp_mu_
    std::deque<DnsStats> stats_;
    std::vector<size_t> stats_bind_;  // bind index of each stats_ entry
    std::deque<TcpStats> tcp_stats_;  // per bind index (grown under tcp_mu_)
    std::vector<SocketAddress> bound_;
    std::vector<int> fds_;
    std::vector<std::thread> threads_;
    mutable std::mutex tcp_mu_;
    std::vector<int> tcp_fds_;  // open connections, shut down on stop
    std::atomic<int> tcp_active_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace svcnat::dns
