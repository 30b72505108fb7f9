// The cache of upstream answers (CoreDNS's `cache` plugin, RFC 2308 for
// negative answers, RFC 8767 for serving stale data): keyed by the question
// (lowercase name, type) and the DO and CD bits, each entry an
// UpstreamAnswer with the time it was stored and how long it lives. The UDP
// workers answer hits themselves; misses go to the forwarder, which stores
// what comes back. Times are passed in (milliseconds of a monotonic clock),
// so tests step them.
//
// Why sharded maps under mutexes: a hit is one hash, one uncontended lock
// (~20 ns) and a render, next to the ~2 µs a UDP datagram costs the kernel;
// with 64 shards and at most a few workers, two workers rarely meet on one
// lock. A full shard evicts the entry closest to expiry among a few sampled
// (CoreDNS evicts a random one).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "upstream_answer.hpp"

namespace svcnat::dns {

struct CacheOptions {
    size_t capacity = 0;  // entries; 0: no cache
    CacheTtls ttls;
    // Prefetch (CoreDNS `prefetch AMOUNT DURATION PERCENTAGE%`): an entry
    // asked `prefetch_amount` times within `prefetch_window_s` is fetched
    // again when `prefetch_percentage` of its TTL is left. 0: never.
    uint32_t prefetch_amount = 0;
    uint32_t prefetch_window_s = 60;
    uint32_t prefetch_percentage = 10;
    // Serve-stale (CoreDNS `serve_stale`, RFC 8767): how long past its
    // expiry an entry may still answer when no upstream does. 0: never.
    uint32_t serve_stale_s = 0;
    bool operator==(const CacheOptions&) const = default;
};

// RFC 8767 4: stale answers carry a TTL of 30 s.
constexpr uint32_t kStaleTtl = 30;

struct CacheKey {
    std::array<char, kMaxNameWire + 3> bytes{};
    uint16_t len = 0;
    std::string_view view() const { return {bytes.data(), len}; }
    // The key of a question: its lowercase wire name, type, DO and CD.
    static CacheKey of(std::string_view name, uint16_t qtype, bool dnssec_ok, bool checking_disabled);
    static CacheKey of(const Query& q) { return of(q.wire_name(), q.qtype, q.dnssec_ok, q.flags & kFlagCD); }
};

enum class CacheStatus { Miss, Hit, Stale };

struct CacheLookup {
    CacheStatus status = CacheStatus::Miss;
    size_t len = 0;         // the reply written (Hit, Stale)
    bool prefetch = false;  // Hit: popular and about to expire; fetch it again now
    bool denial = false;    // a negative answer (NXDOMAIN, NODATA)
};

class Cache {
public:
    explicit Cache(const CacheOptions& options);
    bool enabled() const { return options_.capacity > 0; }
    const CacheOptions& options() const { return options_; }

    // The reply to the client's query `msg` (parsed as `q`) from the entry
    // for `key`, written into `out` (max_size bytes): fresh, or past its
    // expiry but within serve_stale when `stale_ok` (TTL kStaleTtl).
    CacheLookup answer(const CacheKey& key, const Query& q, const uint8_t* msg, size_t max_size, uint8_t* out,
                       int64_t now_ms, bool stale_ok);

    // Stores `a` for `key` when it may be cached; returns its TTL, 0 when
    // it was not stored (not cacheable, or no cache).
    uint32_t store(const CacheKey& key, const UpstreamAnswer& a, int64_t now_ms);

    struct Counts {
        size_t success = 0, denial = 0, bytes = 0;
    };
    Counts counts() const;

private:
    struct Entry {
        UpstreamAnswer answer;
        int64_t stored_ms = 0;
        uint32_t ttl = 0;
        uint32_t hits = 0;            // within the prefetch window
        int64_t window_start_ms = 0;  // of the prefetch window
        bool prefetching = false;     // a refresh is on its way
        int64_t expires_ms() const { return stored_ms + int64_t{ttl} * 1000; }
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Shard {
        mutable std::mutex mu;
        std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map;
        size_t denial = 0, bytes = 0;
    };
    static constexpr size_t kShards = 64;

    Shard& shard_of(std::string_view key) { return shards_[Hash{}(key) % kShards]; }
    void evict_one(Shard& s, int64_t now_ms);
    void erase(Shard& s, std::unordered_map<std::string, Entry, Hash, std::equal_to<>>::iterator it);
    bool prefetch_due(Entry& e, int64_t now_ms) const;

    CacheOptions options_;
    size_t per_shard_;
    std::unique_ptr<Shard[]> shards_;
};

}  // namespace svcnat::dns
