// The YAML examples of the seed articles (tests/manifest/testdata/seeds,
// extracted verbatim by extract_seeds.py) load as Kubernetes would load
// them: the good ones into the expected objects, the wrong ones with the
// precise error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Loaded {
    std::string file;
    LoadResult result;
};

Loaded seed(const std::string& name) {
    Loaded l;
    l.file = testdata("seeds/" + name);
    l.result = load_paths({l.file}, Settings{});
    return l;
}

const Service& only_service(const Loaded& l) {
    EXPECT_TRUE(l.result.ok()) << ::testing::PrintToString(messages(l.result));
    EXPECT_EQ(l.result.manifests.services.size(), 1u);
    return l.result.manifests.services.at(0);
}

TEST(Seed000, KubiaNodePort) {
    auto l = seed("kubia-svc-nodeport.yaml");
    const Service& s = only_service(l);
    EXPECT_THAT(l.result.diagnostics, IsEmpty());
    EXPECT_EQ(s.meta.name, "kubia-nodeport");
    EXPECT_EQ(s.type, ServiceType::NodePort);
    ASSERT_EQ(s.ports.size(), 1u);
    EXPECT_EQ(s.ports[0].port, 80);
    EXPECT_EQ(s.ports[0].targetPort, (IntOrString{false, 8080, ""}));
    EXPECT_EQ(s.ports[0].nodePort, 30123);
    EXPECT_EQ(s.selector, (Labels{{"app", "kubia"}}));
}

TEST(Seed000, KubiaLoadBalancer) {
    auto l = seed("kubia-svc-loadbalancer.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.meta.name, "kubia-loadbalancer");
    EXPECT_EQ(s.type, ServiceType::LoadBalancer);
    EXPECT_EQ(s.ports[0].port, 80);
    EXPECT_EQ(s.ports[0].targetPort.number, 8080);
    EXPECT_EQ(s.ports[0].nodePort, 0);  // allocated later
    EXPECT_EQ(s.externalTrafficPolicy, TrafficPolicy::Cluster);
}

TEST(Seed000, ExternalTrafficPolicyFragmentIsNotYaml) {
    // The article elides the rest of the Service with a bare `....` line.
    auto l = seed("external-traffic-policy-fragment.yaml");
    EXPECT_THAT(messages(l.result),
                ElementsAre(l.file + ":6: yaml: could not find expected ':' (while scanning a simple key at line 5)"));
}

TEST(Seed001, DeploymentIsSkipped) {
    auto l = seed("just-a-nginx.yaml");
    EXPECT_TRUE(l.result.ok());
    EXPECT_THAT(messages(l.result), ElementsAre(l.file + ":2: skipping Deployment just-a-nginx: not used by svcnat"));
}

TEST(Seed001, TheService) {
    auto l = seed("the-service.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.meta.name, "the-service");
    EXPECT_EQ(s.type, ServiceType::ClusterIP);
    EXPECT_EQ(s.ports[0].protocol, Protocol::TCP);
    EXPECT_EQ(s.ports[0].port, 80);
    EXPECT_EQ(s.ports[0].targetPort.number, 8080);
    EXPECT_EQ(s.selector, (Labels{{"app", "the-nginx"}}));
}

TEST(Seed001, NodePort80IsOutsideTheDefaultRange) {
    auto l = seed("the-service-nodeport-80.yaml");
    EXPECT_THAT(messages(l.result),
                ElementsAre(l.file + ":13: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the "
                                     "valid range. The range of valid ports is 30000-32767"));
    EXPECT_THAT(l.result.manifests.services, IsEmpty());
}

TEST(Seed001, NodePort80IsFineWithAWiderRange) {
    Settings s;
    s.node_port_range = {1, 32767};
    auto r = load_paths({testdata("seeds/the-service-nodeport-80.yaml")}, s);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services.at(0).ports[0].nodePort, 80);
}

TEST(Seed001, ExternalIPs) {
    auto l = seed("the-service-externalips.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.type, ServiceType::NodePort);
    EXPECT_THAT(s.externalIPs, ElementsAre(*IPAddr::parse("80.11.12.10")));
}

TEST(Seed001, ExternalNameMysql) {
    auto l = seed("the-mysql.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.meta.name, "the-mysql");
    EXPECT_EQ(s.type, ServiceType::ExternalName);
    EXPECT_EQ(s.externalName, "my.sql.database.example.com");
    EXPECT_THAT(s.ports, IsEmpty());
}

TEST(Seed001, MongoPutsNameOutsideMetadata) {
    auto l = seed("mongo.yaml");
    const std::string& f = l.file;
    EXPECT_THAT(messages(l.result),
                ElementsAre(f + ":3: metadata.name: Required value: name or generateName is required",
                            f + ":4: unknown field \"name\"",
                            f + ":12: metadata.name: Required value: name or generateName is required",
                            f + ":13: unknown field \"name\"",
                            // `ports` is indented under the address, not the subset
                            f + ":17: unknown field \"subsets[0].addresses[0].ports\""));
    EXPECT_THAT(l.result.manifests.services, IsEmpty());
    EXPECT_THAT(l.result.manifests.endpoints, IsEmpty());
}

TEST(Seed002, SshServiceWithQuotedTrueSelector) {
    auto l = seed("ssh-service1.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.meta.name, "ssh-service1");
    EXPECT_EQ(s.meta.labels, (Labels{{"name", "ssh"}, {"role", "service"}}));
    EXPECT_EQ(s.selector, (Labels{{"ssh-service", "true"}}));
    EXPECT_EQ(s.type, ServiceType::NodePort);
    EXPECT_EQ(s.ports[0].port, 2222);
    EXPECT_EQ(s.ports[0].targetPort.number, 22);
    EXPECT_EQ(s.ports[0].nodePort, 30239);
}

TEST(Seed004, DeploymentIsSkipped) {
    auto l = seed("my-nginx.yaml");
    EXPECT_THAT(messages(l.result), ElementsAre(l.file + ":2: skipping Deployment my-nginx: not used by svcnat"));
}

TEST(Seed004, MyappClusterIP) {
    auto l = seed("myapp.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.type, ServiceType::ClusterIP);
    EXPECT_EQ(s.ports[0].name, "http");
    EXPECT_EQ(s.ports[0].targetPort.number, 80);
    EXPECT_EQ(s.selector, (Labels{{"app", "web-nginx"}}));
}

TEST(Seed004, MyappHeadless) {
    auto l = seed("myapp-headless.yaml");
    const Service& s = only_service(l);
    EXPECT_TRUE(s.headless);
    EXPECT_THAT(s.clusterIPs, IsEmpty());
}

TEST(Seed004, MyappNodePortHasATabIndentedCommentLine) {
    // Line 14 of the example is spaces then tabs then a comment: YAML forbids
    // tabs there, and so does Kubernetes' go-yaml (a port of libyaml).
    auto l = seed("myapp-nodeport.yaml");
    EXPECT_THAT(messages(l.result),
                ElementsAre(l.file + ":14: yaml: found character that cannot start any token (while scanning for "
                                     "the next token)"));
}

TEST(Seed004, ExternalNameService) {
    auto l = seed("my-service.yaml");
    const Service& s = only_service(l);
    EXPECT_EQ(s.meta.name, "my-service");
    EXPECT_EQ(s.externalName, "www.zutuanxue.com");
}

}  // namespace
}  // namespace svcnat::testing
