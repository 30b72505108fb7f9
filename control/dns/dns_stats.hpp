// What the DNS server counts, per thread: every UDP worker, the forwarder
// and the TCP connections each own one DnsStats and are its only writer, so
// counting is a plain load and store (no locked instruction, no cache line
// shared between workers); a scrape reads them all and sums (dns_metrics.hpp
// names them as CoreDNS does).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace svcnat::dns {

// A counter with one writer: relaxed load and store, read by the scrape.
class Counter {
public:
    void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

// A counter several threads write: a locked add. For counts per upstream
// query (the forwarder's thread and TCP connections' threads both ask),
// never per answered query.
class SharedCounter {
public:
    void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

// The query types CoreDNS's metrics name; the rest are "other".
constexpr std::array<uint16_t, 13> kCountedTypes = {1, 28, 5, 15, 2, 12, 6, 33, 16, 65, 64, 43, 48};
constexpr size_t kTypeSlots = kCountedTypes.size() + 1;
size_t type_slot(uint16_t qtype);
std::string_view type_label(size_t slot);

// RCODE 0..15 and BADVERS (16) as CoreDNS prints them.
constexpr size_t kRcodeSlots = 17;
size_t rcode_slot(uint16_t rcode);
std::string_view rcode_label(size_t slot);

// Who wrote a response: CoreDNS's `plugin` label.
enum class Writer : uint8_t { Kubernetes, Cache, Forward, Autopath, Server };
constexpr size_t kWriterSlots = 5;
std::string_view writer_label(Writer w);

// CoreDNS's request duration buckets: 0.25 ms doubling to 8.192 s.
constexpr size_t kDurationBuckets = 16;
double duration_bound(size_t bucket);

struct alignas(64) DnsStats {
    // [proto: udp, tcp][family: 1 (IPv4), 2 (IPv6)][type]
    Counter requests[2][2][kTypeSlots];
    Counter responses[kWriterSlots][kRcodeSlots];
    Counter duration_count[kTypeSlots][kDurationBuckets + 1];  // the last: over 8.192 s
    Counter duration_sum_us[kTypeSlots];
    Counter cache_hits_success, cache_hits_denial, cache_misses, cache_prefetch, cache_served_stale;
    Counter autopath_success;

    void request(bool tcp, bool ipv6, size_t type) { requests[tcp][ipv6][type].add(); }
    void response(Writer w, uint8_t rcode) { responses[static_cast<size_t>(w)][rcode_slot(rcode)].add(); }
    void duration(size_t type, uint64_t micros);
};

// The upstream side, per upstream server.
struct ForwardStats {
    SharedCounter requests;
    SharedCounter responses[kRcodeSlots];
    SharedCounter healthcheck_failures;
};

}  // namespace svcnat::dns
