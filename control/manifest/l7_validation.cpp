#include "l7_validation.hpp"

#include "api_validation.hpp"
#include "control/model/ip.hpp"

namespace svcnat::manifest {

namespace {

const std::string kWildcardMessage =
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist "
    "of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. "
    "'*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
    "[a-z0-9])?)*')";

const std::string kGatewayHostnamePattern =
    "should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'";

const std::string kPathCharactersPattern =
    "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986 pchar and '/': what a path may hold without quoting.
bool path_characters_ok(std::string_view p) {
    constexpr std::string_view extra = "-/._~!$&'()*+,;=:@";
    for (size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            extra.find(c) != std::string_view::npos)
            continue;
        if (c == '%' && i + 2 < p.size() && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
            i += 2;
            continue;
        }
        return false;
    }
    return true;
}

// Both Ingress (networking/validation) and the Gateway API refuse these in
// Exact and prefix paths: a proxy could read them as another path.
constexpr std::string_view kInvalidSequences[] = {"//", "/./", "/../", "%2f", "%2F"};
constexpr std::string_view kInvalidSuffixes[] = {"/..", "/."};

}  // namespace

std::vector<std::string> ingress_host_errors(std::string_view host) {
    std::vector<std::string> errs;
    if (host.find('*') != std::string_view::npos) {
        if (host.size() > 253) errs.push_back("must be no more than 253 characters");
        if (!host.starts_with("*.") || !dns1123_subdomain_errors(host.substr(2)).empty()) errs.push_back(kWildcardMessage);
        return errs;
    }
    errs = dns1123_subdomain_errors(host);
    if (IPAddr::parse(host)) errs.push_back("must be a DNS name, not an IP address");
    return errs;
}

std::vector<std::string> ingress_path_errors(std::string_view path, IngressPathType type) {
    std::vector<std::string> errs;
    if (type == IngressPathType::ImplementationSpecific && path.empty()) return errs;
    // The API server sets no bound; svcnat takes the Gateway API's, so that
    // no path makes a map line or a request HAProxy cannot hold.
    if (path.size() > 1024) errs.push_back("may not be longer than 1024 characters (svcnat's limit, as the Gateway API's)");
    if (!path.starts_with('/')) errs.push_back("must be an absolute path");
    if (type != IngressPathType::ImplementationSpecific) {
        for (auto seq : kInvalidSequences)
            if (path.find(seq) != std::string_view::npos) errs.push_back("must not contain '" + std::string(seq) + "'");
        for (auto suffix : kInvalidSuffixes)
            if (path.ends_with(suffix)) errs.push_back("cannot end with '" + std::string(suffix) + "'");
    }
    if (!path_characters_ok(path)) errs.push_back(kPathCharactersPattern);
    return errs;
}

std::vector<std::string> gateway_hostname_errors(std::string_view host) {
    std::vector<std::string> errs;
    if (host.size() > 253) errs.push_back("may not be longer than 253");
    std::string_view name = host.starts_with("*.") ? host.substr(2) : host;
    bool ok = !name.empty();
    for (size_t start = 0; ok;) {
        const size_t dot = name.find('.', start);
        const std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
        ok = !label.empty() && label.front() != '-' && label.back() != '-';
        for (char c : label) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (!ok) errs.push_back(kGatewayHostnamePattern);
    return errs;
}

std::vector<std::string> route_path_errors(std::string_view path, PathMatchType type) {
    std::vector<std::string> errs;
    if (path.size() > 1024) errs.push_back("may not be longer than 1024");
    if (type == PathMatchType::RegularExpression) return errs;
    const std::string types = " when type one of ['Exact', 'PathPrefix']";
    if (!path.starts_with('/')) errs.push_back("value must be an absolute path and start with '/'" + types);
    for (auto seq : kInvalidSequences)
        if (path.find(seq) != std::string_view::npos) errs.push_back("must not contain '" + std::string(seq) + "'" + types);
    if (path.find('#') != std::string_view::npos) errs.push_back("must not contain '#'" + types);
    for (auto suffix : kInvalidSuffixes)
        if (path.ends_with(suffix)) errs.push_back("must not end with '" + std::string(suffix) + "'" + types);
    if (!path_characters_ok(path)) errs.push_back(kPathCharactersPattern + " for types ['Exact', 'PathPrefix']");
    return errs;
}

std::vector<std::string> http_token_errors(std::string_view name) {
    std::vector<std::string> errs;
    if (name.empty()) return {"should be at least 1 chars long"};
    if (name.size() > 256) errs.push_back("may not be longer than 256");
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    for (char c : name) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            extra.find(c) != std::string_view::npos)
            continue;
        errs.push_back("should match '^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$'");
        break;
    }
    return errs;
}

std::vector<std::string> header_value_errors(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > 4096) errs.push_back("may not be longer than 4096");
    for (unsigned char c : value)
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            errs.push_back("must not contain control characters");
            break;
        }
    return errs;
}

bool is_domain_prefixed_path(std::string_view name) {
    const auto slash = name.find('/');
    if (slash == std::string_view::npos || slash + 1 == name.size()) return false;
    if (!dns1123_subdomain_errors(name.substr(0, slash)).empty()) return false;
    constexpr std::string_view extra = "/-._~%!$&'()*+,;=:";
    for (char c : name.substr(slash + 1))
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos))
            return false;
    return true;
}

}  // namespace svcnat::manifest
