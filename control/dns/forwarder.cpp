#include "forwarder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "sockaddr.hpp"

namespace svcnat::dns {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kAttemptTimeout = std::chrono::seconds(2);
constexpr size_t kMaxPending = 4096;  // beyond this, new queries are dropped (a flood, or a dead upstream)

bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET) {
        auto* x = reinterpret_cast<const sockaddr_in*>(&a);
        auto* y = reinterpret_cast<const sockaddr_in*>(&b);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

// The question of a message (name lowercased, type, class), for matching
// an answer to what was asked.
std::string question_of(const uint8_t* msg, size_t len) {
    if (len < kHeaderSize || get16(msg + 4) != 1) return {};
    size_t pos = kHeaderSize;
    std::string q;
    if (!read_name(msg, len, &pos, q) || pos + 4 > len) return {};
    q.append(reinterpret_cast<const char*>(msg + pos), 4);
    return q;
}

void set_id(uint8_t* msg, uint16_t id) {
    msg[0] = static_cast<uint8_t>(id >> 8);
    msg[1] = static_cast<uint8_t>(id & 0xFF);
}

// One exchange over TCP with a 2 s budget; "" on any failure.
std::string tcp_exchange(const SocketAddress& server, const std::string& query) {
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(server, ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return {};
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    const auto deadline = Clock::now() + kAttemptTimeout;
    auto wait = [&](short events) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        return poll(&p, 1, static_cast<int>(left)) == 1 && !(p.revents & (POLLERR | POLLNVAL));
    };
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) return {};
    if (!wait(POLLOUT)) return {};
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) return {};
    std::string framed;
    uint8_t length[2];
    store16(length, static_cast<uint16_t>(query.size()));
    framed.append(reinterpret_cast<const char*>(length), 2);
    framed += query;
    size_t sent = 0;
    while (sent < framed.size()) {
        if (!wait(POLLOUT)) return {};
        const ssize_t n = send(fd, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return {};
        sent += static_cast<size_t>(n);
    }
    std::string in;
    char buf[4096];
    while (in.size() < 2 || in.size() < 2u + get16(reinterpret_cast<const uint8_t*>(in.data()))) {
        if (!wait(POLLIN)) return {};
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return {};
        in.append(buf, static_cast<size_t>(n));
    }
    return in.substr(2, get16(reinterpret_cast<const uint8_t*>(in.data())));
}

}  // namespace

struct Forwarder::Impl {
    struct Request {
        int reply_fd = -1;
        sockaddr_storage client{};
        socklen_t client_len = 0;
        std::string query;     // the client's
        Outcome outcome;       // Forward or Chase
        std::string fallback;  // Chase: the CNAME answer
        size_t max_reply = kClassicUdpSize;
    };
    struct Pending {
        Request req;
        std::string sent;  // what went upstream (its question is checked in the answer)
        size_t attempt = 0;
        Clock::time_point deadline;
    };

    Forwarder& owner;
    int sock4 = -1, sock6 = -1, wake = -1, ep = -1;
    std::mutex mu;
    std::deque<Request> queue;
    std::unordered_map<uint16_t, Pending> pending;
    std::mt19937 rng{std::random_device{}()};
    std::atomic<bool> stopping{false};
    std::thread thread;

    explicit Impl(Forwarder& f) : owner(f) {
        sock4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sock6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);  // may fail without IPv6
        wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (sock4 < 0 || wake < 0 || ep < 0) throw std::runtime_error("dns upstream: cannot create sockets");
        for (int fd : {sock4, sock6, wake}) {
            if (fd < 0) continue;
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.fd = fd;
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        thread = std::thread([this] { run(); });
    }

    ~Impl() {
        stopping = true;
        uint64_t one = 1;
        (void)!write(wake, &one, sizeof one);
        if (thread.joinable()) thread.join();
        for (int fd : {sock4, sock6, wake, ep})
            if (fd >= 0) close(fd);
    }

    void push(Request r) {
        {
            std::lock_guard lock(mu);
            if (queue.size() + pending.size() >= kMaxPending) {
                return;
            }
            queue.push_back(std::move(r));
        }
        uint64_t one = 1;
        (void)!write(wake, &one, sizeof one);
    }

    void run() {
        epoll_event events[8];
        while (!stopping) {
            const int n = epoll_wait(ep, events, 8, 100);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == wake) {
                    uint64_t v;
                    (void)!read(wake, &v, sizeof v);
                    start_queued();
                } else {
                    receive(fd);
                }
            }
            expire();
        }
    }

    void start_queued() {
        std::deque<Request> batch;
        {
            std::lock_guard lock(mu);
            batch.swap(queue);
        }
        for (auto& r : batch) {
            uint16_t id = 0;
            do id = static_cast<uint16_t>(rng()); while (pending.count(id));
            Pending p;
            p.req = std::move(r);
            if (p.req.outcome.action == Action::Chase) {
                p.sent = chase_query(id, p.req.outcome.chase_name, p.req.outcome.chase_type);
            } else {
                p.sent = p.req.query;
                set_id(reinterpret_cast<uint8_t*>(p.sent.data()), id);
            }
            send_attempt(p);
            pending.emplace(id, std::move(p));
        }
    }

    void send_attempt(Pending& p) {
        const SocketAddress& server = owner.upstream_[p.attempt % owner.upstream_.size()];
        sockaddr_storage ss;
        const socklen_t len = to_sockaddr(server, ss);
        const int fd = server.ip.is_v4() ? sock4 : sock6;
        if (fd >= 0) sendto(fd, p.sent.data(), p.sent.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
        p.deadline = Clock::now() + kAttemptTimeout;
    }

    void receive(int fd) {
        uint8_t buf[65535];
        for (;;) {
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) return;
            if (static_cast<size_t>(n) < kHeaderSize) continue;
            auto it = pending.find(get16(buf));
            if (it == pending.end()) continue;
            Pending& p = it->second;
            sockaddr_storage expected;
            to_sockaddr(owner.upstream_[p.attempt % owner.upstream_.size()], expected);
            const auto* sent = reinterpret_cast<const uint8_t*>(p.sent.data());
            if (!same_peer(from, expected) ||
                question_of(buf, static_cast<size_t>(n)) != question_of(sent, p.sent.size()))
                continue;  // not the answer to what we asked: ignore (spoofing, a late reply)
            deliver(p, buf, static_cast<size_t>(n));
            pending.erase(it);
        }
    }

    void deliver(Pending& p, uint8_t* answer, size_t len) {
        Request& r = p.req;
        if (r.outcome.action == Action::Chase) {
            std::string out = r.fallback;
            out.resize(r.max_reply + 64);
            const size_t l = append_chased(reinterpret_cast<uint8_t*>(out.data()), r.fallback.size(), r.max_reply,
                                           answer, len);
            sendto(r.reply_fd, out.data(), l, 0, reinterpret_cast<sockaddr*>(&r.client), r.client_len);
            return;
        }
        set_id(answer, get16(reinterpret_cast<const uint8_t*>(r.query.data())));
        sendto(r.reply_fd, answer, len, 0, reinterpret_cast<sockaddr*>(&r.client), r.client_len);
    }

    void expire() {
        const auto now = Clock::now();
        for (auto it = pending.begin(); it != pending.end();) {
            Pending& p = it->second;
            if (p.deadline > now) {
                ++it;
                continue;
            }
            if (++p.attempt < std::max<size_t>(2, owner.upstream_.size())) {
                send_attempt(p);
                ++it;
                continue;
            }
            fail(p.req);
            it = pending.erase(it);
        }
    }

    void fail(Request& r) {
        if (r.outcome.action == Action::Chase) {
            sendto(r.reply_fd, r.fallback.data(), r.fallback.size(), 0, reinterpret_cast<sockaddr*>(&r.client),
                   r.client_len);
            return;
        }
        uint8_t out[kMaxUdpReply];
        const size_t l = servfail(reinterpret_cast<const uint8_t*>(r.query.data()), r.query.size(), {false, true}, out);
        if (l) sendto(r.reply_fd, out, l, 0, reinterpret_cast<sockaddr*>(&r.client), r.client_len);
    }
};

Forwarder::Forwarder(std::vector<SocketAddress> upstream) : upstream_(std::move(upstream)) {
    if (!upstream_.empty()) impl_ = std::make_unique<Impl>(*this);
}

Forwarder::~Forwarder() = default;

void Forwarder::submit(int reply_fd, const sockaddr_storage& client, socklen_t client_len, const uint8_t* query,
                       size_t query_len, const Outcome& outcome, const uint8_t* reply) {
    if (!impl_) return;
    Impl::Request r;
    r.reply_fd = reply_fd;
    r.client = client;
    r.client_len = client_len;
    r.query.assign(reinterpret_cast<const char*>(query), query_len);
    r.outcome = outcome;
    if (outcome.action == Action::Chase) {
        r.fallback.assign(reinterpret_cast<const char*>(reply), outcome.len);
        Query q;
        if (parse_query(query, query_len, q) == QueryCheck::Ok) r.max_reply = max_reply_size(q, {false, true});
    }
    impl_->push(std::move(r));
}

std::string Forwarder::resolve_tcp(const uint8_t* query, size_t query_len, const Outcome& outcome, const uint8_t* reply) {
    const Transport tcp{true, true};
    const bool chase = outcome.action == Action::Chase;
    const std::string sent = chase ? chase_query(0x5343, outcome.chase_name, outcome.chase_type)
                                   : std::string(reinterpret_cast<const char*>(query), query_len);
    for (const auto& server : upstream_) {
        std::string answer = tcp_exchange(server, sent);
        if (answer.size() < kHeaderSize ||
            question_of(reinterpret_cast<const uint8_t*>(answer.data()), answer.size()) !=
                question_of(reinterpret_cast<const uint8_t*>(sent.data()), sent.size())) {
            continue;
        }
        if (!chase) return answer;  // the client's own ID was sent
        std::string out(reinterpret_cast<const char*>(reply), outcome.len);
        out.resize(65535);
        const size_t l = append_chased(reinterpret_cast<uint8_t*>(out.data()), outcome.len, 65535,
                                       reinterpret_cast<const uint8_t*>(answer.data()), answer.size());
        out.resize(l);
        return out;
    }
    if (chase) return std::string(reinterpret_cast<const char*>(reply), outcome.len);
    std::string out(65535, '\0');
    out.resize(servfail(query, query_len, tcp, reinterpret_cast<uint8_t*>(out.data())));
    return out;
}

}  // namespace svcnat::dns
