#include "prometheus_parser.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

namespace svcnat::test {

namespace {

const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

bool parse_value(const std::string& s, double* out) {
    if (s == "+Inf") return *out = std::numeric_limits<double>::infinity(), true;
    if (s == "-Inf") return *out = -std::numeric_limits<double>::infinity(), true;
    if (s == "NaN") return *out = std::nan(""), true;
    if (s.empty()) return false;
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
}

// name{a="b",c="d"} value
bool parse_sample(const std::string& line, Sample* s, std::string* err) {
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s->name = line.substr(0, i);
    if (!std::regex_match(s->name, kName)) return *err = "bad metric name: " + line, false;
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            size_t eq = line.find('=', i);
            if (eq == std::string::npos) return *err = "bad label: " + line, false;
            std::string lname = line.substr(i, eq - i);
            if (!std::regex_match(lname, kLabelName)) return *err = "bad label name: " + line, false;
            if (eq + 1 >= line.size() || line[eq + 1] != '"') return *err = "unquoted label value: " + line, false;
            std::string v;
            size_t j = eq + 2;
            for (; j < line.size() && line[j] != '"'; ++j) {
                if (line[j] == '\\') {
                    if (++j >= line.size()) return *err = "bad escape: " + line, false;
                    char c = line[j];
                    if (c == 'n') v += '\n';
                    else if (c == '\\' || c == '"') v += c;
                    else return *err = "bad escape: " + line, false;
                } else {
                    v += line[j];
                }
            }
            if (j >= line.size()) return *err = "unterminated label value: " + line, false;
            if (!s->labels.emplace(lname, v).second) return *err = "duplicate label: " + line, false;
            i = j + 1;
            if (i < line.size() && line[i] == ',') ++i;
        }
        if (i >= line.size()) return *err = "unterminated labels: " + line, false;
        ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return *err = "missing value: " + line, false;
    std::string rest = line.substr(i + 1);
    // Optional timestamp: not produced by svcnat, so not accepted either.
    if (!parse_value(rest, &s->value)) return *err = "bad value: " + line, false;
    return true;
}

std::string family_of(const std::string& sample, const std::map<std::string, Family>& fams) {
    if (fams.count(sample)) return sample;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string sfx(suffix);
        if (sample.size() > sfx.size() && sample.compare(sample.size() - sfx.size(), sfx.size(), sfx) == 0) {
            std::string base = sample.substr(0, sample.size() - sfx.size());
            auto it = fams.find(base);
            if (it != fams.end() && (it->second.type == "histogram" || it->second.type == "summary")) return base;
        }
    }
    return "";
}

std::string check_histogram(const Family& f) {
    // Group by labels other than le.
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    std::set<std::map<std::string, std::string>> sums;
    for (const auto& s : f.samples) {
        auto labels = s.labels;
        if (s.name == f.name + "_bucket") {
            auto le = labels.find("le");
            if (le == labels.end()) return f.name + ": bucket without le";
            double bound;
            if (!parse_value(le->second, &bound)) return f.name + ": bad le " + le->second;
            labels.erase(le);
            buckets[labels].emplace_back(bound, s.value);
        } else if (s.name == f.name + "_count") {
            counts[labels] = s.value;
        } else if (s.name == f.name + "_sum") {
            sums.insert(labels);
        } else {
            return f.name + ": unexpected sample " + s.name;
        }
    }
    if (buckets.empty()) return f.name + ": histogram without buckets";
    for (const auto& [labels, bs] : buckets) {
        for (size_t i = 1; i < bs.size(); ++i) {
            if (!(bs[i].first > bs[i - 1].first)) return f.name + ": le not ascending";
            if (bs[i].second < bs[i - 1].second) return f.name + ": buckets not cumulative";
        }
        if (!std::isinf(bs.back().first)) return f.name + ": no +Inf bucket";
        if (!counts.count(labels)) return f.name + ": no _count";
        if (counts[labels] != bs.back().second) return f.name + ": _count differs from +Inf bucket";
        if (!sums.count(labels)) return f.name + ": no _sum";
    }
    return "";
}

}  // namespace

double ParsedMetrics::value(const std::string& sample, const std::map<std::string, std::string>& labels) const {
    for (const auto& [name, f] : families)
        for (const auto& s : f.samples)
            if (s.name == sample && s.labels == labels) return s.value;
    return std::nan("");
}

ParsedMetrics parse_prometheus_text(const std::string& text) {
    ParsedMetrics out;
    std::set<std::string> closed;  // families whose samples ended (no split families)
    std::string current;
    std::set<std::pair<std::string, std::map<std::string, std::string>>> series;
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    auto fail = [&](const std::string& msg) {
        out.error = "line " + std::to_string(lineno) + ": " + msg;
        return out;
    };
    if (!text.empty() && text.back() != '\n') return fail("text does not end with a newline");
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::istringstream ls(line);
            std::string hash, kw, name;
            ls >> hash >> kw >> name;
            if (kw != "HELP" && kw != "TYPE") continue;  // plain comment
            if (!std::regex_match(name, kName)) return fail("bad name in " + kw);
            std::string rest;
            std::getline(ls, rest);
            if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
            if (closed.count(name)) return fail("family " + name + " appears twice");
            if (current != name && !current.empty()) closed.insert(current);
            current = name;
            auto& f = out.families[name];
            f.name = name;
            if (kw == "HELP") {
                if (!f.help.empty()) return fail("second HELP for " + name);
                if (rest.empty()) return fail("empty HELP for " + name);
                f.help = rest;
            } else {
                if (!f.type.empty()) return fail("second TYPE for " + name);
                static const std::set<std::string> types{"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.count(rest)) return fail("bad TYPE " + rest);
                if (!f.samples.empty()) return fail("TYPE after samples for " + name);
                f.type = rest;
            }
            continue;
        }
        Sample s;
        std::string err;
        if (!parse_sample(line, &s, &err)) return fail(err);
        std::string fam = family_of(s.name, out.families);
        if (fam.empty()) return fail("sample without HELP/TYPE: " + s.name);
        if (fam != current) return fail("sample of " + fam + " outside its family block");
        auto& f = out.families[fam];
        if (f.help.empty() || f.type.empty()) return fail(fam + " lacks HELP or TYPE");
        if (!series.emplace(s.name, s.labels).second) return fail("duplicate series " + s.name);
        if (f.type == "counter" && (s.value < 0 || std::isnan(s.value))) return fail("negative counter " + s.name);
        if (f.type == "counter" && (s.name.size() < 6 || s.name.compare(s.name.size() - 6, 6, "_total") != 0))
            return fail("counter without _total suffix: " + s.name);
        f.samples.push_back(std::move(s));
    }
    for (const auto& [name, f] : out.families) {
        if (f.samples.empty()) return fail("family without samples: " + name);
        if (f.type == "histogram") {
            std::string e = check_histogram(f);
            if (!e.empty()) return fail(e);
        }
    }
    return out;
}

}  // namespace svcnat::test
