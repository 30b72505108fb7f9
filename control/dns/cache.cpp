#include "cache.hpp"

#include <algorithm>
#include <cstring>

namespace svcnat::dns {
namespace {

constexpr int kEvictionSamples = 8;
// What an entry costs besides its answer: the map node, key and bucket.
constexpr size_t kEntryOverhead = 96;

}  // namespace

CacheKey CacheKey::of(std::string_view name, uint16_t qtype, bool dnssec_ok, bool checking_disabled) {
    CacheKey k;
    std::memcpy(k.bytes.data(), name.data(), name.size());
    size_t n = name.size();
    k.bytes[n++] = static_cast<char>(qtype >> 8);
    k.bytes[n++] = static_cast<char>(qtype & 0xFF);
    k.bytes[n++] = static_cast<char>((dnssec_ok ? 1 : 0) | (checking_disabled ? 2 : 0));
    k.len = static_cast<uint16_t>(n);
    return k;
}

Cache::Cache(const CacheOptions& options)
    : options_(options),
      per_shard_(std::max<size_t>(1, (options.capacity + kShards - 1) / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {}

bool Cache::prefetch_due(Entry& e, int64_t now_ms) const {
    if (options_.prefetch_amount == 0 || e.prefetching) return false;
    if (now_ms - e.window_start_ms > int64_t{options_.prefetch_window_s} * 1000) {
        e.window_start_ms = now_ms;
        e.hits = 0;
    }
    ++e.hits;
    if (e.hits < options_.prefetch_amount) return false;
    const int64_t left_ms = e.expires_ms() - now_ms;
    if (left_ms * 100 > int64_t{e.ttl} * 1000 * options_.prefetch_percentage) return false;
    e.prefetching = true;
    return true;
}

CacheLookup Cache::answer(const CacheKey& key, const Query& q, const uint8_t* msg, size_t max_size, uint8_t* out,
                          int64_t now_ms, bool stale_ok) {
    if (!enabled()) return {};
    Shard& s = shard_of(key.view());
    std::lock_guard lock(s.mu);
    auto it = s.map.find(key.view());
    if (it == s.map.end()) return {};
    Entry& e = it->second;
    const int64_t expires = e.expires_ms();
    if (now_ms < expires) {
        const bool prefetch = prefetch_due(e, now_ms);
        const auto age = static_cast<uint32_t>((now_ms - e.stored_ms) / 1000);
        return {CacheStatus::Hit, render_upstream(e.answer, q, msg, max_size, {e.ttl, age, 0}, out), prefetch,
                e.answer.negative()};
    }
    if (now_ms >= expires + int64_t{options_.serve_stale_s} * 1000) {
        erase(s, it);  // past any use
        return {};
    }
    if (!stale_ok) return {};
    return {CacheStatus::Stale, render_upstream(e.answer, q, msg, max_size, {0, 0, kStaleTtl}, out), false,
            e.answer.negative()};
}

uint32_t Cache::store(const CacheKey& key, const UpstreamAnswer& a, int64_t now_ms) {
    if (!enabled()) return 0;
    const uint32_t ttl = cache_ttl(a, options_.ttls);
    if (ttl == 0) return 0;
    Shard& s = shard_of(key.view());
    std::lock_guard lock(s.mu);
    auto it = s.map.find(key.view());
    if (it != s.map.end()) erase(s, it);
    if (s.map.size() >= per_shard_) evict_one(s, now_ms);
    Entry e{a, now_ms, ttl, 0, now_ms, false};
    s.bytes += e.answer.bytes() + key.len + kEntryOverhead;
    if (a.negative()) ++s.denial;
    s.map.emplace(std::string(key.view()), std::move(e));
    return ttl;
}

void Cache::erase(Shard& s, std::unordered_map<std::string, Entry, Hash, std::equal_to<>>::iterator it) {
    s.bytes -= it->second.answer.bytes() + it->first.size() + kEntryOverhead;
    if (it->second.answer.negative()) --s.denial;
    s.map.erase(it);
}

void Cache::evict_one(Shard& s, int64_t now_ms) {
    if (s.map.empty()) return;
    // Sample a few entries from a bucket that moves with the clock; the
    // one that expires first goes (an expired one at once).
    const size_t buckets = s.map.bucket_count();
    auto victim = s.map.end();
    int seen = 0;
    for (size_t b = static_cast<size_t>(now_ms) % buckets, tried = 0; tried < buckets && seen < kEvictionSamples;
         b = (b + 1) % buckets, ++tried) {
        for (auto local = s.map.begin(b); local != s.map.end(b) && seen < kEvictionSamples; ++local, ++seen) {
            auto it = s.map.find(local->first);
            if (victim == s.map.end() || it->second.expires_ms() < victim->second.expires_ms()) victim = it;
            if (victim->second.expires_ms() <= now_ms) break;
        }
    }
    if (victim != s.map.end()) erase(s, victim);
}

Cache::Counts Cache::counts() const {
    Counts c;
    for (size_t i = 0; i < kShards; ++i) {
        const Shard& s = shards_[i];
        std::lock_guard lock(s.mu);
        c.success += s.map.size() - s.denial;
        c.denial += s.denial;
        c.bytes += s.bytes;
    }
    return c;
}

}  // namespace svcnat::dns
