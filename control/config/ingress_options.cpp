// The ingress block of the settings (`svcnat ingress`, `svcnat run
// --ingress-http-address`): the L7 proxy's addresses, which Ingresses are
// svcnat's, certificates, HAProxy; same rules as every other block.
#include <algorithm>

#include "origins.hpp"

namespace svcnat::config_detail {

namespace cv = config_values;

po::options_description ingress_option_block() {
    po::options_description d("Ingress options (Ingress and Gateway API HTTPRoutes through HAProxy)", 100, 50);
    auto str = [] { return po::value<std::string>(); };
    auto list = [] { return po::value<std::vector<std::string>>(); };
    const IngressSettings def;
    d.add_options()
        ("ingress-http-address", str()->value_name("IP:PORT"),
         "serve Ingresses over HTTP here (`svcnat ingress` default: 0.0.0.0:80; `svcnat run`: none unless given); "
         "Gateway HTTP listeners use this IP with their own port")
        ("ingress-https-address", str()->value_name("IP:PORT"),
         "serve Ingresses over HTTPS here (`svcnat ingress` default: 0.0.0.0:443); Gateway HTTPS listeners use "
         "this IP with their own port")
        ("ingress-class", str()->value_name("NAME"),
         "the IngressClass svcnat serves (spec.ingressClassName or the kubernetes.io/ingress.class annotation; "
         "default: svcnat)")
        ("watch-ingress-without-class", str()->implicit_value("true")->value_name("BOOL"),
         "also serve Ingresses without a class (default: false; they are served anyway when svcnat's "
         "IngressClass is the default class)")
        ("default-ssl-certificate", str()->value_name("NS/NAME"),
         "Secret with the certificate for TLS hosts without one of their own (default: a self-signed one made "
         "at start)")
        ("ingress-ssl-redirect", str()->implicit_value("true")->value_name("BOOL"),
         "answer plain HTTP for an Ingress's TLS hosts with a 308 to HTTPS, as ingress-nginx does; an Ingress "
         "turns it off with the annotation svcnat.io/ssl-redirect: \"false\" (default: true)")
        ("ingress-status-address", list()->value_name("IP"),
         "the address `svcnat get ingress` shows (repeatable; default: the bind addresses)")
        ("haproxy", str()->value_name("PATH"), ("the HAProxy executable (default: " + def.haproxy + ")").c_str())
        ("ingress-threads", str()->value_name("N"),
         "HAProxy's threads (nbthread; default: one per CPU it may run on)")
        ("ingress-state-dir", str()->value_name("DIR"),
         ("where HAProxy's configuration, maps, certificates and sockets are written (default: " + def.state_dir +
          ")").c_str());
    return d;
}

void convert_ingress(const po::variables_map& vm, const Origins& o, IngressSettings& s) {
    auto has = [&](const char* k) { return vm.count(k) > 0; };
    auto get = [&](const char* k) { return vm[k].as<std::string>(); };
    auto boolean = [&](const char* k) {
        auto b = cv::parse_bool(get(k));
        if (!b) o.fail(k, get(k), "expected true or false");
        return *b;
    };
    auto address = [&](const char* k, std::optional<SocketAddress>& out) {
        if (!has(k)) return;
        const std::string v = get(k);
        if (v.empty()) {
            out.reset();
            return;
        }
        auto a = cv::is_host_port(v) ? cv::parse_socket_address(v, 0) : std::nullopt;
        if (!a || a->port == 0) o.fail(k, v, "expected IP:PORT or [IPv6]:PORT, or \"\" for none");
        out = *a;
    };
    IngressOptions& r = s.routes;
    address("ingress-http-address", r.http);
    address("ingress-https-address", r.https);
    if (r.http && r.https && r.http->port == r.https->port &&
        (r.http->ip == r.https->ip || r.http->ip == IPAddr{r.http->ip.family, {}} || r.https->ip == IPAddr{r.https->ip.family, {}}))
        o.fail("ingress-https-address", r.https->str(), "is where --ingress-http-address serves plain HTTP");
    if (has("ingress-class")) {
        const std::string v = get("ingress-class");
        const bool ok = !v.empty() && v.size() <= 253 && std::all_of(v.begin(), v.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        });
        if (!ok) o.fail("ingress-class", v, "expected an IngressClass name (a DNS subdomain)");
        r.ingress_class = v;
    }
    if (has("watch-ingress-without-class")) r.watch_without_class = boolean("watch-ingress-without-class");
    if (has("ingress-ssl-redirect")) r.ssl_redirect = boolean("ingress-ssl-redirect");
    if (has("default-ssl-certificate")) {
        const std::string v = get("default-ssl-certificate");
        const auto slash = v.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == v.size() || v.find('/', slash + 1) != std::string::npos)
            o.fail("default-ssl-certificate", v, "expected NAMESPACE/NAME of a Secret");
        r.default_certificate = v;
    }
    for (const auto& item : list_items(vm, "ingress-status-address")) {
        auto ip = IPAddr::parse(item);
        if (!ip) o.fail("ingress-status-address", item, "expected an IP address");
        s.status_addresses.push_back(*ip);
    }
    if (has("haproxy")) {
        if (get("haproxy").empty()) o.fail("haproxy", "", "expected the path of the haproxy executable");
        s.haproxy = get("haproxy");
    }
    if (has("ingress-threads")) {
        const auto n = cv::parse_uint(get("ingress-threads"));
        if (!n || *n < 1 || *n > 64) o.fail("ingress-threads", get("ingress-threads"), "expected 1..64 threads");
        s.threads = static_cast<unsigned>(*n);
    }
    if (has("ingress-state-dir")) {
        const std::string v = get("ingress-state-dir");
        if (v.empty() || v.front() != '/') o.fail("ingress-state-dir", v, "expected an absolute directory path");
        s.state_dir = v;
    }
}

}  // namespace svcnat::config_detail
