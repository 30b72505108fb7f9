// The upstream side of the DNS server (CoreDNS's `cache` and `forward`):
// names outside the cluster domain and the reverse zones, and the targets of
// ExternalName services.
//
// UDP workers answer cache hits themselves (Cache); a miss is submitted
// here and handled by one thread: identical questions in flight are
// coalesced into one upstream query, which gets a new ID and is matched by
// ID, source and question; 2 s per attempt, the next upstream on timeout; a
// truncated answer is fetched again over TCP (by a helper thread); what
// comes back is cached and every waiting client answered from it. When no
// upstream answers, a stale entry answers (serve-stale), else SERVFAIL.
// Upstreams are health-checked as CoreDNS does: `max_fails` timeouts in a
// row mark one down, `. IN NS` every `health_check` brings it back, a down
// one is skipped while others are up. TCP clients' misses go upstream over
// TCP, synchronously in the connection's thread.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cache.hpp"
#include "control/config/settings.hpp"
#include "dns_stats.hpp"
#include "responder.hpp"

namespace svcnat::dns {

struct ForwardOptions {
    std::vector<SocketAddress> upstream;
    ForwardPolicy policy = ForwardPolicy::Random;
    uint32_t max_fails = 2;
    std::chrono::milliseconds health_check{500};
    std::chrono::milliseconds attempt_timeout{2000};
    CacheOptions cache;
};

using DnsClock = std::chrono::steady_clock;
int64_t cache_now_ms(DnsClock::time_point t);

class Forwarder {
public:
    // Throws std::runtime_error when its sockets cannot be made.
    explicit Forwarder(const ForwardOptions& options);
    ~Forwarder();
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    bool enabled() const { return !options_.upstream.empty(); }
    Cache& cache() { return cache_; }
    const Cache& cache() const { return cache_; }
    // Every upstream is marked down: stale entries answer at once.
    bool all_down() const;

    // A UDP client's query `q` (the message `query`), which missed the
    // cache: `outcome` is respond()'s Forward or Chase (for a Chase,
    // `reply` holds the CNAME answer to complete). The answer goes to
    // `client` through `reply_fd`, the socket the query came in on.
    void submit(int reply_fd, const sockaddr_storage& client, socklen_t client_len, const Query& q,
                const uint8_t* query, const Outcome& outcome, const uint8_t* reply, DnsClock::time_point received);
    // Fetch `q`'s question again for the cache (prefetch): no client waits.
    void prefetch(const Query& q);

    // A TCP client's query, answered in the calling thread: the bytes to
    // send back (without the length prefix). `stats`: the caller's.
    std::string resolve_tcp(const Query& q, const uint8_t* query, const Outcome& outcome, const uint8_t* reply,
                            DnsStats& stats);

    // For the metrics: the upstreams, their counters, the forwarder's own.
    const std::vector<SocketAddress>& upstream() const { return options_.upstream; }
    const ForwardStats& upstream_stats(size_t i) const;
    const DnsStats& stats() const;

private:
    struct Impl;
    ForwardOptions options_;
    Cache cache_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace svcnat::dns
