// The upstream side's pure parts: an upstream answer decoded once and
// rendered for each client (its ID, its question's case, its EDNS, TTLs
// counted down), which answers may be cached and for how long (RFC 2308,
// CoreDNS's `cache`), serve-stale (RFC 8767), prefetch and the capacity
// bound. Replies are checked with the independent decoder of dns_fixture.
#include <gtest/gtest.h>

#include <deque>

#include "control/dns/cache.hpp"
#include "control/dns/rr.hpp"
#include "dns_fixture.hpp"

namespace svcnat::dns::test {
namespace {

struct Record {
    std::string owner;  // dotted
    uint16_t type;
    uint32_t ttl;
    std::vector<Rdata> rdata;
    std::string keep;  // storage for names in rdata
};

// An upstream's answer to `name`/`type`, as a resolver sends it: owners of
// the answer records compressed to the question when they equal it.
std::string upstream_message(const std::string& name, uint16_t type, uint8_t rcode, const std::vector<Record>& answer,
                             const std::vector<Record>& authority = {}, bool tc = false, bool opt = true) {
    std::string m;
    StringSink sink(m);
    const uint16_t flags = static_cast<uint16_t>(kFlagQR | kFlagRD | kFlagRA | (tc ? kFlagTC : 0) | rcode);
    for (uint16_t w : {uint16_t{0x4242}, flags, uint16_t{1}, static_cast<uint16_t>(answer.size()),
                       static_cast<uint16_t>(authority.size()), static_cast<uint16_t>(opt ? 1 : 0)})
        put_u16(sink, w);
    const std::string qname = to_wire(name);
    sink.put(qname.data(), qname.size());
    put_u16(sink, type);
    put_u16(sink, kClassIN);
    const Pointer to_question(kHeaderSize);
    for (const auto* section : {&answer, &authority})
        for (const Record& r : *section) {
            const std::string owner = to_wire(r.owner);
            const std::string_view o = owner == qname ? to_question.view() : std::string_view(owner);
            write_rr(sink, o, {r.type, r.ttl}, std::span<const Rdata>(r.rdata));
        }
    if (opt) write_rr(sink, std::string_view("", 1), {kTypeOPT, 0, 1232}, {});
    return m;
}

Record a_record(const std::string& owner, const char* ip, uint32_t ttl) {
    static std::deque<IPAddr> keep;  // Rdata::address points into it
    keep.push_back(*IPAddr::parse(ip));
    return {owner, kTypeA, ttl, {Rdata::address(keep.back())}, {}};
}

Record soa_record(const std::string& zone, uint32_t ttl, uint32_t minimum) {
    static std::deque<std::string> names;
    names.push_back(to_wire("ns." + zone));
    const std::string_view mname = names.back();
    names.push_back(to_wire("hostmaster." + zone));
    const std::string_view rname = names.back();
    return {zone, kTypeSOA, ttl,
            {Rdata::name(mname), Rdata::name(rname), Rdata::u32(1), Rdata::u32(7200), Rdata::u32(1800),
             Rdata::u32(86400), Rdata::u32(minimum)},
            {}};
}

UpstreamAnswer decoded(const std::string& name, uint16_t type, const std::string& msg) {
    auto a = decode_upstream(to_wire(name), type, reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
    EXPECT_TRUE(a.has_value());
    return a.value_or(UpstreamAnswer{});
}

struct Client {
    std::string msg;
    Query q;
    explicit Client(const std::string& m) : msg(m) {
        EXPECT_EQ(parse_query(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), q), QueryCheck::Ok);
    }
    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(msg.data()); }
};

Decoded render(const UpstreamAnswer& a, const Client& c, const RenderTtl& ttl = {}) {
    uint8_t out[65535];
    const size_t max = max_reply_size(c.q, {false, true});
    const size_t len = render_upstream(a, c.q, c.data(), max, ttl, out);
    EXPECT_LE(len, max);
    return decode(out, len);
}

Decoded from_cache(Cache& cache, const Client& c, int64_t now_ms, bool stale_ok, CacheLookup* lookup = nullptr) {
    uint8_t out[65535];
    const CacheLookup l =
        cache.answer(CacheKey::of(c.q), c.q, c.data(), max_reply_size(c.q, {false, true}), out, now_ms, stale_ok);
    if (lookup) *lookup = l;
    if (l.status == CacheStatus::Miss) return {};
    return decode(out, l.len);
}

const std::string kName = "api.example.com";

TEST(UpstreamAnswer, RenderedForEachClientWithItsIdCaseAndEdns) {
    const auto a = decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError,
                                                           {a_record(kName, "192.0.2.10", 300),
                                                            a_record(kName, "192.0.2.11", 300)}));
    EXPECT_EQ(a.an, 2);
    EXPECT_EQ(a.ar, 0);  // the upstream's OPT is not kept
    Client plain(make_query("API.Example.com", kTypeA, {.id = 0x7777}));
    Decoded d = render(a, plain);
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.id, 0x7777);
    EXPECT_TRUE(d.qr);
    EXPECT_TRUE(d.ra);
    EXPECT_TRUE(d.rd);
    EXPECT_FALSE(d.aa);
    EXPECT_FALSE(d.opt);
    EXPECT_EQ(d.question, "API.Example.com. 1");
    EXPECT_EQ(d.answer, (std::vector<std::string>{"API.Example.com. 300 A 192.0.2.10", "API.Example.com. 300 A 192.0.2.11"}));
    Client edns(make_query(kName, kTypeA, {.edns = true}));
    d = render(a, edns);
    EXPECT_TRUE(d.opt);
    EXPECT_EQ(d.opt_udp_size, 1232);
    EXPECT_EQ(d.answer.size(), 2u);
}

TEST(UpstreamAnswer, AnswerToAnotherQuestionIsRefused) {
    const std::string m = upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.10", 300)});
    const auto* p = reinterpret_cast<const uint8_t*>(m.data());
    EXPECT_FALSE(decode_upstream(to_wire("other.example.com"), kTypeA, p, m.size()));
    EXPECT_FALSE(decode_upstream(to_wire(kName), kTypeAAAA, p, m.size()));
    EXPECT_FALSE(decode_upstream(to_wire(kName), kTypeA, p, m.size() - 3));  // cut in a record
    EXPECT_TRUE(decode_upstream(to_wire(kName), kTypeA, p, m.size()));
}

TEST(UpstreamAnswer, TooLargeForTheClientIsTruncatedWithoutRecords) {
    std::vector<Record> many;
    for (int i = 0; i < 40; ++i) many.push_back(a_record(kName, ("192.0.2." + std::to_string(i + 1)).c_str(), 60));
    const auto a = decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, many));
    // 40 x 16 bytes: more than 512, less than 1232.
    Decoded d = render(a, Client(make_query(kName, kTypeA)));
    EXPECT_TRUE(d.tc);
    EXPECT_TRUE(d.answer.empty());
    d = render(a, Client(make_query(kName, kTypeA, {.edns = true, .udp_size = 1232})));
    EXPECT_FALSE(d.tc);
    EXPECT_EQ(d.answer.size(), 40u);
}

TEST(CacheTtl, PositiveIsTheSmallestTtlWithinTheBounds) {
    const CacheTtls ttls;  // 5..3600, denial 5..1800
    auto ttl = [&](std::vector<Record> rs) {
        return cache_ttl(decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, rs)), ttls);
    };
    EXPECT_EQ(ttl({a_record(kName, "192.0.2.1", 300), a_record(kName, "192.0.2.2", 120)}), 120u);
    EXPECT_EQ(ttl({a_record(kName, "192.0.2.1", 0)}), 5u);
    EXPECT_EQ(ttl({a_record(kName, "192.0.2.1", 86400)}), 3600u);
}

TEST(CacheTtl, NegativeLivesForTheSoaMinimumAndWithoutSoaNotAtAll) {
    const CacheTtls ttls;
    auto ttl = [&](uint8_t rcode, std::vector<Record> authority) {
        return cache_ttl(decoded(kName, kTypeA, upstream_message(kName, kTypeA, rcode, {}, authority)), ttls);
    };
    EXPECT_EQ(ttl(kNXDomain, {soa_record("example.com", 3600, 60)}), 60u);    // min(TTL, MINIMUM)
    EXPECT_EQ(ttl(kNoError, {soa_record("example.com", 40, 600)}), 40u);      // NODATA
    EXPECT_EQ(ttl(kNXDomain, {soa_record("example.com", 86400, 86400)}), 1800u);
    EXPECT_EQ(ttl(kNXDomain, {}), 0u);  // RFC 2308 5: no SOA, no caching
}

TEST(CacheTtl, FailuresAndTruncatedAnswersAreNotCached) {
    const CacheTtls ttls;
    EXPECT_EQ(cache_ttl(decoded(kName, kTypeA, upstream_message(kName, kTypeA, kServFail, {})), ttls), 0u);
    EXPECT_EQ(cache_ttl(decoded(kName, kTypeA, upstream_message(kName, kTypeA, kRefused, {})), ttls), 0u);
    EXPECT_EQ(cache_ttl(decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError,
                                                                {a_record(kName, "192.0.2.1", 300)}, {}, true)),
                        ttls),
              0u);
}

CacheOptions options(size_t capacity = 1000) {
    CacheOptions o;
    o.capacity = capacity;
    return o;
}

TEST(Cache, HitsCountTheTtlDownAndExpire) {
    Cache cache(options());
    const Client c(make_query(kName, kTypeA));
    EXPECT_EQ(from_cache(cache, c, 0, false).ok, false);  // a miss
    EXPECT_EQ(cache.store(CacheKey::of(c.q),
                          decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.1", 300)})),
                          1000),
              300u);
    EXPECT_EQ(from_cache(cache, c, 1000, false).answer, std::vector<std::string>{"api.example.com. 300 A 192.0.2.1"});
    EXPECT_EQ(from_cache(cache, c, 3500, false).answer, std::vector<std::string>{"api.example.com. 298 A 192.0.2.1"});
    EXPECT_EQ(from_cache(cache, c, 300'999, false).answer, std::vector<std::string>{"api.example.com. 1 A 192.0.2.1"});
    CacheLookup l;
    from_cache(cache, c, 301'000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);
    EXPECT_EQ(cache.counts().success, 0u);  // gone once past use
}

TEST(Cache, NegativeAnswersAreCachedWithTheirSoa) {
    Cache cache(options());
    const Client c(make_query("nope.example.com", kTypeA));
    cache.store(CacheKey::of(c.q),
                decoded("nope.example.com", kTypeA,
                        upstream_message("nope.example.com", kTypeA, kNXDomain, {}, {soa_record("example.com", 3600, 60)})),
                0);
    EXPECT_EQ(cache.counts().denial, 1u);
    CacheLookup l;
    Decoded d = from_cache(cache, c, 10'000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Hit);
    EXPECT_TRUE(l.denial);
    EXPECT_EQ(d.rcode, kNXDomain);
    ASSERT_EQ(d.authority.size(), 1u);
    EXPECT_EQ(d.authority[0].substr(0, 20), "example.com. 50 SOA ");  // 60 less 10 s
    from_cache(cache, c, 60'000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);
}

TEST(Cache, StaleEntriesAnswerOnlyWhenAllowedAndWithinTheBound) {
    CacheOptions o = options();
    o.serve_stale_s = 3600;
    Cache cache(o);
    const Client c(make_query(kName, kTypeA));
    cache.store(CacheKey::of(c.q),
                decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.1", 60)})), 0);
    CacheLookup l;
    from_cache(cache, c, 61'000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);  // expired: the upstream is asked first
    Decoded d = from_cache(cache, c, 61'000, true, &l);
    EXPECT_EQ(l.status, CacheStatus::Stale);
    EXPECT_EQ(d.answer, std::vector<std::string>{"api.example.com. 30 A 192.0.2.1"});  // RFC 8767's 30 s
    from_cache(cache, c, 60'000 + 3'600'000, true, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);
}

TEST(Cache, PopularEntriesArePrefetchedOnceNearTheirExpiry) {
    CacheOptions o = options();
    o.prefetch_amount = 2;
    Cache cache(o);
    const Client c(make_query(kName, kTypeA));
    const auto key = CacheKey::of(c.q);
    const auto answer = decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.1", 100)}));
    cache.store(key, answer, 0);
    CacheLookup l;
    from_cache(cache, c, 1'000, false, &l);
    EXPECT_FALSE(l.prefetch);
    from_cache(cache, c, 50'000, false, &l);
    EXPECT_FALSE(l.prefetch);  // asked twice within a minute, but 50 % of the TTL is left
    from_cache(cache, c, 91'000, false, &l);
    EXPECT_FALSE(l.prefetch);  // within the last 10 %, but the only hit of its minute
    from_cache(cache, c, 95'000, false, &l);
    EXPECT_TRUE(l.prefetch);   // the second hit of the minute, within the last 10 %
    from_cache(cache, c, 96'000, false, &l);
    EXPECT_FALSE(l.prefetch);  // one refresh is on its way
    cache.store(key, answer, 97'000);
    from_cache(cache, c, 98'000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Hit);
    EXPECT_FALSE(l.prefetch);
}

TEST(Cache, DoBitAndTypeAreOfTheKey) {
    Cache cache(options());
    const Client c(make_query(kName, kTypeA));
    cache.store(CacheKey::of(c.q),
                decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.1", 60)})), 0);
    CacheLookup l;
    from_cache(cache, Client(make_query(kName, kTypeAAAA)), 1000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);
    from_cache(cache, Client(upstream_query(1, to_wire(kName), kTypeA, /*dnssec_ok=*/true)), 1000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Miss);
    from_cache(cache, Client(make_query("API.EXAMPLE.COM", kTypeA)), 1000, false, &l);
    EXPECT_EQ(l.status, CacheStatus::Hit);
}

TEST(Cache, CapacityBoundsTheEntries) {
    Cache cache(options(640));
    for (int i = 0; i < 5000; ++i) {
        const std::string name = "n" + std::to_string(i) + ".example.com";
        const Client c(make_query(name, kTypeA));
        cache.store(CacheKey::of(c.q),
                    decoded(name, kTypeA, upstream_message(name, kTypeA, kNoError, {a_record(name, "192.0.2.1", 60 + i % 100)})),
                    i);
    }
    const auto n = cache.counts();
    EXPECT_LE(n.success, 640u);
    EXPECT_GE(n.success, 600u);
    EXPECT_GT(n.bytes, n.success * 50);
}

TEST(Cache, NoCapacityMeansNoCache) {
    Cache cache(options(0));
    const Client c(make_query(kName, kTypeA));
    EXPECT_EQ(cache.store(CacheKey::of(c.q),
                          decoded(kName, kTypeA, upstream_message(kName, kTypeA, kNoError, {a_record(kName, "192.0.2.1", 60)})), 0),
              0u);
}

}  // namespace
}  // namespace svcnat::dns::test
