#include "api_validation.hpp"

#include "control/model/ip.hpp"

namespace svcnat::manifest {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

std::string max_len(size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_rfc1123_label(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
    for (char c : s)
        if (!lower_alnum(c) && c != '-') return false;
    return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(std::string_view s) {
    if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
    for (char c : s)
        if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

const std::string kDNS1123LabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kDNS1123SubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kDNS1035LabelMessage =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string kQualifiedNameMessage =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

}  // namespace

std::vector<std::string> dns1123_label_errors(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > 63) errs.push_back(max_len(63));
    if (!is_rfc1123_label(value)) errs.push_back(kDNS1123LabelMessage);
    return errs;
}

std::vector<std::string> dns1123_subdomain_errors(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > 253) errs.push_back(max_len(253));
    bool ok = !value.empty();
    size_t start = 0;
    while (ok) {
        size_t dot = value.find('.', start);
        ok = is_rfc1123_label(value.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (!ok) errs.push_back(kDNS1123SubdomainMessage);
    return errs;
}

std::vector<std::string> dns1035_label_errors(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > 63) errs.push_back(max_len(63));
    if (!is_rfc1123_label(value) || !(value.front() >= 'a' && value.front() <= 'z'))
        errs.push_back(kDNS1035LabelMessage);
    return errs;
}

std::vector<std::string> qualified_name_errors(std::string_view value) {
    std::vector<std::string> errs;
    std::string_view name = value;
    auto slash = value.find('/');
    if (slash != std::string_view::npos) {
        std::string_view prefix = value.substr(0, slash);
        name = value.substr(slash + 1);
        if (prefix.empty()) {
            errs.push_back("prefix part must be non-empty");
        } else {
            for (auto& m : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + m);
        }
        if (name.find('/') != std::string_view::npos) {
            errs.clear();
            errs.push_back(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                "prefix and '/' (e.g. 'example.com/MyName')");
            return errs;
        }
    }
    if (name.empty()) {
        errs.push_back("name part must be non-empty");
    } else {
        if (name.size() > 63) errs.push_back("name part " + max_len(63));
        if (!is_qualified_name_part(name)) errs.push_back(kQualifiedNameMessage);
    }
    return errs;
}

std::vector<std::string> label_value_errors(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > 63) errs.push_back(max_len(63));
    if (!value.empty() && !is_qualified_name_part(value)) errs.push_back(kLabelValueMessage);
    return errs;
}

std::vector<std::string> port_name_errors(std::string_view port) {
    std::vector<std::string> errs;
    if (port.size() > 15) errs.push_back(max_len(15));
    bool charset_ok = !port.empty();
    bool has_letter = false;
    for (char c : port) {
        if (!lower_alnum(c) && c != '-') charset_ok = false;
        if (c >= 'a' && c <= 'z') has_letter = true;
    }
    if (!charset_ok) errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!has_letter) errs.push_back("must contain at least one letter (a-z)");
    if (port.find("--") != std::string_view::npos) errs.push_back("must not contain consecutive hyphens");
    if (!port.empty() && (port.front() == '-' || port.back() == '-'))
        errs.push_back("must not begin or end with a hyphen");
    return errs;
}

std::vector<std::string> special_ip_errors(std::string_view text) {
    std::vector<std::string> errs;
    auto ip = IPAddr::parse(text);
    if (!ip) return errs;
    static const CIDR v4_loopback = *CIDR::parse("127.0.0.0/8"), v6_loopback = *CIDR::parse("::1/128"),
                      v4_link_local = *CIDR::parse("169.254.0.0/16"), v6_link_local = *CIDR::parse("fe80::/10"),
                      v4_ll_multicast = *CIDR::parse("224.0.0.0/24"), v6_ll_multicast = *CIDR::parse("ff02::/16");
    if (*ip == IPAddr{ip->family, {}}) errs.push_back("may not be unspecified (0.0.0.0)");
    if (v4_loopback.contains(*ip) || v6_loopback.contains(*ip))
        errs.push_back("may not be in the loopback range (127.0.0.0/8, ::1/128)");
    if (v4_link_local.contains(*ip) || v6_link_local.contains(*ip))
        errs.push_back("may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    if (v4_ll_multicast.contains(*ip) || v6_ll_multicast.contains(*ip))
        errs.push_back("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
    return errs;
}

std::string quote(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string q;
    q.reserve(s.size() + 2);
    q += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': q += "\\\""; break;
            case '\\': q += "\\\\"; break;
            case '\n': q += "\\n"; break;
            case '\t': q += "\\t"; break;
            case '\r': q += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    q += "\\x";
                    q += hex[c >> 4];
                    q += hex[c & 15];
                } else {
                    q += static_cast<char>(c);
                }
        }
    }
    q += '"';
    return q;
}

std::string go_string_list(const std::vector<std::string>& values) {
    std::string s = "[]string{";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) s += ", ";
        s += quote(values[i]);
    }
    return s + "}";
}

std::string invalid(std::string_view rendered_value, std::string_view detail) {
    std::string s = "Invalid value: ";
    s += rendered_value;
    if (!detail.empty()) {
        s += ": ";
        s += detail;
    }
    return s;
}

std::string unsupported(std::string_view value, std::initializer_list<std::string_view> supported) {
    std::string s = "Unsupported value: " + quote(value) + ": supported values: ";
    bool first = true;
    for (auto v : supported) {
        if (!first) s += ", ";
        first = false;
        s += quote(v);
    }
    return s;
}

std::string duplicate(std::string_view rendered_value) { return "Duplicate value: " + std::string(rendered_value); }

std::string required(std::string_view detail) {
    std::string s = "Required value";
    if (!detail.empty()) {
        s += ": ";
        s += detail;
    }
    return s;
}

std::string forbidden(std::string_view detail) { return "Forbidden: " + std::string(detail); }

}  // namespace svcnat::manifest
