#include "forwarder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
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

constexpr size_t kMaxPending = 4096;  // questions in flight; beyond, new ones are dropped (a flood, a dead upstream)
constexpr size_t kMaxWaiters = 1024;  // clients waiting on one question; beyond, dropped (they retry)
constexpr size_t kMaxMessage = 65535;

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

// One exchange over TCP within `timeout`; "" on any failure.
std::string tcp_exchange(const SocketAddress& server, const std::string& query, std::chrono::milliseconds timeout) {
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(server, ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return {};
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    const auto deadline = DnsClock::now() + timeout;
    auto wait = [&](short events) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - DnsClock::now()).count();
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

uint64_t micros_since(DnsClock::time_point t) {
    const auto d = std::chrono::duration_cast<std::chrono::microseconds>(DnsClock::now() - t).count();
    return d > 0 ? static_cast<uint64_t>(d) : 0;
}

// A SERVFAIL to the client's question (no upstream answered).
size_t servfail_reply(const Query& q, const uint8_t* msg, size_t max_size, uint8_t* out) {
    UpstreamAnswer none;
    none.rcode = kServFail;
    return render_upstream(none, q, msg, max_size, {}, out);
}

}  // namespace

int64_t cache_now_ms(DnsClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct Forwarder::Impl {
    struct Request {
        int reply_fd = -1;
        sockaddr_storage client{};
        socklen_t client_len = 0;
        std::string msg;       // header and question (Forward: the client's; Chase: ours)
        Query q;               // msg parsed, with the client's EDNS (Forward)
        std::string fallback;  // Chase: the CNAME answer
        std::string alt;       // Chase for autopath: the reply when the name does not resolve
        bool chase = false, prefetch = false;
        size_t max_reply = kClassicUdpSize;
        DnsClock::time_point received;
    };
    struct Pending {  // one question upstream, and who waits for it
        CacheKey key;
        std::string name;
        uint16_t qtype = 0;
        std::vector<Request> waiters;
        std::string sent;
        size_t attempt = 0, server = 0;
        DnsClock::time_point deadline;
        bool over_tcp = false;
        std::string truncated;  // the UDP answer with TC, while TCP is tried
    };
    struct Upstream {
        sockaddr_storage ss{};
        socklen_t len = 0;
        std::atomic<uint32_t> fails{0};
        std::atomic<bool> down{false};
        DnsClock::time_point next_check{};
        DnsClock::time_point check_deadline{};
        bool checking = false;
        ForwardStats stats;
    };
    struct TcpJob {
        uint16_t id;
        size_t server;
        std::string sent;
    };

    Forwarder& owner;
    const ForwardOptions& opt;
    std::unique_ptr<Upstream[]> up;
    size_t n_up;
    DnsStats stats;  // the forwarder thread's
    int sock4 = -1, sock6 = -1, wake = -1, ep = -1;
    std::mutex mu;  // queue, completions
    std::deque<Request> queue;
    std::deque<std::pair<uint16_t, std::string>> completions;  // TCP retries' answers
    std::unordered_map<uint16_t, Pending> pending;  // the forwarder's thread only
    std::atomic<size_t> in_flight{0};               // pending.size(), for push() in other threads
    std::unordered_map<std::string, uint16_t> inflight;  // key -> id of its Pending
    std::unordered_map<uint16_t, size_t> checks;         // health check id -> upstream
    std::mt19937 rng{std::random_device{}()};
    std::atomic<size_t> next_rr{0};
    std::atomic<bool> stopping{false};
    std::mutex tcp_mu;
    std::condition_variable tcp_cv;
    std::deque<TcpJob> tcp_jobs;
    std::thread thread, tcp_thread;

    Impl(Forwarder& f, const ForwardOptions& o)
        : owner(f), opt(o), up(std::make_unique<Upstream[]>(o.upstream.size())), n_up(o.upstream.size()) {
        for (size_t i = 0; i < n_up; ++i) up[i].len = to_sockaddr(o.upstream[i], up[i].ss);
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
        tcp_thread = std::thread([this] { run_tcp(); });
    }

    ~Impl() {
        stopping = true;
        notify();
        tcp_cv.notify_all();
        if (thread.joinable()) thread.join();
        if (tcp_thread.joinable()) tcp_thread.join();
        for (int fd : {sock4, sock6, wake, ep})
            if (fd >= 0) close(fd);
    }

    void notify() {
        uint64_t one = 1;
        (void)!write(wake, &one, sizeof one);
    }

    void push(Request r) {
        {
            std::lock_guard lock(mu);
            if (queue.size() + in_flight.load(std::memory_order_relaxed) >= kMaxPending) return;
            queue.push_back(std::move(r));
        }
        notify();
    }

    bool any_down() const {
        for (size_t i = 0; i < n_up; ++i)
            if (up[i].down.load(std::memory_order_relaxed)) return true;
        return false;
    }
    bool all_down() const {
        for (size_t i = 0; i < n_up; ++i)
            if (!up[i].down.load(std::memory_order_relaxed)) return false;
        return n_up > 0;
    }

    // --- upstream choice and health -------------------------------------

    // `random`: the caller's generator (the forwarder's thread and TCP
    // connections' threads each have their own).
    size_t first_server(std::mt19937& random) {
        std::vector<size_t> healthy;
        for (size_t i = 0; i < n_up; ++i)
            if (!up[i].down) healthy.push_back(i);
        if (healthy.empty()) return random() % n_up;  // all down: the checks may be wrong (CoreDNS does the same)
        switch (opt.policy) {
            case ForwardPolicy::Random: return healthy[random() % healthy.size()];
            case ForwardPolicy::RoundRobin: return healthy[next_rr++ % healthy.size()];
            case ForwardPolicy::Sequential: return healthy.front();
        }
        return healthy.front();
    }

    size_t next_server(size_t current) const {
        for (size_t k = 1; k <= n_up; ++k) {
            const size_t i = (current + k) % n_up;
            if (!up[i].down) return i;
        }
        return (current + 1) % n_up;
    }

    size_t max_attempts() const { return std::max<size_t>(2, n_up); }

    void failed(size_t i) {
        const uint32_t f = up[i].fails.fetch_add(1) + 1;
        // Marked down; the forwarder's thread, woken, checks it from its
        // next tick (next_check is that thread's alone: TCP connections
        // call this too).
        if (opt.max_fails > 0 && f >= opt.max_fails && !up[i].down.exchange(true)) notify();
    }
    void answered(size_t i) {
        up[i].fails = 0;
        up[i].down = false;
    }

    uint16_t new_id() {
        uint16_t id = 0;
        do id = static_cast<uint16_t>(rng());
        while (pending.count(id) || checks.count(id));
        return id;
    }

    void health_checks(DnsClock::time_point now) {
        for (size_t i = 0; i < n_up; ++i) {
            Upstream& u = up[i];
            if (u.checking && now >= u.check_deadline) {
                u.checking = false;
                u.stats.healthcheck_failures.add();
                u.next_check = now + opt.health_check;
                for (auto it = checks.begin(); it != checks.end();)
                    it = it->second == i ? checks.erase(it) : std::next(it);
            }
            if (!u.down || u.checking || now < u.next_check) continue;
            const uint16_t id = new_id();
            const std::string q = upstream_query(id, std::string_view("", 1), kTypeNS);
            send_to(i, q);
            checks.emplace(id, i);
            u.checking = true;
            u.check_deadline = now + std::max(opt.health_check, std::chrono::milliseconds(1000));
        }
    }

    // --- the loop ---------------------------------------------------------

    // Ticks every 50 ms while a query is out or an upstream is down (the
    // timeouts and health checks); idle, it sleeps until a request, a
    // TCP completion, an upstream marked down or the stop wakes it.
    void run() {
        epoll_event events[8];
        while (!stopping) {
            const bool ticking = !pending.empty() || !checks.empty() || any_down();
            const int n = epoll_wait(ep, events, 8, ticking ? 50 : -1);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == wake) {
                    uint64_t v;
                    (void)!read(wake, &v, sizeof v);
                    start_queued();
                    finish_tcp();
                } else {
                    receive(fd);
                }
            }
            const auto now = DnsClock::now();
            expire(now);
            health_checks(now);
        }
    }

    void send_to(size_t server, const std::string& msg) {
        const Upstream& u = up[server];
        const int fd = u.ss.ss_family == AF_INET ? sock4 : sock6;
        if (fd >= 0) sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&u.ss), u.len);
    }

    void send_attempt(Pending& p) {
        send_to(p.server, p.sent);
        up[p.server].stats.requests.add();
        p.deadline = DnsClock::now() + opt.attempt_timeout;
    }

    void start_queued() {
        std::deque<Request> batch;
        {
            std::lock_guard lock(mu);
            batch.swap(queue);
        }
        const auto now = DnsClock::now();
        for (auto& r : batch) {
            const CacheKey key = CacheKey::of(r.q);
            // Another client's question may have filled the cache since
            // (and a Chase has not looked yet).
            if (!r.prefetch && from_cache(r, key, all_down(), now) != CacheStatus::Miss) continue;
            if (auto in = inflight.find(std::string(key.view())); in != inflight.end()) {
                auto& waiters = pending[in->second].waiters;
                if (waiters.size() < kMaxWaiters) waiters.push_back(std::move(r));
                continue;
            }
            const uint16_t id = new_id();
            Pending p;
            p.key = key;
            p.name.assign(r.q.wire_name());
            p.qtype = r.q.qtype;
            p.sent = upstream_query(id, p.name, p.qtype, r.q.dnssec_ok, r.q.flags & kFlagCD);
            p.server = first_server(rng);
            if (r.prefetch) stats.cache_prefetch.add();
            p.waiters.push_back(std::move(r));
            send_attempt(p);
            inflight.emplace(std::string(key.view()), id);
            pending.emplace(id, std::move(p));
            in_flight.store(pending.size(), std::memory_order_relaxed);
        }
    }

    void receive(int fd) {
        uint8_t buf[kMaxMessage];
        for (;;) {
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) return;
            if (static_cast<size_t>(n) < kHeaderSize) continue;
            const uint16_t id = get16(buf);
            if (auto c = checks.find(id); c != checks.end()) {
                if (same_peer(from, up[c->second].ss)) {
                    answered(c->second);
                    up[c->second].checking = false;
                    checks.erase(c);
                }
                continue;
            }
            auto it = pending.find(id);
            if (it == pending.end() || it->second.over_tcp) continue;
            Pending& p = it->second;
            if (!same_peer(from, up[p.server].ss)) continue;  // not from whom we asked: spoofing, a late reply
            auto a = decode_upstream(p.name, p.qtype, buf, static_cast<size_t>(n));
            if (!a) continue;  // not the answer to what we asked
            answered(p.server);
            up[p.server].stats.responses[rcode_slot(a->rcode)].add();
            if (a->truncated) {
                // The whole answer over TCP, by the helper thread.
                p.over_tcp = true;
                p.truncated.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
                p.deadline = DnsClock::now() + opt.attempt_timeout + std::chrono::seconds(1);
                {
                    std::lock_guard lock(tcp_mu);
                    tcp_jobs.push_back({id, p.server, p.sent});
                }
                tcp_cv.notify_one();
                continue;
            }
            finish(p, *a);
            inflight.erase(std::string(p.key.view()));
            pending.erase(it);
            in_flight.store(pending.size(), std::memory_order_relaxed);
        }
    }

    void run_tcp() {
        for (;;) {
            TcpJob job;
            {
                std::unique_lock lock(tcp_mu);
                tcp_cv.wait(lock, [&] { return stopping || !tcp_jobs.empty(); });
                if (stopping) return;
                job = std::move(tcp_jobs.front());
                tcp_jobs.pop_front();
            }
            std::string answer = tcp_exchange(opt.upstream[job.server], job.sent, opt.attempt_timeout);
            {
                std::lock_guard lock(mu);
                completions.emplace_back(job.id, std::move(answer));
            }
            notify();
        }
    }

    void finish_tcp() {
        std::deque<std::pair<uint16_t, std::string>> done;
        {
            std::lock_guard lock(mu);
            done.swap(completions);
        }
        for (auto& [id, answer] : done) {
            auto it = pending.find(id);
            if (it == pending.end() || !it->second.over_tcp) continue;
            Pending& p = it->second;
            auto a = decode_upstream(p.name, p.qtype, reinterpret_cast<const uint8_t*>(answer.data()), answer.size());
            if (!a || a->truncated) {
                // TCP failed: the client gets TC=1 and asks us over TCP.
                a = decode_upstream(p.name, p.qtype, reinterpret_cast<const uint8_t*>(p.truncated.data()),
                                    p.truncated.size());
            }
            if (a) finish(p, *a);
            inflight.erase(std::string(p.key.view()));
            pending.erase(it);
            in_flight.store(pending.size(), std::memory_order_relaxed);
        }
    }

    void expire(DnsClock::time_point now) {
        for (auto it = pending.begin(); it != pending.end();) {
            Pending& p = it->second;
            if (p.deadline > now) {
                ++it;
                continue;
            }
            if (!p.over_tcp) {
                failed(p.server);
                if (++p.attempt < max_attempts()) {
                    p.server = next_server(p.server);
                    send_attempt(p);
                    ++it;
                    continue;
                }
            }
            for (auto& r : p.waiters) fail(r, now);
            inflight.erase(std::string(p.key.view()));
            it = pending.erase(it);
            in_flight.store(pending.size(), std::memory_order_relaxed);
        }
    }

    // --- answers to clients ---------------------------------------------

    void send_reply(const Request& r, const uint8_t* reply, size_t len, Writer w) {
        if (len < kHeaderSize) return;
        sendto(r.reply_fd, reply, len, 0, reinterpret_cast<const sockaddr*>(&r.client), r.client_len);
        stats.response(w, reply[3] & 0x0F);
        stats.duration(type_slot(r.q.qtype), micros_since(r.received));
    }

    // Completes a Chase's CNAME answer with the rendered upstream answer
    // `msg` and sends it; for a Forward, sends `msg`.
    void complete(const Request& r, uint8_t* msg, size_t len, Writer w) {
        if (!r.chase) return send_reply(r, msg, len, w);
        if (!r.alt.empty() && (len < kHeaderSize || (msg[3] & 0x0F) != kNoError))
            return send_reply(r, reinterpret_cast<const uint8_t*>(r.alt.data()), r.alt.size(), Writer::Autopath);
        std::string out = r.fallback;
        out.resize(r.max_reply + 64);
        const size_t l =
            append_chased(reinterpret_cast<uint8_t*>(out.data()), r.fallback.size(), r.max_reply, msg, len);
        send_reply(r, reinterpret_cast<const uint8_t*>(out.data()), l, Writer::Kubernetes);
    }

    size_t render_size(const Request& r) const { return r.chase ? kMaxUdpSize : r.max_reply; }

    CacheStatus from_cache(const Request& r, const CacheKey& key, bool stale_ok, DnsClock::time_point now) {
        uint8_t out[kMaxMessage];
        const CacheLookup hit = owner.cache_.answer(key, r.q, reinterpret_cast<const uint8_t*>(r.msg.data()),
                                                   render_size(r), out, cache_now_ms(now), stale_ok);
        if (hit.status == CacheStatus::Miss) return hit.status;
        if (hit.status == CacheStatus::Stale) stats.cache_served_stale.add();
        else (hit.denial ? stats.cache_hits_denial : stats.cache_hits_success).add();
        complete(r, out, hit.len, Writer::Cache);
        return hit.status;
    }

    void finish(Pending& p, const UpstreamAnswer& a) {
        const auto now = DnsClock::now();
        owner.cache_.store(p.key, a, cache_now_ms(now));
        const bool failed_answer = a.rcode == kServFail || a.rcode == kRefused;
        uint8_t out[kMaxMessage];
        for (const Request& r : p.waiters) {
            if (r.prefetch) continue;
            // The upstream could not answer: a stale entry can (RFC 8767).
            if (failed_answer && owner.cache_.options().serve_stale_s > 0 &&
                from_cache(r, p.key, true, now) != CacheStatus::Miss)
                continue;
            const size_t len = render_upstream(a, r.q, reinterpret_cast<const uint8_t*>(r.msg.data()),
                                               render_size(r), {}, out);
            complete(r, out, len, Writer::Forward);
        }
    }

    void fail(const Request& r, DnsClock::time_point now) {
        if (r.prefetch) return;
        if (from_cache(r, CacheKey::of(r.q), true, now) != CacheStatus::Miss) return;
        if (r.chase) {
            const std::string& reply = r.alt.empty() ? r.fallback : r.alt;
            send_reply(r, reinterpret_cast<const uint8_t*>(reply.data()), reply.size(), Writer::Kubernetes);
            return;
        }
        uint8_t out[kMaxUdpReply];
        send_reply(r, out, servfail_reply(r.q, reinterpret_cast<const uint8_t*>(r.msg.data()), r.max_reply, out),
                   Writer::Forward);
    }
};

Forwarder::Forwarder(const ForwardOptions& options) : options_(options), cache_(options.cache) {
    if (!options_.upstream.empty()) impl_ = std::make_unique<Impl>(*this, options_);
}

Forwarder::~Forwarder() = default;

bool Forwarder::all_down() const { return impl_ && impl_->all_down(); }

const ForwardStats& Forwarder::upstream_stats(size_t i) const { return impl_->up[i].stats; }

const DnsStats& Forwarder::stats() const {
    static const DnsStats none;
    return impl_ ? impl_->stats : none;
}

namespace {

// A request's question as it goes upstream, parsed, with the client's EDNS
// kept (it decides the reply's OPT and size).
bool make_question(const Query& q, const uint8_t* query, const Outcome& outcome, const uint8_t* reply,
                   std::string& msg, Query& parsed, std::string& fallback, std::string& alt) {
    if (outcome.action == Action::Chase) {
        msg = upstream_query(0, outcome.chase_name, outcome.chase_type);
        fallback.assign(reinterpret_cast<const char*>(reply), outcome.len);
        alt.assign(reinterpret_cast<const char*>(reply) + outcome.len, outcome.alt_len);
        if (parse_query(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), parsed) != QueryCheck::Ok)
            return false;
        parsed.edns = false;  // rendered in full, then cut to the client's size by append_chased
        parsed.udp_size = kMaxUdpSize;
        return true;
    }
    msg.assign(reinterpret_cast<const char*>(query), q.question_end);
    parsed = q;
    return true;
}

}  // namespace

void Forwarder::submit(int reply_fd, const sockaddr_storage& client, socklen_t client_len, const Query& q,
                       const uint8_t* query, const Outcome& outcome, const uint8_t* reply,
                       DnsClock::time_point received) {
    if (!impl_) return;
    Impl::Request r;
    r.reply_fd = reply_fd;
    r.client = client;
    r.client_len = client_len;
    r.chase = outcome.action == Action::Chase;
    r.received = received;
    r.max_reply = max_reply_size(q, {false, true});
    if (!make_question(q, query, outcome, reply, r.msg, r.q, r.fallback, r.alt)) return;
    impl_->push(std::move(r));
}

void Forwarder::prefetch(const Query& q) {
    if (!impl_) return;
    Impl::Request r;
    r.prefetch = true;
    r.q = q;
    r.received = DnsClock::now();
    impl_->push(std::move(r));
}

std::string Forwarder::resolve_tcp(const Query& q, const uint8_t* query, const Outcome& outcome, const uint8_t* reply,
                                   DnsStats& stats) {
    std::string msg, fallback, alt;
    Query parsed;
    const bool chase = outcome.action == Action::Chase;
    std::string out(kMaxMessage, '\0');
    auto* o = reinterpret_cast<uint8_t*>(out.data());
    auto done = [&](size_t len) {
        if (!chase) {
            out.resize(len);
            return out;
        }
        if (!alt.empty() && (len < kHeaderSize || (o[3] & 0x0F) != kNoError)) return alt;
        std::string full = fallback;
        full.resize(kMaxMessage);
        const size_t l = append_chased(reinterpret_cast<uint8_t*>(full.data()), fallback.size(), kMaxMessage, o, len);
        full.resize(l);
        return full;
    };
    if (!make_question(q, query, outcome, reply, msg, parsed, fallback, alt)) return {};
    const auto* m = reinterpret_cast<const uint8_t*>(msg.data());
    const CacheKey key = CacheKey::of(parsed);
    CacheLookup hit = cache_.answer(key, parsed, m, kMaxMessage, o, cache_now_ms(DnsClock::now()), all_down());
    if (hit.status != CacheStatus::Miss) {
        if (hit.status == CacheStatus::Stale) stats.cache_served_stale.add();
        else (hit.denial ? stats.cache_hits_denial : stats.cache_hits_success).add();
        return done(hit.len);
    }
    stats.cache_misses.add();
    thread_local std::mt19937 random{std::random_device{}()};
    const std::string sent = upstream_query(static_cast<uint16_t>(random()), parsed.wire_name(),
                                            parsed.qtype, parsed.dnssec_ok, parsed.flags & kFlagCD);
    size_t server = impl_->first_server(random);
    for (size_t attempt = 0; attempt < options_.upstream.size(); ++attempt, server = impl_->next_server(server)) {
        impl_->up[server].stats.requests.add();
        const std::string answer = tcp_exchange(options_.upstream[server], sent, options_.attempt_timeout);
        auto a = decode_upstream(parsed.wire_name(), parsed.qtype, reinterpret_cast<const uint8_t*>(answer.data()),
                                 answer.size());
        if (!a) {
            impl_->failed(server);
            continue;
        }
        impl_->answered(server);
        impl_->up[server].stats.responses[rcode_slot(a->rcode)].add();
        cache_.store(key, *a, cache_now_ms(DnsClock::now()));
        return done(render_upstream(*a, parsed, m, kMaxMessage, {}, o));
    }
    hit = cache_.answer(key, parsed, m, kMaxMessage, o, cache_now_ms(DnsClock::now()), true);
    if (hit.status != CacheStatus::Miss) {
        stats.cache_served_stale.add();
        return done(hit.len);
    }
    if (chase) return alt.empty() ? fallback : alt;
    out.resize(servfail_reply(parsed, m, kMaxMessage, o));
    return out;
}

}  // namespace svcnat::dns
