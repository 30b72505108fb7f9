// Gateway API HTTPRoute, validated as its CRD does (patterns, enums,
// sizes, defaults and the CEL rules on rules and filters), with the CRD's
// messages. What svcnat cannot serve (mirroring, extension filters, CORS,
// external auth, per-backend filters, regular-expression paths) is
// reported and the rule holding it left out; the route's other rules stay.
#include <algorithm>
#include <set>

#include "api_validation.hpp"
#include "decode.hpp"
#include "l7_validation.hpp"

namespace svcnat::manifest {

namespace {

constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

void too_many(Decoder& d, uint32_t line, const FieldPath& path, size_t n, size_t max) {
    if (n > max)
        d.error(line, path, "Too many: " + std::to_string(n) + ": must have at most " + std::to_string(max) + " items");
}

void check_hostname(Decoder& d, uint32_t line, const FieldPath& path, const std::string& host, bool precise) {
    for (auto& m : gateway_hostname_errors(host)) d.error(line, path, invalid(quote(host), m));
    if (precise && host.starts_with("*"))
        d.error(line, path, invalid(quote(host), "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"));
}

void decode_parent_refs(Decoder& d, uint32_t n, const FieldPath& path, uint32_t line, const std::string& route_ns,
                        std::vector<ParentReference>& out) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        ParentReference ref;
        ref.ns = route_ns;
        ref.line = d.line(item);
        std::string group(kGatewayGroup);
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t l) {
            if (key == "group") d.read_string(v, fp, group);
            else if (key == "kind") d.read_string(v, fp, ref.kind);
            else if (key == "namespace") d.read_string(v, fp, ref.ns);
            else if (key == "name") d.read_string(v, fp, ref.name);
            else if (key == "sectionName") d.read_string(v, fp, ref.sectionName);
            else if (key == "port") {
                int64_t p = 0;
                if (!d.read_int(v, fp, p)) return true;
                if (p < 1 || p > 65535) d.error(l, fp, invalid(std::to_string(p), kPortRangeMessage));
                else ref.port = static_cast<uint16_t>(p);
            } else return false;
            return true;
        });
        const FieldPath np = ip.child("name");
        if (ref.name.empty()) d.error(ref.line, np, required());
        if (group != kGatewayGroup) ref.kind = group + "/" + ref.kind;  // attaches to nothing svcnat knows
        out.push_back(std::move(ref));
    });
    too_many(d, line, path, out.size(), 32);
}

bool read_match_type(Decoder& d, uint32_t v, const FieldPath& fp, uint32_t line, ValueMatchType& out) {
    std::string t;
    if (!d.read_string(v, fp, t)) return false;
    if (t == "Exact") out = ValueMatchType::Exact;
    else if (t == "RegularExpression") out = ValueMatchType::RegularExpression;
    else d.error(line, fp, unsupported(t, {"Exact", "RegularExpression"}));
    return true;
}

// headers or queryParams of a match: names unique (the CRD's list map),
// compared without case for headers.
void decode_value_matches(Decoder& d, uint32_t n, const FieldPath& path, uint32_t line, bool headers,
                          std::vector<HTTPValueMatch>& out) {
    if (!d.expect_sequence(n, path)) return;
    std::set<std::string> seen;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        HTTPValueMatch m;
        bool has_value = false;
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t l) {
            if (key == "type") read_match_type(d, v, fp, l, m.type);
            else if (key == "name") d.read_string(v, fp, m.name);
            else if (key == "value") has_value = d.read_string(v, fp, m.value);
            else return false;
            return true;
        });
        const FieldPath np = ip.child("name"), vp = ip.child("value");
        const uint32_t at = d.line(item);
        for (auto& e : http_token_errors(m.name)) d.error(at, np, invalid(quote(m.name), e));
        if (!has_value) d.error(at, vp, required());
        if (m.value.size() > (headers ? 4096u : 1024u))
            d.error(at, vp, invalid(quote(m.value.substr(0, 32) + "..."), "may not be longer than " + std::string(headers ? "4096" : "1024")));
        std::string key = m.name;
        if (headers) std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!seen.insert(key).second) d.error(at, ip, duplicate(quote(m.name)));
        out.push_back(std::move(m));
    });
    too_many(d, line, path, out.size(), 16);
}

void decode_match(Decoder& d, uint32_t item, const FieldPath& ip, HTTPRouteMatch& out, std::string& unsupported_why) {
    out.line = d.line(item);
    d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "path") {
            if (!d.expect_mapping(v, fp)) return true;
            uint32_t value_line = line;
            d.for_each_field(v, fp, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t l2) {
                if (k2 == "type") {
                    std::string t;
                    if (!d.read_string(v2, fp2, t)) return true;
                    if (t == "Exact") out.path.type = PathMatchType::Exact;
                    else if (t == "PathPrefix") out.path.type = PathMatchType::PathPrefix;
                    else if (t == "RegularExpression") out.path.type = PathMatchType::RegularExpression;
                    else d.error(l2, fp2, unsupported(t, {"Exact", "PathPrefix", "RegularExpression"}));
                } else if (k2 == "value") {
                    value_line = l2;
                    d.read_string(v2, fp2, out.path.value);
                } else {
                    return false;
                }
                return true;
            });
            const FieldPath vp = fp.child("value");
            for (auto& m : route_path_errors(out.path.value, out.path.type))
                d.error(value_line, vp, invalid(quote(out.path.value), m));
            if (out.path.type == PathMatchType::RegularExpression)
                unsupported_why = fp.str() + ": svcnat does not serve RegularExpression paths";
        } else if (key == "headers") {
            decode_value_matches(d, v, fp, line, true, out.headers);
        } else if (key == "queryParams") {
            decode_value_matches(d, v, fp, line, false, out.queryParams);
        } else if (key == "method") {
            if (!d.read_string(v, fp, out.method)) return true;
            static const std::set<std::string> kMethods = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};
            if (!kMethods.count(out.method))
                d.error(line, fp, unsupported(out.method, {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
                                                           "OPTIONS", "TRACE", "PATCH"}));
        } else {
            return false;
        }
        return true;
    });
}

void decode_header_filter(Decoder& d, uint32_t n, const FieldPath& path, HTTPHeaderFilter& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "remove") {
            std::vector<uint32_t> lines;
            d.read_string_list(v, fp, out.remove, &lines);
            std::set<std::string> seen;
            for (size_t i = 0; i < out.remove.size(); ++i) {
                const FieldPath rp = fp.index(i);
                for (auto& m : http_token_errors(out.remove[i])) d.error(lines[i], rp, invalid(quote(out.remove[i]), m));
                if (!seen.insert(out.remove[i]).second) d.error(lines[i], rp, duplicate(quote(out.remove[i])));
            }
            too_many(d, line, fp, out.remove.size(), 16);
            return true;
        }
        if (key != "set" && key != "add") return false;
        auto& list = key == "set" ? out.set : out.add;
        if (!d.expect_sequence(v, fp)) return true;
        std::set<std::string> seen;
        d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
            if (!d.expect_mapping(item, ip)) return;
            HTTPHeader h;
            d.for_each_field(item, ip, [&](std::string_view k2, uint32_t v2, const FieldPath& fp2, uint32_t) {
                if (k2 == "name") d.read_string(v2, fp2, h.name);
                else if (k2 == "value") d.read_string(v2, fp2, h.value);
                else return false;
                return true;
            });
            const uint32_t at = d.line(item);
            const FieldPath np = ip.child("name"), vp = ip.child("value");
            for (auto& m : http_token_errors(h.name)) d.error(at, np, invalid(quote(h.name), m));
            for (auto& m : header_value_errors(h.value)) d.error(at, vp, invalid(quote(h.value), m));
            std::string lower = h.name;
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
            if (!seen.insert(lower).second) d.error(at, ip, duplicate(quote(h.name)));
            list.push_back(std::move(h));
        });
        too_many(d, line, fp, list.size(), 16);
        return true;
    });
}

void decode_path_modifier(Decoder& d, uint32_t n, const FieldPath& path, uint32_t line,
                          std::optional<HTTPPathModifier>& out) {
    if (!d.expect_mapping(n, path)) return;
    std::string type;
    bool has_full = false, has_prefix = false;
    std::string full, prefix;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t l) {
        if (key == "type") {
            if (d.read_string(v, fp, type) && type != "ReplaceFullPath" && type != "ReplacePrefixMatch")
                d.error(l, fp, unsupported(type, {"ReplaceFullPath", "ReplacePrefixMatch"}));
        } else if (key == "replaceFullPath") {
            has_full = d.read_string(v, fp, full);
        } else if (key == "replacePrefixMatch") {
            has_prefix = d.read_string(v, fp, prefix);
        } else {
            return false;
        }
        return true;
    });
    if (type == "ReplaceFullPath" && !has_full)
        d.error(line, path, invalid("\"object\"", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"));
    if (has_full && type != "ReplaceFullPath")
        d.error(line, path, invalid("\"object\"", "type must be 'ReplaceFullPath' when replaceFullPath is set"));
    if (type == "ReplacePrefixMatch" && !has_prefix)
        d.error(line, path, invalid("\"object\"", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"));
    if (has_prefix && type != "ReplacePrefixMatch")
        d.error(line, path, invalid("\"object\"", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"));
    const std::string& value = type == "ReplaceFullPath" ? full : prefix;
    // "" is a valid prefix replacement (it removes the prefix); anything
    // else becomes a request path, with the rules of one.
    if (!value.empty())
        for (auto& m : route_path_errors(value, PathMatchType::Exact)) d.error(line, path, invalid(quote(value), m));
    out = HTTPPathModifier{type == "ReplacePrefixMatch" ? PathModifierType::ReplacePrefixMatch
                                                        : PathModifierType::ReplaceFullPath,
                           value};
}

void decode_redirect(Decoder& d, uint32_t n, const FieldPath& path, HTTPRequestRedirect& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "scheme") {
            if (d.read_string(v, fp, out.scheme) && out.scheme != "http" && out.scheme != "https")
                d.error(line, fp, unsupported(out.scheme, {"http", "https"}));
        } else if (key == "hostname") {
            if (d.read_string(v, fp, out.hostname)) check_hostname(d, line, fp, out.hostname, true);
        } else if (key == "path") {
            decode_path_modifier(d, v, fp, line, out.path);
        } else if (key == "port") {
            int64_t p = 0;
            if (!d.read_int(v, fp, p)) return true;
            if (p < 1 || p > 65535) d.error(line, fp, invalid(std::to_string(p), kPortRangeMessage));
            else out.port = static_cast<uint16_t>(p);
        } else if (key == "statusCode") {
            int64_t code = 0;
            if (!d.read_int(v, fp, code)) return true;
            if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
                d.error(line, fp, unsupported(std::to_string(code), {"301", "302", "303", "307", "308"}));
            else out.statusCode = static_cast<uint16_t>(code);
        } else {
            return false;
        }
        return true;
    });
}

void decode_rewrite(Decoder& d, uint32_t n, const FieldPath& path, HTTPURLRewrite& out) {
    if (!d.expect_mapping(n, path)) return;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "hostname") {
            if (d.read_string(v, fp, out.hostname)) check_hostname(d, line, fp, out.hostname, true);
        } else if (key == "path") {
            decode_path_modifier(d, v, fp, line, out.path);
        } else {
            return false;
        }
        return true;
    });
}

// One filter; `unsupported_why` is set for the kinds svcnat does not serve.
void decode_filter(Decoder& d, uint32_t item, const FieldPath& ip, std::vector<HTTPRouteFilter>& out,
                   std::string& unsupported_why) {
    HTTPRouteFilter f;
    std::string type;
    std::set<std::string> present;  // the filter's config fields given
    const uint32_t at = d.line(item);
    d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "type") {
            d.read_string(v, fp, type);
            static const std::set<std::string> kTypes = {"RequestHeaderModifier", "ResponseHeaderModifier",
                                                         "RequestMirror", "RequestRedirect", "URLRewrite",
                                                         "ExtensionRef", "CORS", "ExternalAuth"};
            if (!kTypes.count(type))
                d.error(line, fp, unsupported(type, {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror",
                                                     "RequestRedirect", "URLRewrite", "ExtensionRef"}));
            return true;
        }
        if (d.is_null(v)) return true;
        if (key == "requestHeaderModifier") decode_header_filter(d, v, fp, f.headers);
        else if (key == "responseHeaderModifier") decode_header_filter(d, v, fp, f.headers);
        else if (key == "requestRedirect") decode_redirect(d, v, fp, f.redirect);
        else if (key == "urlRewrite") decode_rewrite(d, v, fp, f.rewrite);
        else if (key != "requestMirror" && key != "extensionRef" && key != "cors" && key != "externalAuth")
            return false;
        present.insert(std::string(key));
        return true;
    });
    const FieldPath tp = ip.child("type");
    if (type.empty()) {
        d.error(at, tp, required());
        return;
    }
    // The CRD's rule pairs: the field named after the type, and no other.
    static const std::pair<std::string_view, std::string_view> kFieldOf[] = {
        {"RequestHeaderModifier", "requestHeaderModifier"}, {"ResponseHeaderModifier", "responseHeaderModifier"},
        {"RequestMirror", "requestMirror"},                 {"RequestRedirect", "requestRedirect"},
        {"URLRewrite", "urlRewrite"},                       {"ExtensionRef", "extensionRef"},
        {"CORS", "cors"},                                   {"ExternalAuth", "externalAuth"}};
    for (auto [t, field] : kFieldOf) {
        const bool has = present.count(std::string(field)) > 0;
        if (t == type && !has)
            d.error(at, ip, invalid("\"object\"", "filter." + std::string(field) + " must be specified for " +
                                                    std::string(t) + " filter.type"));
        if (t != type && has)
            d.error(at, ip, invalid("\"object\"", "filter." + std::string(field) + " must be nil if the filter.type is not " +
                                                    std::string(t)));
    }
    if (type == "RequestHeaderModifier") f.type = HTTPRouteFilter::Type::RequestHeaderModifier;
    else if (type == "ResponseHeaderModifier") f.type = HTTPRouteFilter::Type::ResponseHeaderModifier;
    else if (type == "RequestRedirect") f.type = HTTPRouteFilter::Type::RequestRedirect;
    else if (type == "URLRewrite") f.type = HTTPRouteFilter::Type::URLRewrite;
    else {
        if (unsupported_why.empty()) unsupported_why = ip.str() + ": svcnat does not implement the " + type + " filter";
        return;
    }
    out.push_back(std::move(f));
}

void decode_backend_refs(Decoder& d, uint32_t n, const FieldPath& path, uint32_t line, const std::string& route_ns,
                         std::vector<HTTPBackendRef>& out, std::string& unsupported_why) {
    if (!d.expect_sequence(n, path)) return;
    d.for_each_item(n, path, [&](size_t, uint32_t item, const FieldPath& ip) {
        if (!d.expect_mapping(item, ip)) return;
        HTTPBackendRef ref;
        ref.ns = route_ns;
        ref.line = d.line(item);
        d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t l) {
            if (key == "group") d.read_string(v, fp, ref.group);
            else if (key == "kind") d.read_string(v, fp, ref.kind);
            else if (key == "namespace") d.read_string(v, fp, ref.ns);
            else if (key == "name") d.read_string(v, fp, ref.name);
            else if (key == "port") {
                int64_t p = 0;
                if (!d.read_int(v, fp, p)) return true;
                if (p < 1 || p > 65535) d.error(l, fp, invalid(std::to_string(p), kPortRangeMessage));
                else ref.port = static_cast<uint16_t>(p);
            } else if (key == "weight") {
                int64_t w = 0;
                if (!d.read_int(v, fp, w)) return true;
                if (w < 0 || w > 1000000) d.error(l, fp, invalid(std::to_string(w), "should be less than or equal to 1000000 and greater than or equal to 0"));
                else ref.weight = static_cast<uint32_t>(w);
            } else if (key == "filters") {
                if (!d.is_null(v) && d.node(v).count > 0 && unsupported_why.empty())
                    unsupported_why = fp.str() + ": svcnat does not implement filters per backend";
            } else return false;
            return true;
        });
        const FieldPath np = ip.child("name");
        if (ref.name.empty()) d.error(ref.line, np, required());
        if (ref.group.empty() && ref.kind == "Service" && ref.port == 0)
            d.error(ref.line, ip, invalid("\"object\"", "Must have port for Service reference"));
        out.push_back(std::move(ref));
    });
    too_many(d, line, path, out.size(), 16);
}

void decode_rule(Decoder& d, uint32_t item, const FieldPath& ip, const std::string& route_ns, HTTPRouteRule& rule) {
    rule.line = d.line(item);
    bool has_matches = false;
    uint32_t filters_line = rule.line;
    d.for_each_field(item, ip, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "matches") {
            has_matches = true;
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t m, const FieldPath& mp) {
                if (!d.expect_mapping(m, mp)) return;
                HTTPRouteMatch match;
                decode_match(d, m, mp, match, rule.unsupported);
                rule.matches.push_back(std::move(match));
            });
            too_many(d, line, fp, rule.matches.size(), 64);
        } else if (key == "filters") {
            filters_line = line;
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t f, const FieldPath& fpi) {
                if (d.expect_mapping(f, fpi)) decode_filter(d, f, fpi, rule.filters, rule.unsupported);
            });
            too_many(d, line, fp, d.node(v).count, 16);
        } else if (key == "backendRefs") {
            decode_backend_refs(d, v, fp, line, route_ns, rule.backendRefs, rule.unsupported);
        } else if (key == "name") {
            std::string name;
            d.read_string(v, fp, name);
        } else if (key == "timeouts" || key == "retry" || key == "sessionPersistence") {
            if (!d.is_null(v))
                d.warning(line, fp, "svcnat does not implement " + std::string(key) + ": the rule is served without it");
        } else {
            return false;
        }
        return true;
    });
    // The CRD's default: one match of every path.
    if (!has_matches) rule.matches.push_back(HTTPRouteMatch{{}, {}, {}, {}, rule.line});
    auto count = [&](HTTPRouteFilter::Type t) {
        return std::count_if(rule.filters.begin(), rule.filters.end(), [t](const HTTPRouteFilter& f) { return f.type == t; });
    };
    using T = HTTPRouteFilter::Type;
    const FieldPath fp = ip.child("filters");
    if (count(T::RequestRedirect) && count(T::URLRewrite))
        d.error(filters_line, fp, invalid("\"array\"", "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"));
    const std::pair<T, std::string_view> once[] = {{T::RequestHeaderModifier, "RequestHeaderModifier"},
                                                   {T::ResponseHeaderModifier, "ResponseHeaderModifier"},
                                                   {T::RequestRedirect, "RequestRedirect"},
                                                   {T::URLRewrite, "URLRewrite"}};
    for (auto [t, name] : once)
        if (count(t) > 1) d.error(filters_line, fp, invalid("\"array\"", std::string(name) + " filter cannot be repeated"));
    if (count(T::RequestRedirect) && !rule.backendRefs.empty())
        d.error(rule.line, ip, invalid("\"object\"", "RequestRedirect filter must not be used together with backendRefs"));
    // ReplacePrefixMatch needs the prefix it replaces: one PathPrefix match.
    for (const auto& f : rule.filters) {
        const auto& path = f.type == T::RequestRedirect ? f.redirect.path
                           : f.type == T::URLRewrite    ? f.rewrite.path
                                                        : std::optional<HTTPPathModifier>{};
        if (!path || path->type != PathModifierType::ReplacePrefixMatch) continue;
        if (rule.matches.size() != 1 || rule.matches[0].path.type != PathMatchType::PathPrefix)
            d.error(rule.line, ip,
                    invalid("\"object\"", std::string("When using ") + (f.type == T::URLRewrite ? "URLRewrite" : "RequestRedirect") +
                                              " filter with path.type ReplacePrefixMatch, exactly one PathPrefix match must be specified"));
    }
}

void decode_spec(Decoder& d, uint32_t n, const FieldPath& path, HTTPRoute& out) {
    if (!d.expect_mapping(n, path)) return;
    bool has_rules = false;
    d.for_each_field(n, path, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
        if (key == "parentRefs") {
            decode_parent_refs(d, v, fp, line, out.meta.ns, out.parentRefs);
        } else if (key == "hostnames") {
            std::vector<uint32_t> lines;
            d.read_string_list(v, fp, out.hostnames, &lines);
            for (size_t i = 0; i < out.hostnames.size(); ++i) {
                const FieldPath hp = fp.index(i);
                check_hostname(d, lines[i], hp, out.hostnames[i], false);
            }
            too_many(d, line, fp, out.hostnames.size(), 16);
        } else if (key == "rules") {
            has_rules = true;
            if (!d.expect_sequence(v, fp)) return true;
            d.for_each_item(v, fp, [&](size_t, uint32_t item, const FieldPath& ip) {
                if (!d.expect_mapping(item, ip)) return;
                HTTPRouteRule rule;
                decode_rule(d, item, ip, out.meta.ns, rule);
                if (!rule.unsupported.empty())
                    d.warning(rule.line, FieldPath(), rule.unsupported + ": the rule is not served");
                out.rules.push_back(std::move(rule));
            });
            too_many(d, line, fp, out.rules.size(), 16);
        } else if (key != "useDefaultGateways") {
            return false;
        }
        return true;
    });
    // The CRD's default: one rule matching every path (with no backend: 500).
    if (!has_rules) out.rules.push_back(HTTPRouteRule{{HTTPRouteMatch{}}, {}, {}, {}, 0});
}

}  // namespace

void decode_http_route(Decoder& d, const ObjectNode& obj, HTTPRoute& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::Yes);
    out.meta.loc.line = obj.line;
    // The namespace first: references default to it.
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
    const FieldPath spec = root.child("spec");
    if (top.spec_node == kNone) d.error(top.spec_line, spec, required());
    else decode_spec(d, top.spec_node, spec, out);
    for (auto& rule : out.rules)
        if (rule.line == 0) rule.line = top.spec_line;
}

}  // namespace svcnat::manifest
