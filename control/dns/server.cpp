#include "server.hpp"

#include "control/os/latency.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "sockaddr.hpp"
#include "responder.hpp"

namespace svcnat::dns {
namespace {

constexpr int kBatch = 32;        // datagrams per recvmmsg
constexpr size_t kMaxQuery = 4096;  // a UDP query larger than this is no query we answer
constexpr int kTcpIdleMs = 10000;   // RFC 7766 6.2.3 suggests seconds; Knot and CoreDNS use 10 s

uint16_t port_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int bound_socket(const SocketAddress& a, int type) {
    const int family = a.ip.is_v4() ? AF_INET : AF_INET6;
    const int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("dns: socket for " + a.str() + ": " + std::strerror(errno));
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (type == SOCK_DGRAM) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // [::]:53 next to 0.0.0.0:53: each family its own socket.
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    // IPv4 replies with DF set and path-MTU information ignored (RFC 9715:
    // no fragmented DNS replies; ICMP "fragmentation needed", which anyone
    // can forge, cannot shrink them): our UDP replies are at most 1,232
    // bytes. The default mode sets DF too but makes the kernel hash an IP ID
    // for every reply (__ip_select_ident, 1.3 % of a worker's samples).
    // IPv6 replies of that size are never fragmented (minimum MTU 1,280).
    if (type == SOCK_DGRAM && family == AF_INET) {
        const int probe = IP_PMTUDISC_PROBE;
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    }
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(a, ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        const int e = errno;
        close(fd);
        throw std::runtime_error("dns: cannot listen on " + a.str() + (type == SOCK_DGRAM ? "/udp: " : "/tcp: ") +
                                 std::strerror(e));
    }
    return fd;
}

uint64_t micros_since(DnsClock::time_point t) {
    const auto d = std::chrono::duration_cast<std::chrono::microseconds>(DnsClock::now() - t).count();
    return d > 0 ? static_cast<uint64_t>(d) : 0;
}

bool write_all(int fd, const uint8_t* p, size_t n) {
    while (n > 0) {
        const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

}  // namespace

Server::Server(const ServerOptions& options) : forwarder_(options.forward) {
    try {
        for (SocketAddress a : options.bind) {
            const size_t bind_index = bound_.size();
            const bool ipv6 = !a.ip.is_v4();
            // UDP first: with port 0 it picks the port that TCP then shares.
            std::vector<int> udp;
            for (int i = 0; i < std::max(1, options.udp_workers); ++i) {
                const int fd = bound_socket(a, SOCK_DGRAM);
                fds_.push_back(fd);
                udp.push_back(fd);
                if (a.port == 0) a.port = port_of(fd);
            }
            const int tcp = bound_socket(a, SOCK_STREAM);
            fds_.push_back(tcp);
            if (listen(tcp, 128) != 0) throw std::runtime_error("dns: listen on " + a.str() + ": " + std::strerror(errno));
            bound_.push_back(a);
            for (int fd : udp) {
                DnsStats& stats = stats_.emplace_back();
                stats_bind_.push_back(bind_index);
                threads_.emplace_back([this, fd, &stats, ipv6] { udp_worker(fd, stats, ipv6); });
            }
            {
                std::lock_guard lock(tcp_mu_);  // listeners of earlier addresses index it
                tcp_stats_.emplace_back();
            }
            threads_.emplace_back([this, tcp, bind_index, ipv6] { tcp_listener(tcp, bind_index, ipv6); });
        }
    } catch (...) {
        stopping_ = true;
        for (int fd : fds_) shutdown(fd, SHUT_RDWR);
        for (auto& t : threads_) t.join();
        for (int fd : fds_) close(fd);
        throw;
    }
}

// Threads block without a timeout (an idle server does not wake up): a
// shutdown() ends a UDP worker's recvmmsg (it returns 0 once the socket
// reads as shut) and a listener's poll (a shut listening socket is closed).
Server::~Server() {
    stopping_ = true;
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    {
        std::lock_guard lock(tcp_mu_);
        for (int fd : tcp_fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    while (tcp_active_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (int fd : fds_) close(fd);
}

DnsStats* Server::take_tcp_stats(size_t bind_index) {
    TcpStats& t = tcp_stats_[bind_index];
    if (t.free.empty()) return &t.all.emplace_back();
    DnsStats* s = t.free.back();
    t.free.pop_back();
    return s;
}

std::vector<Server::Counters> Server::counters() const {
    std::vector<Counters> out;
    for (size_t i = 0; i < stats_.size(); ++i) out.push_back({&stats_[i], stats_bind_[i]});
    std::lock_guard lock(tcp_mu_);
    for (size_t b = 0; b < tcp_stats_.size(); ++b)
        for (const DnsStats& s : tcp_stats_[b].all) out.push_back({&s, b});
    return out;
}

// What the datagrams of one wake-up share.
struct Server::UdpBatch {
    int fd;
    bool ipv6;
    DnsStats& stats;
    Cache& cache;
    const Zone* zone;
    DnsClock::time_point received;
    int64_t now_ms;  // the cache's clock
};

size_t Server::answer_udp(const UdpBatch& b, const uint8_t* in, size_t len, const sockaddr_storage& from,
                          socklen_t from_len, uint8_t* out, uint8_t& type) {
    Query q;
    const QueryCheck check = parse_query(in, len, q);
    if (check == QueryCheck::Drop) return 0;
    type = static_cast<uint8_t>(type_slot(q.question_end ? q.qtype : 0));
    b.stats.request(false, b.ipv6, type);
    Transport t = transport(false);
    IPAddr client;
    if (b.zone && b.zone->options().autopath) t.client = &(client = ip_of(from));
    Outcome o = respond(b.zone, in, q, check, t, out);
    if (o.autopath) b.stats.autopath_success.add();
    Writer writer = check == QueryCheck::Ok ? Writer::Kubernetes : Writer::Server;
    if (o.action == Action::Forward && b.cache.enabled()) {
        const CacheLookup hit =
            b.cache.answer(CacheKey::of(q), q, in, max_reply_size(q, t), out, b.now_ms, forwarder_.all_down());
        if (hit.status != CacheStatus::Miss) {
            if (hit.status == CacheStatus::Stale) b.stats.cache_served_stale.add();
            else (hit.denial ? b.stats.cache_hits_denial : b.stats.cache_hits_success).add();
            if (hit.prefetch) forwarder_.prefetch(q);
            o = {Action::Reply, hit.len, {}, 0};
            writer = Writer::Cache;
        } else {
            b.stats.cache_misses.add();
        }
    }
    if (o.action == Action::Forward || o.action == Action::Chase) {
        forwarder_.submit(b.fd, from, from_len, q, in, o, out, b.received);
        return 0;
    }
    if (o.action != Action::Reply) return 0;
    b.stats.response(writer, out[3] & 0x0F);
    return o.len;
}

void Server::udp_worker(int fd, DnsStats& stats, bool ipv6) {
    struct Slot {
        uint8_t in[kMaxQuery];
        uint8_t out[kMaxUdpReply];
        sockaddr_storage from;
    };
    std::vector<Slot> slots(kBatch);
    mmsghdr rx[kBatch], tx[kBatch];
    iovec rx_iov[kBatch], tx_iov[kBatch];
    uint8_t replied_types[kBatch];
    Cache& cache = forwarder_.cache();
    request_short_slice();  // see control/os/latency.hpp: a query waits on this thread
    for (int i = 0; i < kBatch; ++i) {
        rx_iov[i] = {slots[i].in, kMaxQuery};
        rx[i].msg_hdr = {};
        rx[i].msg_hdr.msg_name = &slots[i].from;
        rx[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rx[i].msg_hdr.msg_iov = &rx_iov[i];
        rx[i].msg_hdr.msg_iovlen = 1;
    }
    while (!stopping_.load(std::memory_order_relaxed)) {
        const int n = recvmmsg(fd, rx, kBatch, MSG_WAITFORONE, nullptr);
        if (n <= 0) continue;  // shut down (see stopping_) or a transient error
        // One clock read per batch: the batch's queries share their
        // arrival time (for the duration histogram and the cache's TTLs).
        const auto received = DnsClock::now();
        const std::shared_ptr<const Zone> zone = zone_.load();
        const UdpBatch b{fd, ipv6, stats, cache, zone.get(), received, cache_now_ms(received)};
        int replies = 0;
        for (int i = 0; i < n; ++i) {
            Slot& s = slots[i];
            if (rx[i].msg_hdr.msg_flags & MSG_TRUNC) continue;  // larger than any query we answer
            const size_t len = answer_udp(b, s.in, rx[i].msg_len, s.from, rx[i].msg_hdr.msg_namelen, s.out,
                                          replied_types[replies]);
            if (len == 0) continue;
            tx_iov[replies] = {s.out, len};
            tx[replies].msg_hdr = {};
            tx[replies].msg_hdr.msg_name = &s.from;
            tx[replies].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
            tx[replies].msg_hdr.msg_iov = &tx_iov[replies];
            tx[replies].msg_hdr.msg_iovlen = 1;
            ++replies;
        }
        for (int sent = 0; sent < replies;) {
            const int k = sendmmsg(fd, tx + sent, static_cast<unsigned>(replies - sent), 0);
            if (k <= 0) break;  // the rest are lost, as a full socket buffer loses them
            sent += k;
        }
        // recvmmsg wrote the address lengths of the first n headers (and
        // their lengths and flags, outputs only): only those are reset, not
        // all 32 headers (2.5 KiB) per wake-up, which is usually one query.
        for (int i = 0; i < n; ++i) rx[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        if (replies > 0) {
            const auto took = std::chrono::duration_cast<std::chrono::microseconds>(DnsClock::now() - received).count();
            for (int i = 0; i < replies; ++i) stats.duration(replied_types[i], static_cast<uint64_t>(took));
        }
    }
}

void Server::tcp_listener(int fd, size_t bind_index, bool ipv6) {
    while (!stopping_.load()) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, -1) != 1) continue;
        const int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        if (tcp_active_.load() >= kMaxTcpConnections) {
            close(c);
            continue;
        }
        ++tcp_active_;
        DnsStats* stats = nullptr;
        {
            std::lock_guard lock(tcp_mu_);
            tcp_fds_.push_back(c);
            stats = take_tcp_stats(bind_index);
        }
        std::thread([this, c, stats, bind_index, ipv6] {
            tcp_connection(c, *stats, ipv6);
            std::lock_guard lock(tcp_mu_);
            tcp_stats_[bind_index].free.push_back(stats);
        }).detach();
    }
}

void Server::tcp_connection(int fd, DnsStats& stats, bool ipv6) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len);
    const IPAddr client = ip_of(peer);
    std::vector<uint8_t> in;
    std::vector<uint8_t> out(65535 + 2);
    uint8_t buf[16384];
    const Transport tcp = transport(true);
    bool open = true;
    while (open && !stopping_.load()) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, kTcpIdleMs) != 1) break;  // idle: close, as RFC 7766 allows
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.insert(in.end(), buf, buf + n);
        // Every complete message, in order (pipelining).
        size_t pos = 0;
        while (open && in.size() - pos >= 2) {
            const size_t len = static_cast<size_t>(in[pos] << 8 | in[pos + 1]);
            if (in.size() - pos - 2 < len) break;
            const uint8_t* msg = in.data() + pos + 2;
            const auto received = DnsClock::now();
            Query q;
            const QueryCheck check = parse_query(msg, len, q);
            const size_t type = type_slot(q.question_end ? q.qtype : 0);
            const std::shared_ptr<const Zone> zone = zone_.load();
            Transport t = tcp;
            if (zone && zone->options().autopath) t.client = &client;
            const Outcome o = respond(zone.get(), msg, q, check, t, out.data() + 2);
            if (o.autopath) stats.autopath_success.add();
            size_t reply_len = o.len;
            Writer writer = check == QueryCheck::Ok ? Writer::Kubernetes : Writer::Server;
            if (o.action == Action::Drop) {
                open = false;  // not a query: the stream is out of step
                break;
            }
            stats.request(true, ipv6, type);
            if (o.action == Action::Forward || o.action == Action::Chase) {
                const std::string r = forwarder_.resolve_tcp(q, msg, o, out.data() + 2, stats);
                std::memcpy(out.data() + 2, r.data(), r.size());
                reply_len = r.size();
                writer = Writer::Forward;
            }
            if (reply_len >= kHeaderSize) stats.response(writer, out[2 + 3] & 0x0F);
            stats.duration(type, micros_since(received));
            out[0] = static_cast<uint8_t>(reply_len >> 8);
            out[1] = static_cast<uint8_t>(reply_len & 0xFF);
            open = write_all(fd, out.data(), reply_len + 2);
            pos += 2 + len;
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos));
    }
    {
        std::lock_guard lock(tcp_mu_);
        std::erase(tcp_fds_, fd);
    }
    close(fd);
    --tcp_active_;
}

}  // namespace svcnat::dns
