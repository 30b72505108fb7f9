// Reading a /metrics body in tests. Whether the text is valid Prometheus
// exposition is promtool's call (promtool_problems); here only the value of
// one sample, by name and labels, and the declared type of a family.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace svcnat::test {

using MetricLabels = std::map<std::string, std::string>;

class MetricsText {
public:
    explicit MetricsText(std::string text) : text_(std::move(text)) {}
    const std::string& text() const { return text_; }

    // NaN when no sample has exactly this name and these labels.
    double value(const std::string& name, const MetricLabels& labels = {}) const {
        std::istringstream in(text_);
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#') continue;
            MetricLabels got;
            size_t pos = line.find_first_of("{ ");
            if (pos == std::string::npos || line.compare(0, pos, name) != 0 || pos != name.size()) continue;
            if (line[pos] == '{' && !parse_labels(line, pos, got)) continue;
            if (got != labels) continue;
            return std::strtod(line.c_str() + line.find(' ', pos) + 1, nullptr);
        }
        return std::nan("");
    }
    // "counter", "gauge", "histogram", ... or "" when not declared.
    std::string type(const std::string& name) const {
        const std::string prefix = "# TYPE " + name + " ";
        std::istringstream in(text_);
        for (std::string line; std::getline(in, line);)
            if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
        return "";
    }
    // Samples of a family (name, name_bucket/_sum/_count for histograms).
    size_t samples(const std::string& name) const {
        size_t n = 0;
        std::istringstream in(text_);
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '#' && line.rfind(name, 0) == 0) {
                const char next = line[name.size()];
                n += next == ' ' || next == '{' || line.compare(name.size(), 1, "_") == 0;
            }
        return n;
    }

private:
    // name{a="x",b="y\"z"}: from the '{' at `pos`; leaves `pos` after '}'.
    static bool parse_labels(const std::string& line, size_t& pos, MetricLabels& out) {
        ++pos;
        while (pos < line.size() && line[pos] != '}') {
            const size_t eq = line.find("=\"", pos);
            if (eq == std::string::npos) return false;
            std::string key = line.substr(pos, eq - pos), value;
            size_t i = eq + 2;
            for (; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) {
                    ++i;
                    value += line[i] == 'n' ? '\n' : line[i];
                } else {
                    value += line[i];
                }
            }
            out[key] = value;
            pos = i + 1;
            if (pos < line.size() && line[pos] == ',') ++pos;
        }
        ++pos;
        return true;
    }
    std::string text_;
};

// `promtool check metrics` (parse and lint): "" when clean, "skip" when
// promtool is not installed, else its complaints. kube-proxy's own gauge
// kubeproxy_sync_proxy_rules_no_local_endpoints_total trips the "_total on
// a non-counter" lint; svcnat keeps kube-proxy's name on purpose, so that
// single finding is accepted and nothing else is.
inline std::string promtool_problems(const std::string& text) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) return "skip";
    char path[] = "/tmp/svcnat-metrics-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return "mkstemp failed";
    close(fd);
    std::ofstream(path) << text;
    const std::string out_path = std::string(path) + ".out";
    int rc = std::system(("promtool check metrics < " + std::string(path) + " > " + out_path + " 2>&1").c_str());
    std::ifstream in(out_path);
    std::string line, problems;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line.rfind("kubeproxy_sync_proxy_rules_no_local_endpoints_total non-counter metrics should not have "
                       "\"_total\" suffix",
                       0) == 0)
            continue;
        problems += line + "\n";
    }
    unlink(path);
    unlink(out_path.c_str());
    const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status != 0 && status != 3) problems += "promtool exit status " + std::to_string(status);  // 3: lint only
    return problems;
}

}  // namespace svcnat::test
