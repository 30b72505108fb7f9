// The DNS server's UDP workers on loopback sockets: what respond() answers
// reaches the client byte for byte, a datagram larger than any query is
// dropped without disturbing the next, and bursts are answered in full.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "control/dns/server.hpp"
#include "control/os/latency.hpp"
#include "dns_fixture.hpp"

namespace svcnat::dns::test {
namespace {

constexpr const char* kManifests = R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.0.20
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: None
  ports: [{name: sql, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: data, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
ports: [{name: sql, port: 5432, protocol: TCP}]
endpoints:
- {addresses: [10.244.1.5]}
- {addresses: [10.244.2.6]}
)";

std::shared_ptr<Server> start() {
    ServerOptions o;
    o.bind = {SocketAddress{IPAddr::parse("127.0.0.1").value(), 0}};
    o.udp_workers = 1;
    auto s = std::make_shared<Server>(o);
    s->set_zone(zone_from_yaml(kManifests));
    return s;
}

// A UDP socket connected to the server, with a receive timeout.
class Client {
public:
    explicit Client(const Server& s) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(s.bound().front().port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        timeval tv{2, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Client() { close(fd_); }
    void send(const std::string& msg) const { ::send(fd_, msg.data(), msg.size(), 0); }
    // The next reply, "" after the timeout.
    std::string receive() const {
        std::string buf(65535, '\0');
        const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
        buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
        return buf;
    }
    std::string ask(const std::string& msg) const {
        send(msg);
        return receive();
    }

private:
    int fd_;
};

Decoded decoded(const std::string& reply) {
    return decode(reinterpret_cast<const uint8_t*>(reply.data()), reply.size());
}

std::vector<std::string> mixed_queries() {
    std::vector<std::string> q;
    uint16_t id = 1;
    for (const char* name : {"web.default.svc.cluster.local", "db.data.svc.cluster.local", "WEB.Default.svc.cluster.local",
                             "nosuch.default.svc.cluster.local", "_sql._tcp.db.data.svc.cluster.local", "example.org"})
        for (uint16_t type : {1, 28, 33, 16}) q.push_back(make_query(name, type, {.id = id++}));
    q.push_back(make_query("web.default.svc.cluster.local", 1, {.id = id++, .edns = true, .udp_size = 4096}));
    return q;
}

TEST(DnsServer, AnswersOverUdpAsTheResponderDoes) {
    auto server = start();
    const std::shared_ptr<const Zone> zone = server->zone();
    Client c(*server);
    const auto queries = mixed_queries();
    for (size_t i = 0; i < queries.size(); ++i) {
        const std::string reply = c.ask(queries[i]);
        ASSERT_FALSE(reply.empty()) << "query " << i << " got no answer";
        // The same bytes as the responder's (no upstream: REFUSED for example.org).
        std::vector<uint8_t> out(kMaxUdpReply);
        const auto* in = reinterpret_cast<const uint8_t*>(queries[i].data());
        Query q;
        const QueryCheck check = parse_query(in, queries[i].size(), q);
        const Outcome o = respond(zone.get(), in, q, check, {false, false}, out.data());
        ASSERT_EQ(o.action, Action::Reply) << "query " << i;
        EXPECT_EQ(reply, std::string(reinterpret_cast<const char*>(out.data()), o.len)) << "query " << i;
    }
    const Decoded web = decoded(c.ask(queries[0]));
    ASSERT_TRUE(web.ok);
    EXPECT_EQ(web.answer, std::vector<std::string>{"web.default.svc.cluster.local. 30 A 10.96.0.20"});
    // Larger than any query: dropped; the next query still gets its answer.
    c.send(std::string(5000, 'x'));
    EXPECT_EQ(decoded(c.ask(make_query("web.default.svc.cluster.local", 1, {.id = 999}))).id, 999);
}

// The server's IPv4 UDP socket, found among this process's descriptors by
// the port it is bound to; -1 when there is none.
int udp_socket_on(uint16_t port) {
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::stoi(e.path().filename().string());
        int type = 0;
        socklen_t type_len = sizeof type;
        sockaddr_in a{};
        socklen_t len = sizeof a;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_DGRAM) continue;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || a.sin_family != AF_INET) continue;
        if (ntohs(a.sin_port) == port) return fd;
    }
    return -1;
}

// RFC 9715: replies with DF set, path-MTU information (forgeable ICMP)
// ignored; the mode also spares the kernel an IP ID hash per reply.
TEST(DnsServer, Ipv4RepliesAreSentWithDontFragmentIgnoringPathMtu) {
    auto server = start();
    const int fd = udp_socket_on(server->bound().front().port);
    ASSERT_GE(fd, 0);
    int mode = -1;
    socklen_t len = sizeof mode;
    ASSERT_EQ(getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, &len), 0);
    EXPECT_EQ(mode, IP_PMTUDISC_PROBE);
    Client c(*server);
    EXPECT_FALSE(c.ask(make_query("web.default.svc.cluster.local", 1)).empty());
}

TEST(DnsServer, ABurstIsAnsweredInFull) {
    // Queries in flight all the time, more than one recvmmsg takes (32).
    auto server = start();
    Client c(*server);
    constexpr int kQueries = 3000, kWindow = 150;  // 150 queries fit the socket's default buffer (208 KiB)
    std::set<uint16_t> answered;
    int sent = 0;
    while (static_cast<int>(answered.size()) < kQueries) {
        while (sent < kQueries && sent - static_cast<int>(answered.size()) < kWindow)
            c.send(make_query("web.default.svc.cluster.local", 1, {.id = static_cast<uint16_t>(sent++)}));
        const std::string r = c.receive();
        ASSERT_FALSE(r.empty()) << "no answer after " << answered.size();
        const Decoded d = decoded(r);
        ASSERT_TRUE(d.ok);
        answered.insert(d.id);
    }
    EXPECT_EQ(answered.size(), static_cast<size_t>(kQueries));
}

struct SchedAttr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

// The slice (sched_attr's sched_runtime, 0 for the default) of every thread of this process.
std::vector<uint64_t> thread_slices() {
    std::vector<uint64_t> out;
    for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
        SchedAttr a{};
        if (syscall(SYS_sched_getattr, std::stoi(t.path().filename().string()), &a, sizeof a, 0) == 0)
            out.push_back(a.runtime);
    }
    return out;
}

// Whether this kernel keeps a slice asked for (6.12 and later).
bool kernel_keeps_slices() {
    uint64_t got = 0;
    std::thread([&] {
        SchedAttr a{};
        if (request_short_slice() && syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) == 0) got = a.runtime;
    }).join();
    return got == kShortSliceNs;
}

TEST(DnsServer, UdpWorkersAskForShortSlices) {
    // What a query waits on wakes up in its own short slice (control/os/latency.hpp),
    // and only that: the TCP listener and the caller's threads keep the default.
    if (!kernel_keeps_slices()) GTEST_SKIP() << "this kernel (before 6.12) keeps no slice for SCHED_OTHER";
    const auto before = thread_slices();
    auto server = start();
    Client c(*server);
    ASSERT_FALSE(c.ask(make_query("web.default.svc.cluster.local", 1, {.id = 9})).empty());  // the worker has started
    const auto after = thread_slices();
    EXPECT_EQ(std::count(before.begin(), before.end(), kShortSliceNs), 0);
    EXPECT_EQ(std::count(after.begin(), after.end(), kShortSliceNs), 1) << "one UDP worker";
    EXPECT_EQ(after.size(), before.size() + 2) << "a UDP worker and the TCP listener";
}

// Context switches (voluntary and not) of each thread of this process, by thread id.
std::map<int, long> thread_switches() {
    std::map<int, long> out;
    for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream status(t.path() / "status");
        long sum = 0;
        for (std::string line; std::getline(status, line);)
            if (line.find("ctxt_switches:") != std::string::npos) sum += std::stol(line.substr(line.find(':') + 1));
        out[std::stoi(t.path().filename().string())] = sum;
    }
    return out;
}

TEST(DnsServer, AnIdleServerDoesNotWakeUpAndStillStops) {
    // Its threads block until a query or the stop: no timeouts that poll a
    // flag (those cost a wake-up per thread 5 times a second), and the
    // forwarder's 50 ms tick runs only while a query is out or an upstream
    // is down.
    const int upstream = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // never answers; nothing is asked
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(upstream, reinterpret_cast<sockaddr*>(&a), &len);
    const auto before = thread_switches();
    ServerOptions o;
    o.bind = {SocketAddress{IPAddr::parse("127.0.0.1").value(), 0}};
    o.forward.upstream = {SocketAddress{IPAddr::parse("127.0.0.1").value(), ntohs(a.sin_port)}};
    auto server = std::make_shared<Server>(o);
    server->set_zone(zone_from_yaml(kManifests));
    Client c(*server);
    ASSERT_FALSE(c.ask(make_query("web.default.svc.cluster.local", 1, {.id = 7})).empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // settled
    std::vector<int> own;
    for (const auto& [tid, n] : thread_switches())
        if (!before.count(tid)) own.push_back(tid);
    ASSERT_EQ(own.size(), 4u) << "a UDP worker, the TCP listener, the forwarder's UDP and TCP threads";
    const auto idle_from = thread_switches();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const auto idle_to = thread_switches();
    for (int tid : own) EXPECT_EQ(idle_to.at(tid), idle_from.at(tid)) << "thread " << tid << " woke up while idle";
    const auto t0 = std::chrono::steady_clock::now();
    server.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2)) << "the stop was not seen at once";
    close(upstream);
}

}  // namespace
}  // namespace svcnat::dns::test
