// The HAProxy rendering of the route model: quoting, the maps a request is
// looked up in, the configuration lines conditional routes need, HAProxy's
// own check of the result, and what a change needs of the running proxy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "control/ingress/haproxy_config.hpp"
#include "control/ingress/haproxy_text.hpp"
#include "control/ingress/runtime_plan.hpp"
#include "fixtures.hpp"
#include "tests/support/tls_fixtures.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ingress::MapEntry;
using ingress::MapKind;

TEST(HaproxyText, WordsAreQuotedOnlyWhenTheyMustBe) {
    EXPECT_EQ(ingress::word("svc_default_web_80"), "svc_default_web_80");
    EXPECT_EQ(ingress::word("a b"), "'a b'");
    EXPECT_EQ(ingress::word("x#y"), "'x#y'");
    EXPECT_EQ(ingress::word("${HOME}"), "'${HOME}'");
    EXPECT_EQ(ingress::word("it's $5"), "\"it's \\$5\"");
    EXPECT_EQ(ingress::word(""), "''");
    EXPECT_EQ(ingress::log_format("100%"), "100%%");
    EXPECT_EQ(ingress::regex_literal("/a.b(c)*+$"), "/a\\.b\\(c\\)\\*\\+\\$");
}

TEST(HaproxyText, Names) {
    EXPECT_EQ(ingress::backend_name("web/shop:80"), "svc_web_shop_80");
    EXPECT_EQ(ingress::server_name(*IPAddr::parse("fd00::1"), 8080), "fd00__1_8080");
    EXPECT_EQ(ingress::stable_id("a"), ingress::stable_id("a"));
    EXPECT_NE(ingress::stable_id("a"), ingress::stable_id("b"));
}

const ingress::ListenerTables& tables_of(const std::vector<ingress::ListenerTables>& all, uint16_t port) {
    for (const auto& t : all)
        if (t.address.port == port) return t;
    ADD_FAILURE() << "no listener on port " << port;
    return all.front();
}

TEST(RouteTables, IngressPathsAreMapEntriesOnly) {
    const RouteState s = route_model(service_with_endpoints("web", {"10.0.0.1"}) + service_with_endpoints("api", {"10.0.0.2"}) +
                                     simple_ingress("a", "shop.example.com", "/", "web") +
                                     simple_ingress("b", "shop.example.com", "/api/", "api") +
                                     simple_ingress("c", "*.example.com", "/v1", "api", "Exact"));
    const auto tables = ingress::compile_routes(s);
    const auto& http = tables_of(tables, 80);
    EXPECT_THAT(http.map(MapKind::OneLabelWildcards), ElementsAre(MapEntry{"example.com", "*.example.com"}));
    EXPECT_THAT(http.map(MapKind::ExactPaths), ElementsAre(MapEntry{"*.example.com/v1", "svc_default_api_80"}));
    // Prefixes keyed with a trailing '/': map_beg's longest match is
    // element-wise. A host without a "/" route gets a 404 of its own.
    EXPECT_THAT(http.map(MapKind::PrefixPaths),
                ElementsAre(MapEntry{"*.example.com/", "status_404"}, MapEntry{"shop.example.com/", "svc_default_web_80"},
                            MapEntry{"shop.example.com/api/", "svc_default_api_80"}));
    EXPECT_TRUE(http.request_rules.empty()) << "Ingress routes need no configuration lines";
}

TEST(RouteTables, ConditionalRoutesGetSlotsThatFallBackToShorterPrefixes) {
    const std::string gw =
        service_with_endpoints("v1", {"10.0.0.1"}) + service_with_endpoints("v2", {"10.0.0.2"}) +
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: svcnat}\n"
        "spec: {controllerName: svcnat.io/gateway-controller}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: svcnat\n"
        "  listeners: [{name: http, port: 8080, protocol: HTTP}]\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n"
        "  rules:\n  - backendRefs: [{name: v1, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /v2}, headers: [{name: version, value: two}]}]\n"
        "    backendRefs: [{name: v2, port: 80}]\n";
    const auto tables = ingress::compile_routes(route_model(gw));
    const auto& t = tables_of(tables, 8080);
    ASSERT_EQ(t.map(MapKind::PrefixPaths).size(), 2u);
    EXPECT_EQ(t.map(MapKind::PrefixPaths)[0], (MapEntry{"_/", "svc_default_v1_80"}));
    const MapEntry& v2 = t.map(MapKind::PrefixPaths)[1];
    EXPECT_EQ(v2.key, "_/v2/");
    ASSERT_TRUE(v2.value.starts_with("@"));
    // The slot tries the header route, then the shorter prefix "/".
    ASSERT_GE(t.request_rules.size(), 4u);
    EXPECT_THAT(t.request_rules[0], HasSubstr("if { var(txn.t) -m str " + v2.value + " } !{ var(txn.r) -m found } "
                                              "{ req.fhdr(version) -m str -- two }"));
    EXPECT_THAT(t.request_rules[1], HasSubstr("if { var(txn.t) -m str " + v2.value + " } !{ var(txn.r) -m found }"));
    EXPECT_THAT(t.request_rules[1], ::testing::Not(HasSubstr("fhdr")));
    EXPECT_THAT(t.request_rules[2], HasSubstr("set-var(txn.t) str(svc_default_v2_80)"));
    EXPECT_THAT(t.request_rules[3], HasSubstr("set-var(txn.t) str(svc_default_v1_80)"));
}

// haproxy -c on the rendered files: what svcnat writes, HAProxy accepts.
class HaproxyCheck : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("command -v haproxy >/dev/null 2>&1") != 0) GTEST_SKIP() << "haproxy is not installed";
        dir_ = std::filesystem::temp_directory_path() / ("svcnat-haproxy-check-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_ / "maps");
        std::filesystem::create_directories(dir_ / "certs");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes the configuration and its files; the output of `haproxy -c`.
    int check(const ingress::HaproxyConfig& c, std::string* output) {
        std::ofstream(dir_ / "haproxy.cfg") << c.text;
        for (const auto& [path, entries] : c.maps) std::ofstream(path) << ingress::map_file_text(entries);
        for (const auto& [path, text] : c.tls_files) std::ofstream(path) << text;
        const std::string out = (dir_ / "check.out").string();
        const int rc = std::system(("haproxy -c -f " + (dir_ / "haproxy.cfg").string() + " >" + out + " 2>&1").c_str());
        std::ifstream in(out);
        output->assign(std::istreambuf_iterator<char>(in), {});
        return WEXITSTATUS(rc);
    }
    std::filesystem::path dir_;
};

TEST_F(HaproxyCheck, EveryFeatureRendersAValidConfiguration) {
    const std::string yaml =
        service_with_endpoints("web", {"10.0.0.1", "10.0.0.2"}) + service_with_endpoints("api", {"10.0.0.3"}) +
        tls_secret_yaml("default", "foo-tls", "foo.example.com") + "---\n" +
        simple_ingress("a", "foo.example.com", "/", "web") + simple_ingress("b", "*.example.com", "/api", "api") +
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: tls}\nspec:\n  ingressClassName: svcnat\n"
        "  tls: [{hosts: [foo.example.com], secretName: foo-tls}]\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: svcnat}\n"
        "spec: {controllerName: svcnat.io/gateway-controller}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: svcnat\n"
        "  listeners:\n  - {name: http, port: 8080, protocol: HTTP, hostname: \"*.gw.example\"}\n"
        "  - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: foo-tls}]}}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n"
        "  rules:\n"
        "  - matches: [{path: {type: Exact, value: \"/it's\"}, method: POST, queryParams: [{name: q, value: \"a b\"}],\n"
        "               headers: [{type: RegularExpression, name: x-id, value: \"^[0-9]+$\"}]}]\n"
        "    filters:\n    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-A, value: \"50%\"}], add: [{name: X-B, value: b}], remove: [X-C]}}\n"
        "    - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-R, value: r}]}}\n"
        "    - {type: URLRewrite, urlRewrite: {hostname: internal.example, path: {type: ReplaceFullPath, replaceFullPath: /new}}}\n"
        "    backendRefs: [{name: web, port: 80, weight: 3}, {name: api, port: 80, weight: 1}, {name: gone, port: 80, weight: 1}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /old}}]\n"
        "    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}, statusCode: 301}}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /strip}}]\n"
        "    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]\n"
        "    backendRefs: [{name: api, port: 80}]\n";
    ingress::ProxyPaths paths{dir_.string()};
    const auto config = ingress::render_config(route_model(yaml), paths, read_tls_file("bar.example.com.crt") +
                                                                             read_tls_file("bar.example.com.key"));
    std::string output;
    EXPECT_EQ(check(config, &output), 0) << output << "\n" << config.text;
    EXPECT_THAT(config.text, HasSubstr("bind 192.0.2.10:443 ssl crt-list"));
    EXPECT_THAT(config.text, HasSubstr("server 10.0.0.1_8080 10.0.0.1:8080 weight 1"));
    EXPECT_EQ(config.skeleton.find("server 10.0.0.1_8080"), std::string::npos);
    EXPECT_THAT(config.text, HasSubstr("backend https_redirect_192.0.2.10_80\n"
                                       "    http-request redirect prefix https://%[req.hdr(host),field(1,:),lower] code 308\n"));
    const std::string crtlist = config.tls_files.at(paths.crt_list(ingress::compile_routes(route_model(yaml)).at(1)));
    EXPECT_EQ(crtlist, paths.default_certificate() + "\n" + paths.certificate("default/foo-tls") + " foo.example.com\n");
}

// What a change needs: servers and map entries at run time, the rest a reload.
TEST(RuntimePlan, EndpointChangesNeedNoReload) {
    ingress::ProxyPaths paths{"/run/test"};
    const std::string base = service_with_endpoints("web", {"10.0.0.1", "10.0.0.2"}) + simple_ingress("a", "a.com", "/", "web");
    const auto before = ingress::render_config(route_model(base), paths, "");
    EXPECT_TRUE(ingress::plan_update(before, before).empty());

    const auto scaled = ingress::render_config(
        route_model(service_with_endpoints("web", {"10.0.0.2", "10.0.0.3"}) + simple_ingress("a", "a.com", "/", "web")), paths, "");
    const auto u = ingress::plan_update(before, scaled);
    EXPECT_FALSE(u.reload());
    ASSERT_EQ(u.added.size(), 1u);
    ASSERT_EQ(u.removed.size(), 1u);
    EXPECT_THAT(ingress::server_commands(u),
                ElementsAre("add server svc_default_web_80/10.0.0.3_8080 10.0.0.3:8080 weight 1",
                            "enable server svc_default_web_80/10.0.0.3_8080",
                            "set server svc_default_web_80/10.0.0.1_8080 state maint",
                            "del server svc_default_web_80/10.0.0.1_8080"));
}

TEST(RuntimePlan, NewHostOfAnExistingBackendIsAMapUpdate) {
    ingress::ProxyPaths paths{"/run/test"};
    const std::string svc = service_with_endpoints("web", {"10.0.0.1"});
    const auto before = ingress::render_config(route_model(svc + simple_ingress("a", "a.com", "/", "web")), paths, "");
    const auto after = ingress::render_config(
        route_model(svc + simple_ingress("a", "a.com", "/", "web") + simple_ingress("b", "b.com", "/x", "web")), paths, "");
    const auto u = ingress::plan_update(before, after);
    EXPECT_FALSE(u.reload()) << u.reload_reason;
    std::vector<std::string> maps;
    for (const auto& [file, entries] : u.maps) maps.push_back(file);
    EXPECT_THAT(maps, ElementsAre("/run/test/maps/192.0.2.10_443.prefix.map", "/run/test/maps/192.0.2.10_80.prefix.map"));
}

TEST(RuntimePlan, NewBackendNeedsAReload) {
    ingress::ProxyPaths paths{"/run/test"};
    const std::string svcs = service_with_endpoints("web", {"10.0.0.1"}) + service_with_endpoints("api", {"10.0.0.2"});
    const auto before = ingress::render_config(route_model(svcs + simple_ingress("a", "a.com", "/", "web")), paths, "");
    const auto after = ingress::render_config(
        route_model(svcs + simple_ingress("a", "a.com", "/", "web") + simple_ingress("b", "b.com", "/", "api")), paths, "");
    EXPECT_TRUE(ingress::plan_update(before, after).reload());
}

TEST(RuntimePlan, TheFirstExactPathReloadsLaterOnesDoNot) {
    ingress::ProxyPaths paths{"/run/test"};
    const std::string svc = service_with_endpoints("web", {"10.0.0.1"});
    const auto prefix_only = ingress::render_config(route_model(svc + simple_ingress("a", "a.com", "/", "web")), paths, "");
    const auto one_exact = ingress::render_config(
        route_model(svc + simple_ingress("a", "a.com", "/", "web") + simple_ingress("b", "a.com", "/x", "web", "Exact")), paths, "");
    const auto two_exact = ingress::render_config(
        route_model(svc + simple_ingress("a", "a.com", "/", "web") + simple_ingress("b", "a.com", "/x", "web", "Exact") +
                    simple_ingress("c", "a.com", "/y", "web", "Exact")),
        paths, "");
    EXPECT_TRUE(ingress::plan_update(prefix_only, one_exact).reload()) << "the exact map starts being looked up";
    const auto u = ingress::plan_update(one_exact, two_exact);
    EXPECT_FALSE(u.reload()) << u.reload_reason;
    EXPECT_EQ(u.maps.size(), 2u);  // the exact map of each listener
}

TEST(RuntimePlan, DrainingIsAWeightChange) {
    ingress::ProxyPaths paths{"/run/test"};
    auto model = [](const std::string& conditions) {
        return route_model(
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80, targetPort: 8080}]\n---\n"
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-1\n  labels: {kubernetes.io/service-name: web}\n"
            "addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n- addresses: [10.0.0.1]\n- addresses: [10.0.0.2]\n" +
            conditions + "---\n" + simple_ingress("a", "a.com", "/", "web"));
    };
    const auto before = ingress::render_config(model(""), paths, "");
    const auto after = ingress::render_config(model("  conditions: {ready: false, serving: true, terminating: true}\n"), paths, "");
    const auto u = ingress::plan_update(before, after);
    EXPECT_FALSE(u.reload());
    EXPECT_THAT(ingress::server_commands(u), ElementsAre("set server svc_default_web_80/10.0.0.2_8080 weight 0"));
}

}  // namespace
}  // namespace svcnat::testing
