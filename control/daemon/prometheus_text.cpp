#include "prometheus_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace svcnat {

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram bounds must be strictly ascending");
    per_bucket_.assign(bounds_.size() + 1, 0);
}

std::vector<double> Histogram::exponential_buckets(double start, double factor, int count) {
    std::vector<double> b;
    double v = start;
    for (int i = 0; i < count; ++i) {
        b.push_back(v);
        v *= factor;
    }
    return b;
}

void Histogram::observe(double value) {
    // First bound >= value: Prometheus buckets are "less than or equal".
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++per_bucket_[static_cast<size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
    std::vector<uint64_t> c(per_bucket_.size());
    uint64_t acc = 0;
    for (size_t i = 0; i < per_bucket_.size(); ++i) c[i] = acc += per_bucket_[i];
    return c;
}

std::string format_sample_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void PrometheusWriter::header(std::string_view name, std::string_view help, std::string_view type) {
    // HELP text escaping: backslash and newline only.
    std::string h;
    for (char c : help) {
        if (c == '\\') h += "\\\\";
        else if (c == '\n') h += "\\n";
        else h += c;
    }
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, h, name, type);
}

void PrometheusWriter::counter(std::string_view name, std::string_view help, double value) {
    header(name, help, "counter");
    out_ += fmt::format("{} {}\n", name, format_sample_value(value));
}

void PrometheusWriter::gauge(std::string_view name, std::string_view help, double value) {
    header(name, help, "gauge");
    out_ += fmt::format("{} {}\n", name, format_sample_value(value));
}

void PrometheusWriter::gauge_by_label(std::string_view name, std::string_view help, std::string_view label,
                                      const std::vector<std::pair<std::string, double>>& samples) {
    header(name, help, "gauge");
    for (const auto& [lv, v] : samples)
        out_ += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, escape_label_value(lv), format_sample_value(v));
}

void PrometheusWriter::histogram(std::string_view name, std::string_view help, const Histogram& h) {
    header(name, help, "histogram");
    const auto cum = h.cumulative_counts();
    const auto& bounds = h.upper_bounds();
    for (size_t i = 0; i < bounds.size(); ++i)
        out_ += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, format_sample_value(bounds[i]), cum[i]);
    out_ += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cum.back());
    out_ += fmt::format("{}_sum {}\n", name, format_sample_value(h.sum()));
    out_ += fmt::format("{}_count {}\n", name, h.count());
}

}  // namespace svcnat
