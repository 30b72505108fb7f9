#include "dns_metrics.hpp"

#include <array>
#include <limits>
#include <vector>

#include "control/sync/metric_families.hpp"

namespace svcnat::dns {
namespace {

// CoreDNS's default Corefile serves every name from one server block ".".
constexpr const char* kZone = ".";

// The sum of every thread's counters for one listening address.
struct Totals {
    uint64_t requests[2][2][kTypeSlots] = {};
    uint64_t responses[kWriterSlots][kRcodeSlots] = {};
    uint64_t duration_count[kTypeSlots][kDurationBuckets + 1] = {};
    uint64_t duration_sum_us[kTypeSlots] = {};
    uint64_t hits_success = 0, hits_denial = 0, misses = 0, prefetch = 0, stale = 0, autopath = 0;

    void add(const DnsStats& s) {
        for (size_t p = 0; p < 2; ++p)
            for (size_t f = 0; f < 2; ++f)
                for (size_t t = 0; t < kTypeSlots; ++t) requests[p][f][t] += s.requests[p][f][t].get();
        for (size_t w = 0; w < kWriterSlots; ++w)
            for (size_t r = 0; r < kRcodeSlots; ++r) responses[w][r] += s.responses[w][r].get();
        for (size_t t = 0; t < kTypeSlots; ++t) {
            for (size_t b = 0; b <= kDurationBuckets; ++b) duration_count[t][b] += s.duration_count[t][b].get();
            duration_sum_us[t] += s.duration_sum_us[t].get();
        }
        hits_success += s.cache_hits_success.get();
        hits_denial += s.cache_hits_denial.get();
        misses += s.cache_misses.get();
        prefetch += s.cache_prefetch.get();
        stale += s.cache_served_stale.get();
        autopath += s.autopath_success.get();
    }
};

void add_histogram(prometheus::MetricFamily& f, const uint64_t (&counts)[kDurationBuckets + 1], uint64_t sum_us,
                   MetricLabels labels) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kDurationBuckets; ++b) {
        cumulative += counts[b];
        m.histogram.bucket.push_back({cumulative, duration_bound(b)});
    }
    cumulative += counts[kDurationBuckets];
    m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = static_cast<double>(sum_us) / 1e6;
    f.metric.push_back(std::move(m));
}

}  // namespace

std::string server_label(const SocketAddress& a) { return "dns://" + a.str(); }

std::vector<prometheus::MetricFamily> DnsMetrics::Collect() const {
    const auto& bound = server_->bound();
    const Forwarder& fwd = server_->forwarder();
    std::vector<Totals> per_bind(bound.size());
    for (const auto& c : server_->counters()) per_bind[c.bind_index].add(*c.stats);
    // The forwarder's one thread answers for every address: what it counts
    // (forwarded answers, their durations, prefetches) goes under the first.
    if (!per_bind.empty()) per_bind[0].add(fwd.stats());

    MetricFamilies fs("coredns_");
    auto& requests = fs.counter("dns_requests_total", "Counter of DNS requests made per zone, protocol and family.");
    auto& responses = fs.counter("dns_responses_total", "Counter of response status codes.");
    auto& duration = fs.histogram("dns_request_duration_seconds", "Histogram of the time (in seconds) each request took per zone.");
    auto& hits = fs.counter("cache_hits_total", "The count of cache hits.");
    auto& misses = fs.counter("cache_misses_total", "The count of cache misses.");
    auto& prefetch = fs.counter("cache_prefetch_total", "The number of times the cache has prefetched a cached item.");
    auto& stale = fs.counter("cache_served_stale_total", "The number of requests served from stale cache entries.");
    auto& autopath = fs.counter("autopath_success_total", "Counter of requests that did autopath.");
    for (size_t b = 0; b < per_bind.size(); ++b) {
        const Totals& t = per_bind[b];
        const std::string server = server_label(bound[b]);
        for (size_t p = 0; p < 2; ++p)
            for (size_t f = 0; f < 2; ++f)
                for (size_t ty = 0; ty < kTypeSlots; ++ty)
                    if (t.requests[p][f][ty])
                        add_sample(requests, static_cast<double>(t.requests[p][f][ty]),
                                   {{"server", server}, {"zone", kZone}, {"view", ""}, {"proto", p ? "tcp" : "udp"},
                                    {"family", f ? "2" : "1"}, {"type", std::string(type_label(ty))}});
        for (size_t w = 0; w < kWriterSlots; ++w)
            for (size_t r = 0; r < kRcodeSlots; ++r)
                if (t.responses[w][r])
                    add_sample(responses, static_cast<double>(t.responses[w][r]),
                               {{"server", server}, {"zone", kZone}, {"view", ""},
                                {"rcode", std::string(rcode_label(r))},
                                {"plugin", std::string(writer_label(static_cast<Writer>(w)))}});
        for (size_t ty = 0; ty < kTypeSlots; ++ty) {
            uint64_t n = 0;
            for (uint64_t c : t.duration_count[ty]) n += c;
            if (n)
                add_histogram(duration, t.duration_count[ty], t.duration_sum_us[ty],
                              {{"server", server}, {"zone", kZone}, {"view", ""}, {"type", std::string(type_label(ty))}});
        }
        add_sample(hits, static_cast<double>(t.hits_success), {{"server", server}, {"type", "success"}, {"zones", kZone}, {"view", ""}});
        add_sample(hits, static_cast<double>(t.hits_denial), {{"server", server}, {"type", "denial"}, {"zones", kZone}, {"view", ""}});
        add_sample(misses, static_cast<double>(t.misses), {{"server", server}, {"zones", kZone}, {"view", ""}});
        add_sample(prefetch, static_cast<double>(t.prefetch), {{"server", server}, {"zones", kZone}, {"view", ""}});
        add_sample(stale, static_cast<double>(t.stale), {{"server", server}, {"zones", kZone}, {"view", ""}});
        add_sample(autopath, static_cast<double>(t.autopath), {{"server", server}});
    }

    const Cache::Counts entries = fwd.cache().counts();
    const std::string first = bound.empty() ? "dns://" : server_label(bound[0]);
    auto& cache_entries = fs.gauge("cache_entries", "The number of elements in the cache.");
    add_sample(cache_entries, static_cast<double>(entries.success), {{"server", first}, {"type", "success"}, {"zones", kZone}, {"view", ""}});
    add_sample(cache_entries, static_cast<double>(entries.denial), {{"server", first}, {"type", "denial"}, {"zones", kZone}, {"view", ""}});

    auto& fwd_requests = fs.counter("forward_requests_total", "Counter of requests made per upstream.");
    auto& fwd_responses = fs.counter("forward_responses_total", "Counter of responses received per upstream.");
    auto& fwd_hc = fs.counter("forward_healthcheck_failures_total", "Counter of the number of failed healthchecks.");
    for (size_t i = 0; i < fwd.upstream().size(); ++i) {
        const ForwardStats& u = fwd.upstream_stats(i);
        const std::string to = fwd.upstream()[i].str();
        add_sample(fwd_requests, static_cast<double>(u.requests.get()), {{"to", to}});
        for (size_t r = 0; r < kRcodeSlots; ++r)
            if (u.responses[r].get())
                add_sample(fwd_responses, static_cast<double>(u.responses[r].get()),
                           {{"to", to}, {"rcode", std::string(rcode_label(r))}});
        add_sample(fwd_hc, static_cast<double>(u.healthcheck_failures.get()), {{"to", to}});
    }
    add_sample(fs.gauge("build_info", "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built."),
               1, {{"version", version_}, {"revision", revision_}, {"goversion", "none (svcnat, C++20)"}});
    return fs.take();
}

}  // namespace svcnat::dns
