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
    log stderr format raw local0 warning
)";

constexpr std::string_view kDefaults = R"(defaults
    mode http
    log global
    option dontlognull
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
    retry-on conn-failure empty-response

backend status_404
    http-request return status 404 content-type text/plain string "default backend - 404"

backend status_500
    http-request return status 500 content-type text/plain string "no usable backend"

backend status_503
    http-request return status 503 content-type text/plain string "service unavailable"
)";

class Renderer {
public:
    Renderer(const RouteState& s, const ProxyPaths& p, const std::string& default_pem) : s_(s), p_(p), default_pem_(default_pem) {}

    HaproxyConfig run() {
        HaproxyConfig out;
        tables_ = compile_routes(s_);
        std::string head;
        head += "# Written by svcnat from the manifests; every change here is overwritten.\n";
        head += kGlobal;
        head += "    stats socket " + word(p_.admin_socket()) + " mode 600 level admin expose-fd listeners\n";
        head += "    stats timeout 2m\n\n";
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
        f += "    http-request set-header X-Forwarded-Port " + std::to_string(t.address.port) + "\n";
        // The virtual host: exact name, one-label wildcard, any-depth wildcard, host-less.
        f += "    http-request set-var(txn.host) req.hdr(host),field(1,:),lower\n";
        f += "    http-request set-var(txn.vh) var(txn.host),map_str(" + map(MapKind::Hosts) + ")\n";
        f += "    http-request set-var(txn.vh) var(txn.host),field(2,.,0),map_str(" + map(MapKind::OneLabelWildcards) +
             ") if !{ var(txn.vh) -m found }\n";
        f += "    http-request set-var(txn.vh) var(txn.host),map_end(" + map(MapKind::AnyDepthWildcards) +
             ") if !{ var(txn.vh) -m found }\n";
        f += "    http-request set-var(txn.vh) str(_) if !{ var(txn.vh) -m found }\n";
        if (!t.tls) {
            const L7Listener& l = listener_of(t);
            const std::string port = l.redirect_port == 443 ? "" : ":" + std::to_string(l.redirect_port);
            f += "    http-request redirect prefix https://%[var(txn.host)]" + port + " code 308 if { var(txn.vh),map_str(" +
                 map(MapKind::HttpsRedirects) + ") -m found }\n";
        }
        // The path: Exact first, then the longest element-wise prefix.
        f += "    http-request set-var(txn.path) path\n";
        f += "    http-request set-var(txn.t) var(txn.vh),concat(,txn.path,),map_str(" + map(MapKind::ExactPaths) + ")\n";
        f += "    http-request set-var(txn.t) var(txn.vh),concat(,txn.path,/),map_beg(" + map(MapKind::PrefixPaths) +
             ") if !{ var(txn.t) -m found }\n";
        for (const auto& line : t.request_rules) f += "    " + line + "\n";
        f += "    http-request set-var(txn.t) str(status_404) if { var(txn.t) -m beg @ }\n";
        for (const auto& line : t.response_rules) f += "    " + line + "\n";
        f += "    use_backend %[var(txn.t)] if { var(txn.t) -m found }\n";
        f += "    default_backend status_404\n";
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
    std::vector<ListenerTables> tables_;
};

}  // namespace

HaproxyConfig render_config(const RouteState& state, const ProxyPaths& paths, const std::string& default_certificate_pem) {
    return Renderer(state, paths, default_certificate_pem).run();
}

}  // namespace svcnat::ingress
