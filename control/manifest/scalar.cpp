#include "scalar.hpp"

#include <array>
#include <charconv>
#include <string>

namespace svcnat::yaml {

namespace {

constexpr std::array<std::string_view, 4> kNulls{"~", "null", "Null", "NULL"};
constexpr std::array<std::string_view, 11> kTrue{"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
constexpr std::array<std::string_view, 11> kFalse{"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};

template <size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& words) {
    for (auto w : words)
        if (s == w) return true;
    return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Integers as go-yaml v2 reads them: optional sign, underscores ignored,
// Go's base prefixes (0x, 0o, 0b) and a leading 0 meaning octal.
bool parse_int(std::string_view s, int64_t& out) {
    std::string digits;
    digits.reserve(s.size());
    for (char c : s)
        if (c != '_') digits += c;
    std::string_view d = digits;
    bool negative = false;
    if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
        negative = d[0] == '-';
        d.remove_prefix(1);
    }
    if (d.empty()) return false;
    int base = 10;
    if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) base = 16, d.remove_prefix(2);
    else if (d.size() > 2 && d[0] == '0' && (d[1] == 'o' || d[1] == 'O')) base = 8, d.remove_prefix(2);
    else if (d.size() > 2 && d[0] == '0' && (d[1] == 'b' || d[1] == 'B')) base = 2, d.remove_prefix(2);
    else if (d.size() > 1 && d[0] == '0') base = 8, d.remove_prefix(1);
    uint64_t value = 0;
    auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), value, base);
    if (ec != std::errc() || p != d.data() + d.size()) return false;
    if (negative) {
        if (value > uint64_t{1} << 63) return false;
        out = static_cast<int64_t>(0 - value);
    } else {
        if (value > static_cast<uint64_t>(INT64_MAX)) return false;
        out = static_cast<int64_t>(value);
    }
    return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and the .inf/.nan words.
bool is_float(std::string_view s) {
    static constexpr std::array<std::string_view, 12> special{
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
    if (one_of(s, special)) return true;
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t int_digits = 0, frac_digits = 0;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i, ++int_digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
    }
    if (int_digits == 0 && frac_digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t exp_digits = 0;
        while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
        if (exp_digits == 0) return false;
    }
    return i == s.size();
}

}  // namespace

Scalar resolve_scalar(std::string_view text, bool quoted) {
    Scalar s;
    if (quoted) return s;
    if (text.empty() || one_of(text, kNulls)) {
        s.kind = ScalarKind::Null;
        return s;
    }
    char c = text[0];
    // Fast path: most values in manifests are names, which start with a
    // letter that cannot begin a number or a YAML 1.1 keyword.
    bool maybe_special = is_digit(c) || c == '+' || c == '-' || c == '.' || c == '~' || c == 'y' ||
                         c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' ||
                         c == 'o' || c == 'O';
    if (!maybe_special) return s;
    if (one_of(text, kTrue)) {
        s.kind = ScalarKind::Bool;
        s.boolean = true;
    } else if (one_of(text, kFalse)) {
        s.kind = ScalarKind::Bool;
    } else if (parse_int(text, s.integer)) {
        s.kind = ScalarKind::Int;
    } else if (is_float(text)) {
        s.kind = ScalarKind::Float;
    }
    return s;
}

std::string_view kind_name(ScalarKind kind) {
    switch (kind) {
        case ScalarKind::Null: return "null";
        case ScalarKind::Bool: return "boolean";
        case ScalarKind::Int: return "integer";
        case ScalarKind::Float: return "number";
        case ScalarKind::String: return "string";
    }
    return "?";
}

}  // namespace svcnat::yaml
