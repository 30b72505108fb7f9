#include "haproxy_config.hpp"

#include "haproxy_text.hpp"

namespace svcnat::ingress {

std::string ProxyPaths::map(const ListenerTables& t, MapKind kind) const {
    return dir + "/maps/" + t.id + "." + std::string(map_suffix(kind)) + ".map";
}

std::string ProxyPaths::certificate(const std::string& secret) const {
    std::string name = secret;
    for (auto& c : name)
        if (c == '/') c = '_';
    return dir + "/certs/" + name + ".pem";
}

std::string map_file_text(const MapEntries& entries) {
    std::string out;
    for (const auto& e : entries) out += e.key + " " + e.value + "\n";
    return out;
}

std::string server_line(const L7Server& s) {
    return "server " + server_name(s.ip, s.port) + " " + SocketAddress{s.ip, s.port}.str() + " weight " + (s.drain ? "0" : "1");
}

namespace {

constexpr std::string_view kGlobal = R"(global
    master-worker
    # Old workers finish open connections for at most this long after a reload.
    hard-stop-after 120s
    ssl-default-bind-options ssl-min-ver TLSv1.2
    tune.ssl.default-dh-param 2048
    # Errors and alerts only: a server put in maintenance or deleted through
    # the runtime API is a warning, and an endpoint change would flood the log.
    log stderr format raw local0 err
)";

// No request logs: HAProxy's alerts go to stderr (global log), svcnat's
// metrics count what matters, and a log line per request costs.
constexpr std::string_view kDefaults = R"(defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 60s
    timeout queue 30s
    timeout tunnel 1h
    retries 3
    option redispatch 1
    # (Retrying on an empty response would copy every request into a
    # buffer: 7 % more CPU per request for a rare case.)
    retry-on conn-failure
    # Idle connections to pods are reused for any request, as nginx's
    # upstream keepalive does: with "safe", a client that closes after each
    # request costs a new connection to the pod too (1.3x the CPU).
    http-reuse always

backend status_404
    http-request return status 404 content-type text/plain string "default backend - 404"

backend status_500
    http-request return status 500 content-type text/plain string "no usable backend"

backend status_503
    http-request return status 503 content-type text/plain string "service unavailable"
)";

class Renderer {
public:
    Renderer(const RouteState& s, const ProxyPaths& p, const std::string& default_pem, unsigned threads)
        : s_(s), p_(p), default_pem_(default_pem), threads_(threads) {}

    HaproxyConfig run() {
        HaproxyConfig out;
        tables_ = compile_routes(s_);
        std::string head;
        head += "# Written by svcnat from the manifests; every change here is overwritten.\n";
        head += kGlobal;
        head += "    stats socket " + word(p_.admin_socket()) + " mode 600 level admin expose-fd listeners\n";
        head += "    stats timeout 2m\n";
        if (threads_) head += "    nbthread " + std::to_string(threads_) + "\n";
        head += "\n";
        head += kDefaults;
        for (const auto& t : tables_) head += "\n" + frontend(t, out);
        out.text = head;
        out.skeleton = head;
        for (const auto& b : s_.backends) {
            const std::string name = backend_name(b.name);
            const std::string section = "\nbackend " + name + "\n    # " + b.name + "\n    balance roundrobin\n";
            out.skeleton += section;
            out.text += section;
            for (const auto& srv : b.servers) out.text += "    " + server_line(srv) + "\n";
            out.servers[name] = b.servers;
        }
        return out;
    }

private:
    std::string frontend(const ListenerTables& t, HaproxyConfig& out) {
        for (auto kind : kMapKinds) out.maps[p_.map(t, kind)] = t.map(kind);
        auto map = [&](MapKind k) { return word(p_.map(t, k)); };
        std::string f = "frontend fe_" + t.id + "\n";
        f += "    bind " + t.address.str();
        if (t.tls) {
            f += " ssl crt-list " + word(p_.crt_list(t)) + " alpn h2,http/1.1";
            out.tls_files[p_.crt_list(t)] = crt_list(t, out);
        }
        f += "\n";
        f += "    http-request set-header X-Forwarded-Proto " + std::string(t.tls ? "https" : "http") + "\n";
        // The path under its virtual host. Fast path: the Host header as
        // sent ("base" is Host + path) is an exact virtual host's key, and
        // every one has at least the prefix entry "<host>/": two lookups.
        // Otherwise the host without port, in lower case, then the most
        // specific wildcard, then the host-less virtual host. Exact paths
        // first, then the longest element-wise prefix.
        const std::string exact = "map_str(" + map(MapKind::ExactPaths) + ")";
        const std::string prefix = "map_beg(" + map(MapKind::PrefixPaths) + ")";
        const std::string unmatched = " if !{ var(txn.t) -m found }";
        // Without Exact paths the exact map is not looked up (the first one
        // makes a reload).
        const bool exact_paths = !t.map(MapKind::ExactPaths).empty();
        if (exact_paths) f += "    http-request set-var(txn.t) base," + exact + "\n";
        f += "    http-request set-var(txn.t) base,concat(/,,)," + prefix + (exact_paths ? unmatched : "") + "\n";
        f += "    http-request set-var(txn.host) req.hdr(host),field(1,:),lower" + unmatched + "\n";
        f += "    http-request set-var(txn.path) path" + unmatched + "\n";
        if (exact_paths) f += "    http-request set-var(txn.t) var(txn.host),concat(,txn.path,)," + exact + unmatched + "\n";
        f += "    http-request set-var(txn.t) var(txn.host),concat(,txn.path,/)," + prefix + unmatched + "\n";
        f += "    http-request set-var(txn.vh) var(txn.host),field(2,.,0),map_str(" + map(MapKind::OneLabelWildcards) + ")" +
             unmatched + "\n";
        f += "    http-request set-var(txn.vh) var(txn.host),map_end(" + map(MapKind::AnyDepthWildcards) + ")" + unmatched +
             " !{ var(txn.vh) -m found }\n";
        f += "    http-request set-var(txn.vh) str(_)" + unmatched + " !{ var(txn.vh) -m found }\n";
        if (exact_paths) f += "    http-request set-var(txn.t) var(txn.vh),concat(,txn.path,)," + exact + unmatched + "\n";
        f += "    http-request set-var(txn.t) var(txn.vh),concat(,txn.path,/)," + prefix + unmatched + "\n";
        for (const auto& line : t.request_rules) f += "    " + line + "\n";
        if (!t.request_rules.empty())
            f += "    http-request set-var(txn.t) str(status_404) if { var(txn.t) -m beg @ }\n";
        for (const auto& line : t.response_rules) f += "    " + line + "\n";
        f += "    use_backend %[var(txn.t)] if { var(txn.t) -m found }\n";
        f += "    default_backend status_404\n";
        if (!t.https_redirect.empty()) {
            const L7Listener& l = listener_of(t);
            const std::string port = l.redirect_port == 443 ? "" : ":" + std::to_string(l.redirect_port);
            f += "\nbackend " + t.https_redirect + "\n";
            f += "    http-request redirect prefix https://%[req.hdr(host),field(1,:),lower]" + port + " code 308\n";
        }
        return f;
    }

    const L7Listener& listener_of(const ListenerTables& t) const {
        for (const auto& l : s_.listeners)
            if (l.address == t.address) return l;
        return s_.listeners.front();  // unreachable: tables come from listeners
    }

    // The default certificate first (served when no SNI matches), then
    // each certificate with the hostnames it is for.
    std::string crt_list(const ListenerTables& t, HaproxyConfig& out) {
        std::string list = p_.default_certificate() + "\n";
        out.tls_files[p_.default_certificate()] = default_pem_;
        for (uint32_t i : listener_of(t).certificates) {
            const L7Certificate& c = s_.certificates[i];
            const std::string file = p_.certificate(c.name);
            out.tls_files[file] = c.pem;
            list += file;
            for (const auto& sni : c.sni) list += " " + sni;
            list += "\n";
        }
        return list;
    }

    const RouteState& s_;
    const ProxyPaths& p_;
    const std::string& default_pem_;
    unsigned threads_;
    std::vector<ListenerTables> tables_;
};

}  // namespace

HaproxyConfig render_config(const RouteState& state, const ProxyPaths& paths, const std::string& default_certificate_pem,
                            unsigned threads) {
    return Renderer(state, paths, default_certificate_pem, threads).run();
}

}  // namespace svcnat::ingress
