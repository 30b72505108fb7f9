// load_state() and node_info(): manifests -> validated, allocated, resolved
// state, through the real loader, on conf/examples and on small files.
#include "control/state/state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace svcnat {
namespace {

std::string examples_dir() {
    const char* root = std::getenv("SVCNAT_SOURCE_ROOT");
    return std::string(root ? root : ".") + "/conf/examples";
}

Settings settings_for(std::vector<std::string> manifests) {
    Settings s;
    s.node_name = "node-a";
    s.manifests = std::move(manifests);
    return s;
}

const ResolvedServicePort* find_port(const ServiceState& st, const std::string& name) {
    for (const auto& p : st.ports)
        if (p.name == name) return &p;
    return nullptr;
}

class TempFile {
public:
    explicit TempFile(const std::string& text) {
        char tmpl[] = "/tmp/svcnat-state-test-XXXXXX.yaml";
        int fd = mkstemps(tmpl, 5);
        EXPECT_GE(fd, 0);
        close(fd);
        path_ = tmpl;
        std::ofstream(path_) << text;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(State, ExamplesLoadAllocateAndResolve) {
    auto r = load_state(settings_for({examples_dir()}));
    ASSERT_TRUE(r.ok()) << (r.load.diagnostics.empty() ? "" : r.load.diagnostics[0].str());
    EXPECT_EQ(r.state.node.name, "node-a");
    ASSERT_EQ(r.state.node.ips.size(), 1u);
    EXPECT_EQ(r.state.node.ips[0].str(), "203.0.113.1");  // from the Node object
    EXPECT_EQ(r.state.node.zone, "zone-a");

    const auto* kubernetes = find_port(r.state, "kubernetes");
    ASSERT_NE(kubernetes, nullptr);
    EXPECT_EQ(kubernetes->clusterIPs[0].str(), "10.96.0.1");

    const auto* local = find_port(r.state, "kubia-local");
    ASSERT_NE(local, nullptr);
    EXPECT_NE(local->nodePort, 0);
    EXPECT_NE(local->healthCheckNodePort, 0);
    EXPECT_EQ(local->loadBalancerIPs[0].str(), "198.51.100.11");
    ASSERT_EQ(local->endpoints.size(), 4u);
    EXPECT_EQ(std::count_if(local->endpoints.begin(), local->endpoints.end(), [](auto& e) { return e.is_local; }), 3);
    EXPECT_EQ(usable_endpoints(*local, true).size(), 3u);

    // Headless and ExternalName services are not programmed.
    EXPECT_EQ(find_port(r.state, "myapp-headless"), nullptr);
    EXPECT_EQ(find_port(r.state, "the-mysql"), nullptr);
    // Endpoints object without selector.
    const auto* mongo = find_port(r.state, "mongo");
    ASSERT_NE(mongo, nullptr);
    ASSERT_EQ(mongo->endpoints.size(), 1u);
    EXPECT_EQ(mongo->endpoints[0].ip.str(), "192.0.2.12");
    EXPECT_EQ(mongo->endpoints[0].port, 49763);
    // Not-ready pod: listed, not usable.
    const auto* redis = find_port(r.state, "redis-sentinel");
    ASSERT_NE(redis, nullptr);
    ASSERT_EQ(redis->endpoints.size(), 1u);
    EXPECT_TRUE(usable_endpoints(*redis, false).empty());
}

TEST(State, NodeIPsFromSettingsWinOverTheNodeObject) {
    Settings s = settings_for({examples_dir()});
    s.node_ips = {*IPAddr::parse("192.0.2.1")};
    auto r = load_state(s);
    ASSERT_EQ(r.state.node.ips.size(), 1u);
    EXPECT_EQ(r.state.node.ips[0].str(), "192.0.2.1");

    Manifests m;
    Node n;
    n.meta.name = "node-x";
    n.externalIPs = {*IPAddr::parse("198.51.100.5")};
    m.nodes.push_back(n);
    Settings other;
    other.node_name = "node-x";
    auto info = node_info(other, m);
    ASSERT_EQ(info.ips.size(), 1u);  // no InternalIP: ExternalIP
    EXPECT_EQ(info.ips[0].str(), "198.51.100.5");
    other.node_name = "unknown";
    EXPECT_TRUE(node_info(other, m).ips.empty());
}

TEST(State, WarningsAreMergedIntoDiagnostics) {
    TempFile f(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n"
        "  - name: http\n    port: 80\n    targetPort: http\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  labels:\n    app: web\nspec:\n  containers:\n"
        "  - name: web\n    ports:\n    - name: web\n      containerPort: 8080\nstatus:\n  phase: Running\n"
        "  podIP: 10.244.1.61\n");
    auto r = load_state(settings_for({f.path()}));
    EXPECT_TRUE(r.ok());
    bool found = false;
    for (const auto& d : r.load.diagnostics)
        if (d.severity == Severity::Warning && d.field == "spec.ports[0].targetPort") {
            found = true;
            EXPECT_EQ(d.file, f.path());
            EXPECT_EQ(d.line, 9u);
        }
    EXPECT_TRUE(found);
}

TEST(State, AllocationErrorsMakeTheStateInvalid) {
    TempFile f(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports:\n  - port: 80\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: b\nspec:\n  ports:\n  - port: 80\n");
    Settings s = settings_for({f.path()});
    s.service_cidrs = {*CIDR::parse("10.0.0.0/30")};  // .1 kept for `kubernetes`, .2 for one service
    auto r = load_state(s);
    EXPECT_FALSE(r.ok());
    ASSERT_FALSE(r.load.diagnostics.empty());
    EXPECT_EQ(r.load.diagnostics.back().message,
              "Internal error: failed to allocate a serviceIP: range is full (10.0.0.0/30)");
    EXPECT_EQ(r.load.diagnostics.back().file, f.path());
}

// The daemon's periodic reconcile: with its cache, a load that finds the
// settings and every file as they were at the last valid load loads nothing
// (`unchanged`); any change, and a load that failed, make it load again.
TEST(State, NothingChangedIsReportedAndNotLoadedAgain) {
    auto service = [](const std::string& name, int port) {
        return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n  ports:\n  - port: " +
               std::to_string(port) + "\n";
    };
    TempFile f(service("a", 80));
    const Settings s = settings_for({f.path()});
    ManifestCache cache;
    auto r = load_state(s, &cache);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.unchanged);
    EXPECT_EQ(r.load.files.size(), 1u);

    r = load_state(s, &cache);
    EXPECT_TRUE(r.unchanged);
    EXPECT_TRUE(r.state.ports.empty());  // nothing resolved

    Settings other = s;
    other.masquerade_all = true;  // any setting
    r = load_state(other, &cache);
    EXPECT_FALSE(r.unchanged);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(load_state(other, &cache).unchanged);

    std::ofstream(f.path()) << service("a", 8080);  // rewritten: loaded again, then unchanged again
    r = load_state(other, &cache);
    EXPECT_FALSE(r.unchanged);
    ASSERT_TRUE(r.ok());
    ASSERT_NE(find_port(r.state, "a"), nullptr);
    EXPECT_TRUE(load_state(other, &cache).unchanged);

    std::ofstream(f.path()) << service("a", 99999);  // broken: read again every time until valid
    EXPECT_FALSE(load_state(other, &cache).ok());
    r = load_state(other, &cache);
    EXPECT_FALSE(r.unchanged);
    EXPECT_FALSE(r.ok());
    std::ofstream(f.path()) << service("a", 80);

    TempFile g(service("b", 81));  // a second file named by the settings
    Settings two = other;
    two.manifests.push_back(g.path());
    r = load_state(two, &cache);
    EXPECT_FALSE(r.unchanged);
    ASSERT_TRUE(r.ok()) << (r.load.diagnostics.empty() ? "" : r.load.diagnostics[0].str());
    EXPECT_TRUE(load_state(two, &cache).unchanged);
    std::remove(g.path().c_str());  // a file gone
    EXPECT_FALSE(load_state(two, &cache).unchanged);
}

}  // namespace
}  // namespace svcnat
