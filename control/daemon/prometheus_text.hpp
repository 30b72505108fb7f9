// Prometheus text exposition format (version 0.0.4), written by hand because
// it is small and no Debian C++ client library exists. Only what svcnat
// exports: counters, gauges (optionally with one label) and histograms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svcnat {

// Cumulative-at-render histogram with fixed upper bounds (ascending, without
// +Inf, which is implicit).
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    // kube-proxy's ExponentialBuckets(start, factor, count).
    static std::vector<double> exponential_buckets(double start, double factor, int count);

    void observe(double value);
    const std::vector<double>& upper_bounds() const { return bounds_; }
    // Observations <= upper_bounds()[i], cumulative; one more entry for +Inf.
    std::vector<uint64_t> cumulative_counts() const;
    double sum() const { return sum_; }
    uint64_t count() const { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<uint64_t> per_bucket_;  // not cumulative; last entry: above every bound
    double sum_ = 0;
    uint64_t count_ = 0;
};

// Appends one metric family (HELP, TYPE, samples) to a text body.
class PrometheusWriter {
public:
    void counter(std::string_view name, std::string_view help, double value);
    void gauge(std::string_view name, std::string_view help, double value);
    // One family, one label, several samples: name{label="value"} v.
    void gauge_by_label(std::string_view name, std::string_view help, std::string_view label,
                        const std::vector<std::pair<std::string, double>>& samples);
    void histogram(std::string_view name, std::string_view help, const Histogram& h);

    const std::string& text() const { return out_; }

private:
    void header(std::string_view name, std::string_view help, std::string_view type);
    std::string out_;
};

// Sample values as Prometheus parses them: shortest round-trip decimal,
// "+Inf", "-Inf", "NaN".
std::string format_sample_value(double v);
// Label value escaping (backslash, double quote, newline).
std::string escape_label_value(std::string_view v);

}  // namespace svcnat
