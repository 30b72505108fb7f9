#include "route_tables.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "control/model/routes.hpp"
#include "haproxy_text.hpp"

namespace svcnat::ingress {

std::string_view map_suffix(MapKind kind) {
    switch (kind) {
        case MapKind::OneLabelWildcards: return "wild1";
        case MapKind::AnyDepthWildcards: return "wildn";
        case MapKind::ExactPaths: return "exact";
        case MapKind::PrefixPaths: return "prefix";
    }
    return "?";
}

std::string https_redirect_backend(const ListenerTables& t) { return "https_redirect_" + t.id; }

namespace {

// A virtual host's part of the path maps' keys: its hostname, "**.x" for a
// Gateway API wildcard (any depth), "_" for the host-less one (no DNS name
// has an underscore, and none has a '/', which starts the path after it).
std::string vhost_key(const L7VirtualHost& vh) {
    if (vh.hostname.empty()) return "_";
    return vh.any_depth ? "*" + vh.hostname : vh.hostname;
}

std::string status_target(uint16_t status) { return "status_" + std::to_string(status); }

std::string target_of(const RouteState& s, const L7Route& r, const L7WeightedBackend& b) {
    return b.backend >= 0 ? backend_name(s.backends[static_cast<size_t>(b.backend)].name) : status_target(r.invalid_status);
}

bool no_edits(const HTTPHeaderFilter& f) { return f.set.empty() && f.add.empty() && f.remove.empty(); }

// The targets a route sends to with their weights (weight > 0 only).
std::vector<std::pair<std::string, uint32_t>> weighted_targets(const RouteState& s, const L7Route& r) {
    std::vector<std::pair<std::string, uint32_t>> out;
    for (const auto& b : r.backends)
        if (b.weight > 0) out.emplace_back(target_of(s, r, b), b.weight);
    return out;
}

// The one target a route always sends to, when it has nothing else to do:
// then a map entry is all it needs. No backends at all, or only weight 0:
// 500, as the Gateway API asks.
std::optional<std::string> direct_target(const RouteState& s, const L7Route& r) {
    if (r.conditional() || r.redirect || r.rewrite || !no_edits(r.request_headers) || !no_edits(r.response_headers))
        return std::nullopt;
    const auto targets = weighted_targets(s, r);
    if (targets.empty()) return status_target(500);
    for (const auto& [t, w] : targets)
        if (t != targets.front().first) return std::nullopt;
    return targets.front().first;
}

std::string conditions(const L7Route& r) {
    std::string c;
    if (!r.method.empty()) c += " { method " + r.method + " }";
    auto add = [&](const std::string& fetch, const HTTPValueMatch& m) {
        c += " { " + word(fetch) + (m.type == ValueMatchType::RegularExpression ? " -m reg -- " : " -m str -- ") +
             word(m.value) + " }";
    };
    for (const auto& h : r.headers) add("req.fhdr(" + h.name + ")", h);
    for (const auto& q : r.query) add("urlp(" + q.name + ")", q);
    return c;
}

class Compiler {
public:
    Compiler(const RouteState& s, const L7Listener& l) : s_(s), l_(l) {
        t_.address = l.address;
        t_.tls = l.tls;
        t_.id = listener_id(l.address);
    }

    ListenerTables compile() {
        for (const auto& vh : l_.vhosts) add_vhost(vh);
        // Route actions come after every slot line: a slot picks, then acts.
        for (const auto& [rid, r] : actions_) add_actions(t_.request_rules, rid, *r, &t_.response_rules);
        // map_end is a list, first match wins: longest suffixes first.
        auto& wildn = entries(MapKind::AnyDepthWildcards);
        std::sort(wildn.begin(), wildn.end(), [](const MapEntry& a, const MapEntry& b) {
            return a.key.size() != b.key.size() ? a.key.size() > b.key.size() : a.key < b.key;
        });
        for (auto kind : kMapKinds)
            if (kind != MapKind::AnyDepthWildcards) std::sort(entries(kind).begin(), entries(kind).end());
        return std::move(t_);
    }

private:
    MapEntries& entries(MapKind k) { return t_.maps[static_cast<size_t>(k)]; }

    bool redirected(const L7VirtualHost& vh) const {
        if (l_.tls || vh.any_depth) return false;
        return std::find(l_.redirect_to_https.begin(), l_.redirect_to_https.end(), vh.hostname) != l_.redirect_to_https.end();
    }

    void add_vhost(const L7VirtualHost& vh) {
        const std::string vk = vhost_key(vh);
        if (vh.hostname.starts_with("*.")) {
            if (vh.any_depth) entries(MapKind::AnyDepthWildcards).push_back({vh.hostname.substr(1), vk});
            else entries(MapKind::OneLabelWildcards).push_back({vh.hostname.substr(2), vk});
        }
        // A host answered with a redirect to HTTPS on every path: one entry.
        if (redirected(vh)) {
            t_.https_redirect = https_redirect_backend(t_);
            entries(MapKind::PrefixPaths).push_back({vk + "/", t_.https_redirect});
            return;
        }
        std::set<std::string> exact, prefix;
        for (const auto& r : vh.routes) (r.path_kind == L7PathKind::Exact ? exact : prefix).insert(r.path);
        for (const auto& p : exact)
            add_slot(vh, vk, MapKind::ExactPaths, vk + p, [&](const L7Route& r) {
                return r.path_kind == L7PathKind::Exact ? r.path == p : prefix_matches(r.path, p);
            });
        for (const auto& p : prefix)
            add_slot(vh, vk, MapKind::PrefixPaths, vk + p + "/", [&](const L7Route& r) {
                return r.path_kind == L7PathKind::Prefix && prefix_matches(r.path, p);
            });
        // Nothing of its own matches: 404, not another virtual host.
        if (!prefix.count("")) entries(MapKind::PrefixPaths).push_back({vk + "/", std::string(kStatusBackends[0])});
    }

    // One map entry: the routes a request hitting it may match, in the
    // model's order, up to the first that matches whatever the request.
    template <class Matches>
    void add_slot(const L7VirtualHost& vh, const std::string& vk, MapKind kind, const std::string& key, Matches matches) {
        std::vector<const L7Route*> candidates;
        for (const auto& r : vh.routes) {
            if (!matches(r)) continue;
            candidates.push_back(&r);
            if (!r.conditional()) break;
        }
        if (candidates.size() == 1 && !candidates[0]->conditional())
            if (auto t = direct_target(s_, *candidates[0])) {
                entries(kind).push_back({key, *t});
                return;
            }
        const std::string slot = "@" + stable_id(t_.id + "\n" + key);
        entries(kind).push_back({key, slot});
        for (const L7Route* r : candidates) {
            const std::string rid = "r" + stable_id(t_.id + "\n" + vk + "\n" + r->source);
            t_.request_rules.push_back("http-request set-var(txn.r) str(" + rid + ") if { var(txn.t) -m str " + slot +
                                       " } !{ var(txn.r) -m found }" + conditions(*r));
            if (acted_.insert(rid).second) actions_.emplace_back(rid, r);
        }
    }

    void header_edits(std::vector<std::string>& out, const char* side, const HTTPHeaderFilter& f, const std::string& cond) {
        for (const auto& h : f.set)
            out.push_back(std::string(side) + " set-header " + word(h.name) + " " + log_format(h.value) + cond);
        for (const auto& h : f.add)
            out.push_back(std::string(side) + " add-header " + word(h.name) + " " + log_format(h.value) + cond);
        for (const auto& name : f.remove) out.push_back(std::string(side) + " del-header " + word(name) + cond);
    }

    // A path modifier of the Gateway API, applied to the request's path.
    void path_edit(std::vector<std::string>& out, const L7Route& r, const HTTPPathModifier& m, const std::string& cond) {
        if (m.type == PathModifierType::ReplaceFullPath) {
            out.push_back("http-request set-path " + log_format(m.value) + cond);
            return;
        }
        // ReplacePrefixMatch: the matched prefix (element-wise) becomes the
        // replacement without its trailing '/'; an empty result is "/".
        std::string with = m.value;
        while (!with.empty() && with.back() == '/') with.pop_back();
        const std::string prefix = "^" + regex_literal(r.path);
        if (!with.empty()) {
            out.push_back("http-request replace-path " + word(prefix + "(/.*)?$") + " " + word(lf_escape(with) + "\\1") + cond);
            return;
        }
        out.push_back("http-request replace-path " + word(prefix + "$") + " /" + cond);
        out.push_back("http-request replace-path " + word(prefix + "(/.*)$") + " " + word("\\1") + cond);
    }

    // RequestRedirect: scheme, host and port of the Location; the path as
    // edited; the query kept (HAProxy's "redirect prefix").
    std::string redirect_prefix(const HTTPRequestRedirect& rd) const {
        const std::string scheme = !rd.scheme.empty() ? rd.scheme : (l_.tls ? "https" : "http");
        // No port given: the scheme's own when the scheme changes, else the listener's.
        uint16_t port = rd.port;
        if (!port) port = !rd.scheme.empty() ? (rd.scheme == "https" ? 443 : 80) : l_.address.port;
        const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
        return scheme + "://" + (rd.hostname.empty() ? std::string("%[req.hdr(host),field(1,:),lower]") : lf_escape(rd.hostname)) +
               (default_port ? "" : ":" + std::to_string(port));
    }

    void add_actions(std::vector<std::string>& out, const std::string& rid, const L7Route& r,
                     std::vector<std::string>* response) {
        const std::string cond = " if { var(txn.r) -m str " + rid + " }";
        if (r.redirect) {
            if (r.redirect->path) path_edit(out, r, *r.redirect->path, cond);
            out.push_back("http-request redirect prefix " + word(redirect_prefix(*r.redirect)) + " code " +
                          std::to_string(r.redirect->statusCode) + cond);
            return;
        }
        header_edits(out, "http-request", r.request_headers, cond);
        if (r.rewrite) {
            if (!r.rewrite->hostname.empty())
                out.push_back("http-request set-header host " + log_format(r.rewrite->hostname) + cond);
            if (r.rewrite->path) path_edit(out, r, *r.rewrite->path, cond);
        }
        header_edits(*response, "http-response", r.response_headers, cond);
        const auto targets = weighted_targets(s_, r);
        if (targets.empty()) {
            out.push_back("http-request set-var(txn.t) str(" + status_target(500) + ")" + cond);
            return;
        }
        if (targets.size() == 1) {
            out.push_back("http-request set-var(txn.t) str(" + targets[0].first + ")" + cond);
            return;
        }
        uint64_t total = 0;
        for (const auto& [t, w] : targets) total += w;
        out.push_back("http-request set-var(txn.w) rand(" + std::to_string(total) + ")" + cond);
        uint64_t low = 0;
        for (const auto& [t, w] : targets) {
            out.push_back("http-request set-var(txn.t) str(" + t + ")" + cond + " { var(txn.w) -m int ge " +
                          std::to_string(low) + " } { var(txn.w) -m int lt " + std::to_string(low + w) + " }");
            low += w;
        }
    }

    const RouteState& s_;
    const L7Listener& l_;
    ListenerTables t_;
    std::set<std::string> acted_;
    std::vector<std::pair<std::string, const L7Route*>> actions_;
};

}  // namespace

std::vector<ListenerTables> compile_routes(const RouteState& state) {
    std::vector<ListenerTables> out;
    out.reserve(state.listeners.size());
    for (const auto& l : state.listeners) out.push_back(Compiler(state, l).compile());
    return out;
}

}  // namespace svcnat::ingress
