// A strict parser for the Prometheus text format (0.0.4), written for the
// tests so that the exporter is checked by something it does not share code
// with. It rejects what Prometheus would reject and a few things it only
// frowns upon: samples without HELP/TYPE, families split in two, duplicate
// series, histograms whose buckets are not cumulative or lack +Inf.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace svcnat::test {

struct Sample {
    std::string name;  // full sample name (with _bucket/_sum/_count)
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct Family {
    std::string name;
    std::string help;
    std::string type;
    std::vector<Sample> samples;
};

struct ParsedMetrics {
    std::map<std::string, Family> families;
    // First problem found ("" when the text is valid).
    std::string error;
    // Value of the one sample with this name and labels; NaN when absent.
    double value(const std::string& sample, const std::map<std::string, std::string>& labels = {}) const;
};

ParsedMetrics parse_prometheus_text(const std::string& text);

}  // namespace svcnat::test
