// Ingress and Gateway API routes end to end: `svcnat ingress` on the lab's
// node runs a real HAProxy (Debian's), pods echo every request as JSON
// (podserver.py --http-echo), and the external client sends real requests,
// plain and TLS (scripts/lab/httpq.py). The Gateway API conformance tests
// that concern what svcnat serves are restated in testdata/gateway-api (the
// routes) and the tables below (the requests and answers), named after the
// upstream tests; the Ingress cases follow the Kubernetes documentation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "lab.hpp"
#include "manifests.hpp"
#include "control/ingress/haproxy_process.hpp"
#include "tests/support/tls_fixtures.hpp"

namespace svcnat::e2e {
namespace {

using json = nlohmann::json;

std::string source_root() {
    return std::filesystem::path(lab_script()).parent_path().parent_path().parent_path().string();
}
std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::string scenario(const std::string& name) { return read_file(source_root() + "/tests/e2e/testdata/gateway-api/" + name); }

using svcnat::testing::tls_secret_yaml;

constexpr const char* kNode = "203.0.113.1";

struct Req {
    Req(std::string p = "/", std::string h = "", std::map<std::string, std::string> hd = {}, std::string m = "GET",
        int pt = 80, bool tls = false)
        : path(std::move(p)), host(std::move(h)), headers(std::move(hd)), method(std::move(m)), port(pt), https(tls) {}
    std::string path;
    std::string host;  // Host header ("" = the address)
    std::map<std::string, std::string> headers;
    std::string method;
    int port;
    bool https;
    std::string sni;  // TLS server name ("" = host)
};

struct Want {
    Want(int s = 200, std::string p = "") : status(s), pod(std::move(p)) {}
    int status;
    std::string pod;  // the pod that answered ("" = not checked)
    std::map<std::string, std::string> request_headers;  // as the pod saw them
    std::vector<std::string> absent_request_headers;
    std::string backend_path;  // the path the pod saw ("" = not checked)
    std::string backend_host;
    std::map<std::string, std::string> response_headers;
    std::vector<std::string> absent_response_headers;
    std::string location;  // of a redirect
    std::string cert_cn;   // of the certificate served
};

struct Case {
    Req req;
    Want want;
};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class IngressLab : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root()) return;
        setup_error_.clear();
        lab_ = std::make_unique<Lab>("e2e-ingress");
        try {
            lab_->up({});
            const std::vector<std::string> echo_only = {"--http", "", "--udp", "", "--echo", "", "--sctp", "",
                                                        "--http-echo", "8080"};
            lab_->add_pod("infra-backend-v1", "10.244.1.21", echo_only);
            lab_->add_pod("infra-backend-v2", "10.244.1.22", echo_only);
            lab_->add_pod("infra-backend-v3", "10.244.1.23", echo_only);
            lab_->add_pod("web-backend", "10.244.1.24", echo_only);
            lab_->add_pod("shop-1", "10.244.1.31", echo_only);
            lab_->add_pod("shop-2", "10.244.1.32", echo_only);
            manifests_ = std::make_unique<ManifestDir>();
            manifests_->write("00-base.yaml", scenario("base.yaml"));
            state_dir_ = manifests_->path() + ".haproxy";
            lab_->spawn("node", "svcnat",
                        {svcnat_binary(), "ingress", "--ingress-http-address", std::string(kNode) + ":80",
                         "--ingress-https-address", std::string(kNode) + ":443", "--ingress-state-dir", state_dir_,
                         "--healthz-bind-address", "127.0.0.1:10254", "--metrics-bind-address", "127.0.0.1:10254",
                         "--min-sync-period", "100ms", manifests_->path()});
            wait_for_sync("");
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        lab_.reset();
        manifests_.reset();
        std::filesystem::remove_all(state_dir_);
    }
    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        if (std::system("command -v haproxy >/dev/null 2>&1") != 0) GTEST_SKIP() << "haproxy is not installed";
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    }

    static json healthz() {
        const std::string body = lab_->http_get("node", "http://127.0.0.1:10254/healthz");
        return json::parse(body, nullptr, false);
    }

    // Waits until a sync newer than `after` (healthz lastUpdated) succeeded
    // and nothing is pending; returns its time.
    static std::string wait_for_sync(const std::string& after) {
        for (int i = 0; i < 150; ++i) {
            const json h = healthz();
            if (h.is_object()) {
                const std::string updated = h.value("lastUpdated", "");
                const bool pending = h["svcnat"].value("updatePending", true);
                if (updated != after && updated.rfind("0001-", 0) != 0 && !pending) return updated;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("svcnat ingress did not sync within 15 s: " + healthz().dump());
    }

    // Replaces the scenario's manifests and waits until they are served.
    static void apply(const std::string& yaml) {
        const std::string before = healthz().value("lastUpdated", "");
        manifests_->write("50-scenario.yaml", yaml);
        wait_for_sync(before);
    }

    static json send(const std::vector<json>& requests) {
        std::vector<std::string> argv{kPython, source_root() + "/scripts/lab/httpq.py"};
        auto r = run_command(lab_->exec_argv("client", argv), 60 + 5.0 * static_cast<double>(requests.size()),
                             json(requests).dump());
        if (!r.ok()) throw std::runtime_error("httpq: " + r.describe());
        return json::parse(r.out);
    }

    static json request_json(const Req& r) {
        const std::string scheme = r.https ? "https" : "http";
        json j{{"url", scheme + "://" + kNode + ":" + std::to_string(r.port) + r.path},
               {"method", r.method},
               {"host", r.host.empty() ? std::string(kNode) : r.host},
               {"headers", r.headers}};
        if (!r.sni.empty()) j["sni"] = r.sni;
        return j;
    }

    // Every case in one run of httpq; each checked with what it was.
    static void check(const std::string& test, const std::vector<Case>& cases) {
        std::vector<json> requests;
        for (const auto& c : cases) requests.push_back(request_json(c.req));
        const json answers = send(requests);
        ASSERT_EQ(answers.size(), cases.size());
        for (size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[i];
            const json& a = answers[i];
            const std::string what = test + " case " + std::to_string(i) + ": " + c.req.method + " " + c.req.host +
                                     c.req.path + " -> " + a.dump().substr(0, 600);
            EXPECT_EQ(a.value("status", 0), c.want.status) << what;
            const json& echo = a["json"];
            if (!c.want.pod.empty()) { EXPECT_EQ(echo.is_object() ? echo.value("pod", "") : "", c.want.pod) << what; }
            if (!echo.is_object()) continue;
            const json& seen = echo["headers"];
            for (const auto& [name, value] : c.want.request_headers)
                EXPECT_EQ(seen.value(lower(name), "<absent>"), value) << what << " (request header " << name << ")";
            for (const auto& name : c.want.absent_request_headers)
                EXPECT_FALSE(seen.contains(lower(name))) << what << " (request header " << name << ")";
            if (!c.want.backend_path.empty()) { EXPECT_EQ(echo.value("path", ""), c.want.backend_path) << what; }
            if (!c.want.backend_host.empty()) { EXPECT_EQ(echo.value("host", ""), c.want.backend_host) << what; }
        }
        for (size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[i];
            const json& a = answers[i];
            const std::string what = test + " case " + std::to_string(i) + ": " + c.req.host + c.req.path;
            const json& headers = a["headers"];
            for (const auto& [name, value] : c.want.response_headers)
                EXPECT_EQ(headers.value(lower(name), "<absent>"), value) << what << " (response header " << name << ")";
            for (const auto& name : c.want.absent_response_headers)
                EXPECT_FALSE(headers.contains(lower(name))) << what << " (response header " << name << ")";
            if (!c.want.location.empty()) { EXPECT_EQ(headers.value("location", ""), c.want.location) << what; }
            if (!c.want.cert_cn.empty()) { EXPECT_EQ(a.value("cert_cn", ""), c.want.cert_cn) << what; }
        }
    }

    static double metric(const std::string& name) {
        const std::string text = lab_->http_get("node", "http://127.0.0.1:10254/metrics");
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);)
            if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
        return -1;
    }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::unique_ptr<ManifestDir> manifests_;
    static inline std::string state_dir_;
    static inline std::string setup_error_;
};

Case to(const std::string& path, const std::string& pod, const std::string& host = "",
        std::map<std::string, std::string> headers = {}) {
    return Case{Req{path, host, std::move(headers)}, Want{200, pod}};
}
Case status(const std::string& path, int code, const std::string& host = "",
            std::map<std::string, std::string> headers = {}) {
    return Case{Req{path, host, std::move(headers)}, Want{code}};
}
Case method(const std::string& m, const std::string& path, const std::string& pod, std::map<std::string, std::string> headers = {}) {
    Case c{Req{path, "", std::move(headers), m}, Want{pod.empty() ? 404 : 200, pod}};
    return c;
}
Case redirect(const std::string& path, int code, const std::string& location) {
    Want w{code};
    w.location = location;
    return Case{Req{path}, w};
}

// ---- Ingress (networking.k8s.io/v1) ---------------------------------------------------

std::string shop_services() {
    return documents({"apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n",
                      endpoint_slice_yaml("shop-1", "shop", {{"10.244.1.31"}, {"10.244.1.32"}}, {{"http", 8080}}),
                      "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n",
                      endpoint_slice_yaml("api-1", "api", {{"10.244.1.21"}}, {{"http", 8080}}),
                      "apiVersion: v1\nkind: Service\nmetadata: {name: docs}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n",
                      endpoint_slice_yaml("docs-1", "docs", {{"10.244.1.22"}}, {{"http", 8080}})}) +
           "\n---\n";
}

std::string ingress(const std::string& name, const std::string& spec, const std::string& annotations = "") {
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + name + "\n" + annotations +
           "spec:\n  ingressClassName: svcnat\n" + spec + "---\n";
}

std::string path_item(const std::string& path, const std::string& type, const std::string& service) {
    return "      - {path: " + path + ", pathType: " + type + ", backend: {service: {name: " + service +
           ", port: {number: 80}}}}\n";
}

// One address for many Services: by host name and by path (the Kubernetes
// documentation's fan-out and name-based virtual hosting), the path rules of
// its examples table, wildcard hosts, default backends.
TEST_F(IngressLab, HostsPathsAndDefaults) {
    apply(shop_services() +
          ingress("fanout", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" +
                                path_item("/", "Prefix", "shop") + path_item("/api", "Prefix", "api") +
                                path_item("/docs", "Exact", "docs") + path_item("/aaa/bbb", "Prefix", "docs") +
                                "  - host: \"*.example.net\"\n    http:\n      paths:\n" + path_item("/", "Prefix", "api")) +
          ingress("default", "  defaultBackend: {service: {name: docs, port: {name: http}}}\n"));
    check("Ingress", {
        to("/api", "infra-backend-v1", "shop.example.com"),
        to("/api/", "infra-backend-v1", "shop.example.com"),
        to("/api/v1/orders", "infra-backend-v1", "shop.example.com"),
        status("/apix", 200, "shop.example.com"),  // not /api: the shop's "/"
        to("/docs", "infra-backend-v2", "shop.example.com"),
        to("/aaa/bbb/ccc", "infra-backend-v2", "shop.example.com"),
        to("/a.example.net-path", "infra-backend-v1", "a.example.net"),
        to("/", "infra-backend-v1", "A.EXAMPLE.NET:80"),
        to("/", "infra-backend-v2", "b.a.example.net"),  // two labels: not *.example.net, the default
        to("/", "infra-backend-v2", "unknown.example.org"),
    });
    // The shop's two pods both answer "/".
    const json tally = send({json{{"url", std::string("http://") + kNode + "/"}, {"host", "shop.example.com"}, {"repeat", 40}}});
    EXPECT_EQ(tally[0]["repeat"]["tally"].size(), 2u) << tally.dump();
}

TEST_F(IngressLab, MissingServiceAnswers503AndTheRestIsServed) {
    apply(shop_services() + ingress("gone", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" +
                                                path_item("/gone", "Prefix", "no-such-service") +
                                                path_item("/", "Prefix", "shop")));
    check("Missing", {status("/gone/x", 503, "shop.example.com"), status("/", 200, "shop.example.com"),
                      status("/", 404, "other.example.com")});
}

TEST_F(IngressLab, TLSBySNIWithRedirectsAndTheDefaultCertificate) {
    apply(shop_services() + tls_secret_yaml("default", "foo-tls", "foo.example.com") + "---\n" +
          tls_secret_yaml("default", "broken-tls", "bar.example.com", "foo.example.com") + "---\n" +
          ingress("tls", "  tls:\n  - {hosts: [foo.example.com], secretName: foo-tls}\n"
                         "  - {hosts: [bar.example.com], secretName: broken-tls}\n"
                         "  rules:\n  - host: foo.example.com\n    http:\n      paths:\n" + path_item("/", "Prefix", "api") +
                         "  - host: bar.example.com\n    http:\n      paths:\n" + path_item("/", "Prefix", "docs")) +
          ingress("plain", "  tls:\n  - {hosts: [quiet.example.com], secretName: foo-tls}\n"
                           "  rules:\n  - host: quiet.example.com\n    http:\n      paths:\n" + path_item("/", "Prefix", "shop"),
                  "  annotations: {svcnat.io/ssl-redirect: \"false\"}\n"));
    Case foo{Req{"/x", "foo.example.com", {}, "GET", 443, true}, Want{200, "infra-backend-v1"}};
    foo.want.cert_cn = "foo.example.com";
    foo.want.request_headers = {{"X-Forwarded-Proto", "https"}};
    Case bar{Req{"/", "bar.example.com", {}, "GET", 443, true}, Want{200, "infra-backend-v2"}};
    bar.want.cert_cn = "svcnat default certificate";  // its Secret's key is not its certificate's
    Case unknown{Req{"/", "nobody.example.com", {}, "GET", 443, true}, Want{404}};
    unknown.want.cert_cn = "svcnat default certificate";
    Case redirect_foo{Req{"/x?y=1", "foo.example.com"}, Want{308}};
    redirect_foo.want.location = "https://foo.example.com/x?y=1";
    Case quiet{Req{"/", "quiet.example.com"}, Want{200, "shop-1"}};
    quiet.want.pod = "";  // either shop pod
    check("TLS", {foo, bar, unknown, redirect_foo, quiet});
}

// A bad edit is refused with its file and line; what was served stays served.
TEST_F(IngressLab, BadInputKeepsTheLastGoodState) {
    apply(shop_services() + ingress("good", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" +
                                                path_item("/", "Prefix", "shop")));
    manifests_->write("60-bad.yaml", ingress("bad", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" +
                                                        path_item("relative", "Prefix", "shop")));
    json h;
    for (int i = 0; i < 100; ++i) {
        h = healthz();
        if (h.is_object() && !h["svcnat"].value("configOk", true)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(h["svcnat"].value("configOk", true)) << h.dump();
    EXPECT_NE(h["svcnat"]["configErrors"].dump().find("60-bad.yaml:11: spec.rules[0].http.paths[0].path: Invalid value: \\\"relative\\\": must be an absolute path"),
              std::string::npos)
        << h.dump();
    check("LastGood", {status("/", 200, "shop.example.com")});
    manifests_->remove("60-bad.yaml");
    for (int i = 0; i < 100 && !healthz()["svcnat"].value("configOk", false); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// Endpoint changes go through the runtime API: no reload, no failed request.
TEST_F(IngressLab, EndpointChangesWithoutReloadOrFailedRequests) {
    auto shop = [](const std::vector<SliceEndpointSpec>& eps) {
        return documents({"apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n",
                          endpoint_slice_yaml("shop-1", "shop", eps, {{"http", 8080}}),
                          "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop}\nspec:\n"
                          "  ingressClassName: svcnat\n  defaultBackend: {service: {name: shop, port: {number: 80}}}\n"});
    };
    apply(shop({{"10.244.1.31"}}));
    const double reloads = metric("svcnat_ingress_reloads_total{result=\"success\"}");
    const double runtime = metric("svcnat_ingress_runtime_updates_total");
    std::atomic<bool> done{false};
    json loop;
    std::thread client([&] {
        loop = send({json{{"url", std::string("http://") + kNode + "/"}, {"host", "shop.example.com"}, {"repeat", 300}}});
        done = true;
    });
    // Scale up, drain the first pod (terminating, still serving), remove it.
    apply(shop({{"10.244.1.31"}, {"10.244.1.32"}}));
    apply(shop({{"10.244.1.31", "node-a", false, true, true}, {"10.244.1.32"}}));
    apply(shop({{"10.244.1.32"}}));
    apply(shop({{"10.244.1.32"}, {"10.244.1.31"}}));
    client.join();
    const json& tally = loop[0]["repeat"]["tally"];
    int answered = 0;
    for (const auto& [who, n] : tally.items())
        if (who.rfind("shop-", 0) == 0) answered += n.get<int>();
    EXPECT_EQ(answered, 300) << "failed requests while endpoints changed: " << tally.dump();
    EXPECT_EQ(metric("svcnat_ingress_reloads_total{result=\"success\"}"), reloads) << "an endpoint change reloaded HAProxy";
    EXPECT_GE(metric("svcnat_ingress_runtime_updates_total"), runtime + 4);
    // And what /metrics says is well-formed Prometheus text (but for
    // kube-proxy's own gauge named like a counter, kept for its dashboards).
    if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
        auto lint = lab_->exec("node", {"sh", "-c", "curl -s http://127.0.0.1:10254/metrics | promtool check metrics 2>&1"});
        std::string problems;
        for (const auto& line : lint.lines())
            if (!line.empty() && line.find("kubeproxy_sync_proxy_rules_no_local_endpoints_total") == std::string::npos)
                problems += line + "\n";
        EXPECT_EQ(problems, "") << lint.describe();
    }
}

// Structural changes reload hitlessly; HAProxy is restarted when it dies.
TEST_F(IngressLab, ReloadsDropNothingAndHAProxyIsRestarted) {
    apply(shop_services() + ingress("one", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" +
                                               path_item("/", "Prefix", "shop")));
    json loop;
    std::thread client([&] {
        loop = send({json{{"url", std::string("http://") + kNode + "/"}, {"host", "shop.example.com"}, {"repeat", 300}}});
    });
    for (int i = 0; i < 4; ++i)  // each adds a backend: a reload
        apply(shop_services() +
              ingress("one", "  rules:\n  - host: shop.example.com\n    http:\n      paths:\n" + path_item("/", "Prefix", "shop") +
                                 (i % 2 ? path_item("/api", "Prefix", "api") : path_item("/docs", "Prefix", "docs"))));
    client.join();
    int ok = 0;
    for (const auto& [who, n] : loop[0]["repeat"]["tally"].items())
        if (who.rfind("shop-", 0) == 0) ok += n.get<int>();
    EXPECT_EQ(ok, 300) << loop.dump();
    EXPECT_GE(metric("svcnat_ingress_reloads_total{result=\"success\"}"), 4);

    // Kill the master: /healthz fails, then svcnat starts HAProxy again.
    auto r = lab_->exec("node", {"pkill", "-KILL", "-f", "haproxy -W -S " + state_dir_});
    ASSERT_TRUE(r.ok()) << r.describe();
    bool recovered = false;
    for (int i = 0; i < 100 && !recovered; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const json h = healthz();
        recovered = h.is_object() && h["svcnat"]["dataPath"].value("ok", false) && metric("svcnat_ingress_haproxy_starts_total") >= 2;
    }
    EXPECT_TRUE(recovered) << healthz().dump();
    check("Restarted", {status("/", 200, "shop.example.com")});

    // The restarted master and its worker run with the malloc tunable
    // svcnat gives HAProxy (control/ingress/haproxy_process.hpp).
    r = lab_->exec("node", {"sh", "-c", "for p in $(pgrep -f '[h]aproxy -W -S " + state_dir_ +
                                            "'); do tr '\\0' '\\n' </proc/$p/environ | grep -c "
                                            "'^GLIBC_TUNABLES=.*glibc.malloc.trim_threshold=" +
                                            std::to_string(ingress::kHeapKeptBytes) + "$'; done"});
    EXPECT_EQ(r.out, "1\n1\n") << r.describe();
}

// ---- Gateway API (the conformance tests' tables) ---------------------------------------

TEST_F(IngressLab, HTTPRouteMatching) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("matching.yaml"));
    check("HTTPRouteMatching", {to("/", "infra-backend-v1"), to("/example", "infra-backend-v1"),
                                to("/", "infra-backend-v1", "", {{"Version", "one"}}), to("/v2", "infra-backend-v2"),
                                to("/v2/example", "infra-backend-v2"), to("/", "infra-backend-v2", "", {{"Version", "two"}})});
}

TEST_F(IngressLab, HTTPRouteMatchingAcrossRoutes) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("matching-across-routes.yaml"));
    check("HTTPRouteMatchingAcrossRoutes",
          {to("/", "infra-backend-v1", "example.com"), to("/example", "infra-backend-v1", "example.com"),
           to("/example", "infra-backend-v1", "example.net"),
           to("/example", "infra-backend-v1", "example.com", {{"Version", "one"}}), to("/v2", "infra-backend-v2", "example.com"),
           to("/v2", "infra-backend-v1", "example.net"), to("/v2/example", "infra-backend-v2", "example.com"),
           to("/", "infra-backend-v2", "example.com", {{"Version", "two"}})});
}

TEST_F(IngressLab, HTTPRoutePathMatchOrderAndExactPathMatching) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("path-match-order.yaml"));
    check("HTTPRoutePathMatchOrder",
          {to("/match/exact/one", "infra-backend-v3"), to("/match/exact", "infra-backend-v2"), to("/match", "infra-backend-v1"),
           to("/match/prefix/one/any", "infra-backend-v2"), to("/match/prefix/any", "infra-backend-v1"),
           to("/match/any", "infra-backend-v3")});
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("exact-path-matching.yaml"));
    check("HTTPRouteExactPathMatching",
          {to("/one", "infra-backend-v1"), to("/two", "infra-backend-v2"), status("/", 404), status("/one/example", 404),
           status("/two/", 404)});
}

TEST_F(IngressLab, HTTPRouteHeaderMatching) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("header-matching.yaml"));
    check("HTTPRouteHeaderMatching",
          {to("/", "infra-backend-v1", "", {{"Version", "one"}}), to("/", "infra-backend-v2", "", {{"Version", "two"}}),
           to("/", "infra-backend-v1", "", {{"Version", "two"}, {"Color", "orange"}}),
           to("/", "infra-backend-v2", "", {{"Version", "two"}, {"Color", "blue"}}),
           status("/", 404, "", {{"Color", "orange"}}), status("/", 404, "", {{"Some-Other-Header", "one"}}),
           to("/", "infra-backend-v1", "", {{"Color", "blue"}}), to("/", "infra-backend-v1", "", {{"Color", "green"}}),
           to("/", "infra-backend-v2", "", {{"Color", "red"}}), to("/", "infra-backend-v2", "", {{"Color", "yellow"}}),
           status("/", 404, "", {{"Color", "purple"}})});
}

TEST_F(IngressLab, HTTPRouteQueryParamMatching) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("query-param-matching.yaml"));
    check("HTTPRouteQueryParamMatching",
          {to("/?animal=whale", "infra-backend-v1"), to("/?animal=dolphin", "infra-backend-v2"),
           to("/?animal=dolphin&color=blue", "infra-backend-v3"), to("/?ANIMAL=Whale", "infra-backend-v3"),
           to("/?animal=whale&otherparam=irrelevant", "infra-backend-v1"),
           to("/?animal=dolphin&color=yellow", "infra-backend-v2"), status("/?color=blue", 404), status("/?animal=dog", 404),
           status("/?animal=whaledolphin", 404), status("/", 404), to("/path1?animal=whale", "infra-backend-v1"),
           to("/?animal=whale", "infra-backend-v2", "", {{"version", "one"}}),
           to("/path2?animal=whale", "infra-backend-v3", "", {{"version", "two"}}), to("/path3?animal=shark", "infra-backend-v1"),
           to("/path4?animal=kraken", "infra-backend-v1", "", {{"version", "three"}}), status("/?animal=shark", 404),
           status("/path4?animal=kraken", 404), to("/path5?animal=hydra", "infra-backend-v1"),
           to("/?animal=hydra", "infra-backend-v3", "", {{"version", "four"}})});
}

TEST_F(IngressLab, HTTPRouteMethodMatching) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("method-matching.yaml"));
    check("HTTPRouteMethodMatching",
          {method("POST", "/", "infra-backend-v1"), method("GET", "/", "infra-backend-v2"), method("HEAD", "/", ""),
           method("GET", "/path1", "infra-backend-v1"), method("PUT", "/", "infra-backend-v2", {{"version", "one"}}),
           method("POST", "/path2", "infra-backend-v3", {{"version", "two"}}), method("PATCH", "/path3", "infra-backend-v1"),
           method("DELETE", "/path4", "infra-backend-v1", {{"version", "three"}}), method("PUT", "/", ""),
           method("DELETE", "/path4", ""), method("PATCH", "/path5", "infra-backend-v1"),
           method("PATCH", "/", "infra-backend-v2", {{"version", "four"}})});
}

TEST_F(IngressLab, HTTPRouteHostnameIntersection) {
    apply(scenario("hostname-intersection.yaml"));
    check("HTTPRouteHostnameIntersection",
          {to("/s1", "infra-backend-v1", "very.specific.com"), to("/s1", "infra-backend-v1", "very.specific.com:1234"),
           status("/s1", 404, "non.matching.com"), status("/s1", 404, "foo.nonmatchingwildcard.io"),
           status("/s1", 404, "foo.wildcard.io"), status("/non-matching-prefix", 404, "very.specific.com"),
           to("/s2", "infra-backend-v2", "foo.wildcard.io"), to("/s2", "infra-backend-v2", "bar.wildcard.io"),
           to("/s2", "infra-backend-v2", "foo.bar.wildcard.io"), status("/s2", 404, "non.matching.com"),
           status("/s2", 404, "wildcard.io"), status("/s2", 404, "very.specific.com"),
           to("/s3", "infra-backend-v3", "very.specific.com"), status("/s3", 404, "non.matching.com"),
           status("/s3", 404, "foo.specific.com"), status("/s3", 404, "foo.wildcard.io"),
           to("/s4", "infra-backend-v1", "foo.anotherwildcard.io"), to("/s4", "infra-backend-v1", "bar.anotherwildcard.io"),
           to("/s4", "infra-backend-v1", "foo.bar.anotherwildcard.io"), status("/s4", 404, "anotherwildcard.io"),
           status("/s4", 404, "foo.wildcard.io"), status("/s4", 404, "very.specific.com"),
           status("/s5", 404, "specific.but.wrong.com"), status("/s5", 404, "wildcard.io")});
}

TEST_F(IngressLab, HTTPRouteListenerHostnameMatching) {
    apply(scenario("listener-hostname-matching.yaml"));
    check("HTTPRouteListenerHostnameMatching",
          {to("/", "infra-backend-v1", "bar.com"), to("/", "infra-backend-v2", "foo.bar.com"),
           to("/", "infra-backend-v3", "baz.bar.com"), to("/", "infra-backend-v3", "boo.bar.com"),
           to("/", "infra-backend-v3", "multiple.prefixes.bar.com"), to("/", "infra-backend-v3", "multiple.prefixes.foo.com"),
           status("/", 404, "foo.com"), status("/", 404, "no.matching.host")});
}

TEST_F(IngressLab, HTTPRouteRequestHeaderModifier) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("request-header-modifier.yaml"));
    auto c = [](const std::string& path, std::map<std::string, std::string> sent, std::map<std::string, std::string> seen,
                std::vector<std::string> absent = {}) {
        Case k{Req{path, "", std::move(sent)}, Want{200, "infra-backend-v1"}};
        k.want.request_headers = std::move(seen);
        k.want.absent_request_headers = std::move(absent);
        return k;
    };
    check("HTTPRouteRequestHeaderModifier",
          {c("/set", {{"Some-Other-Header", "val"}}, {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}),
           c("/set", {{"Some-Other-Header", "val"}, {"X-Header-Set", "some-other-value"}},
             {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}),
           c("/add", {{"Some-Other-Header", "val"}}, {{"Some-Other-Header", "val"}, {"X-Header-Add", "add-appends-values"}}),
           c("/add", {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value"}},
             {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value,add-appends-values"}}),
           c("/remove", {{"X-Header-Remove", "val"}}, {}, {"X-Header-Remove"}),
           c("/multiple",
             {{"X-Header-Set-2", "set-val-2"}, {"X-Header-Add-2", "add-val-2"}, {"X-Header-Remove-2", "remove-val-2"},
              {"Another-Header", "another-header-val"}},
             {{"X-Header-Set-1", "header-set-1"}, {"X-Header-Set-2", "header-set-2"}, {"X-Header-Add-1", "header-add-1"},
              {"X-Header-Add-2", "add-val-2,header-add-2"}, {"X-Header-Add-3", "header-add-3"},
              {"Another-Header", "another-header-val"}},
             {"X-Header-Remove-1", "X-Header-Remove-2"}),
           c("/case-insensitivity",
             {{"x-header-set", "original-val-set"}, {"x-header-add", "original-val-add"},
              {"x-header-remove", "original-val-remove"}, {"Another-Header", "another-header-val"}},
             {{"X-Header-Set", "header-set"}, {"X-Header-Add", "original-val-add,header-add"},
              {"Another-Header", "another-header-val"}},
             {"X-Header-Remove"})});
}

TEST_F(IngressLab, HTTPRouteResponseHeaderModifier) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("response-header-modifier.yaml"));
    auto c = [](const std::string& path, const std::string& backend_sets, std::map<std::string, std::string> got,
                std::vector<std::string> absent = {}) {
        Case k{Req{path, "", {{"X-Echo-Set-Header", backend_sets}}}, Want{200, "infra-backend-v1"}};
        k.want.response_headers = std::move(got);
        k.want.absent_response_headers = std::move(absent);
        return k;
    };
    Case both = c("/response-and-request-header-modifiers", "X-Header-Remove-1:remove-val-1,X-Header-Add-2:add-val-2",
                  {{"X-Header-Set-1", "header-set-1"}, {"X-Header-Add-2", "add-val-2,header-add-2"}}, {"X-Header-Remove-1"});
    both.req.headers["X-Header-Remove"] = "remove-val";
    both.want.request_headers = {{"X-Header-Set", "set-overwrites-values"}};
    both.want.absent_request_headers = {"X-Header-Remove"};
    check("HTTPRouteResponseHeaderModifier",
          {c("/set", "Some-Other-Header:val", {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}),
           c("/set", "Some-Other-Header:val,X-Header-Set:some-other-value",
             {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}),
           c("/add", "Some-Other-Header:val", {{"X-Header-Add", "add-appends-values"}}),
           c("/add", "X-Header-Add:some-other-value", {{"X-Header-Add", "some-other-value,add-appends-values"}}),
           c("/remove", "X-Header-Remove:val", {}, {"X-Header-Remove"}), both});
}

TEST_F(IngressLab, HTTPRouteRedirects) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("redirects.yaml"));
    const std::string at = std::string(kNode);
    check("HTTPRouteRedirectHostAndStatus, Path, Port, Scheme",
          {redirect("/hostname-redirect", 302, "http://example.org/hostname-redirect"),
           redirect("/host-and-status", 301, "http://example.org/host-and-status"),
           redirect("/original-prefix/lemon", 302, "http://" + at + "/replacement-prefix/lemon"),
           redirect("/full/path/original", 302, "http://" + at + "/full-path-replacement"),
           redirect("/path-and-host", 302, "http://example.org/replacement-prefix"),
           redirect("/path-and-status", 301, "http://" + at + "/replacement-prefix"),
           redirect("/full-path-and-host", 302, "http://example.org/replacement-full"),
           redirect("/port", 302, "http://" + at + ":8083/port"),
           redirect("/port-and-host", 302, "http://example.org:8083/port-and-host"),
           redirect("/port-and-status", 301, "http://" + at + ":8083/port-and-status"),
           redirect("/scheme", 302, "https://" + at + "/scheme"),
           redirect("/scheme-and-host", 302, "https://example.org/scheme-and-host"),
           redirect("/scheme-and-status", 301, "https://" + at + "/scheme-and-status"),
           redirect("/scheme-and-port?q=1", 302, "https://" + at + ":8443/scheme-and-port?q=1")});
}

TEST_F(IngressLab, HTTPRouteRewrites) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("rewrites.yaml"));
    auto c = [](const std::string& path, const std::string& seen_path, const std::string& host = "",
                const std::string& seen_host = "", const std::string& pod = "infra-backend-v1") {
        Case k{Req{path, host}, Want{200, pod}};
        k.want.backend_path = seen_path;
        k.want.backend_host = seen_host;
        return k;
    };
    Case modified = c("/full/rewrite-path-and-modify-headers/test", "/test");
    modified.req.headers = {{"X-Header-Remove", "remove-val"}, {"X-Header-Add-Append", "append-val-1"}, {"X-Header-Set", "set-val"}};
    modified.want.request_headers = {{"X-Header-Add", "header-val-1"}, {"X-Header-Add-Append", "append-val-1,header-val-2"},
                                     {"X-Header-Set", "set-overwrites-values"}};
    modified.want.absent_request_headers = {"X-Header-Remove"};
    Case prefixed = modified;
    prefixed.req.path = "/prefix/rewrite-path-and-modify-headers/one";
    prefixed.want.backend_path = "/prefix/one";
    check("HTTPRouteRewritePath, HTTPRouteRewriteHost",
          {c("/prefix/one/two", "/one/two"), c("/strip-prefix/three", "/three"), c("/strip-prefix", "/"),
           c("/full/one/two", "/one"), modified, prefixed,
           c("/one", "/one", "rewrite.example", "one.example.org"),
           c("/two", "/two", "rewrite.example", "example.org", "infra-backend-v2")});
}

TEST_F(IngressLab, HTTPRouteWeightsAndBackendReferences) {
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("weights-and-invalid-backends.yaml"));
    // HTTPRouteWeight: 70/30/0 over 500 requests.
    const json w = send({json{{"url", std::string("http://") + kNode + "/weights"}, {"repeat", 500}}});
    const json& tally = w[0]["repeat"]["tally"];
    const int v1 = tally.value("infra-backend-v1", 0), v2 = tally.value("infra-backend-v2", 0);
    EXPECT_EQ(v1 + v2, 500) << tally.dump();
    EXPECT_FALSE(tally.contains("infra-backend-v3")) << "a weight-0 backend got requests: " << tally.dump();
    EXPECT_NEAR(v1 / 500.0, 0.70, 0.07) << tally.dump();
    Case cross{Req{"/", "", {}, "GET", 8081}, Want{200, "web-backend"}};
    check("HTTPRouteInvalid*, HTTPRouteCrossNamespace",
          {status("/all-zero", 500), status("/nonexistent", 500), status("/unknown-kind", 500),
           status("/cross-namespace", 500), status("/no-backends", 500), cross});
    apply(scenario("same-namespace.yaml") + "---\n" + scenario("weights-and-invalid-backends.yaml") + "---\n" +
          scenario("reference-grant.yaml"));
    check("HTTPRouteReferenceGrant", {to("/cross-namespace", "web-backend")});
}

TEST_F(IngressLab, HTTPRouteHTTPSListener) {
    apply(tls_secret_yaml("gateway-conformance-infra", "tls-validity-checks-certificate", "foo.example.com") + "---\n" +
          scenario("https-listener.yaml"));
    Case ok{Req{"/", "foo.example.com", {}, "GET", 8443, true}, Want{200, "infra-backend-v1"}};
    ok.want.cert_cn = "foo.example.com";
    Case other{Req{"/", "bar.example.com", {}, "GET", 8443, true}, Want{404}};
    other.want.cert_cn = "svcnat default certificate";
    check("HTTPRouteHTTPSListener", {ok, other});
}

}  // namespace
}  // namespace svcnat::e2e
