// Autopath (CoreDNS `autopath @kubernetes`): a known pod's first search-path
// query for a name that does not exist is answered with what its search
// path finds: in the cluster zone (a CNAME and the records), or the name
// itself upstream (a Chase, with the original NXDOMAIN as the reply when it
// does not resolve). Other clients, other names and autopath off: plain
// answers.
#include <gtest/gtest.h>

#include "dns_fixture.hpp"

namespace svcnat::dns::test {
namespace {

constexpr const char* kManifests = R"(apiVersion: v1
kind: Service
metadata: {name: kubia, namespace: default}
spec: {clusterIP: 10.107.64.45, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-default, namespace: default}
spec: {nodeName: node-a, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.1.11}
---
apiVersion: v1
kind: Pod
metadata: {name: client-other, namespace: other}
spec: {nodeName: node-a, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.2.22}
)";

class Autopath : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ZoneOptions o;
        o.autopath = true;
        zone_ = zone_from_yaml(kManifests, o);
        plain_ = zone_from_yaml(kManifests);
    }
    static inline std::shared_ptr<const Zone> zone_, plain_;
    const IPAddr in_default_ = *IPAddr::parse("10.244.1.11");
    const IPAddr in_other_ = *IPAddr::parse("10.244.2.22");
    const IPAddr stranger_ = *IPAddr::parse("10.244.9.99");
};

TEST_F(Autopath, TheSearchPathFindsAServiceOfAnotherNamespace) {
    // `curl kubia.default` in namespace other: its first try is
    // kubia.default.other.svc.cluster.local; the second would find it.
    Outcome o;
    const Decoded d = ask_from(zone_.get(), make_query("kubia.default.other.svc.cluster.local", 1), &in_other_, true,
                               nullptr, &o);
    EXPECT_EQ(o.action, Action::Reply);
    EXPECT_TRUE(o.autopath);
    EXPECT_EQ(d.rcode, 0);
    EXPECT_TRUE(d.aa);
    EXPECT_EQ(d.answer, (std::vector<std::string>{
                            "kubia.default.other.svc.cluster.local. 30 CNAME kubia.default.svc.cluster.local.",
                            "kubia.default.svc.cluster.local. 30 A 10.107.64.45"}));
}

TEST_F(Autopath, AnOutsideNameIsChasedUpstreamWithTheNxdomainAsFallback) {
    Outcome o;
    Decoded alt;
    const Decoded d = ask_from(zone_.get(), make_query("api.example.com.default.svc.cluster.local", 28), &in_default_,
                               true, nullptr, &o, &alt);
    EXPECT_EQ(o.action, Action::Chase);
    EXPECT_TRUE(o.autopath);
    EXPECT_EQ(o.chase_name, to_wire("api.example.com"));
    EXPECT_EQ(o.chase_type, 28);
    EXPECT_EQ(d.answer, std::vector<std::string>{"api.example.com.default.svc.cluster.local. 30 CNAME api.example.com."});
    ASSERT_GT(o.alt_len, 0u);
    EXPECT_EQ(alt.rcode, 3);  // NXDOMAIN: the client goes on down its own search path
    EXPECT_EQ(alt.question, d.question);
    ASSERT_EQ(alt.authority.size(), 1u);
}

TEST_F(Autopath, ExistingNamesUnknownClientsAndOtherNamesGetPlainAnswers) {
    Outcome o;
    // The name exists: its own answer.
    Decoded d = ask_from(zone_.get(), make_query("kubia.default.svc.cluster.local", 1), &in_default_, true, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.answer, std::vector<std::string>{"kubia.default.svc.cluster.local. 30 A 10.107.64.45"});
    // Not a pod of the manifests.
    d = ask_from(zone_.get(), make_query("api.example.com.default.svc.cluster.local", 1), &stranger_, true, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.rcode, 3);
    // Not the pod's first search domain (another namespace's, or a later one).
    d = ask_from(zone_.get(), make_query("api.example.com.other.svc.cluster.local", 1), &in_default_, true, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.rcode, 3);
    d = ask_from(zone_.get(), make_query("api.example.com.svc.cluster.local", 1), &in_default_, true, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.rcode, 3);
    // No upstream: nothing to chase.
    d = ask_from(zone_.get(), make_query("api.example.com.default.svc.cluster.local", 1), &in_default_, false, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.rcode, 3);
    // Autopath off.
    d = ask_from(plain_.get(), make_query("api.example.com.default.svc.cluster.local", 1), &in_default_, true, nullptr, &o);
    EXPECT_FALSE(o.autopath);
    EXPECT_EQ(d.rcode, 3);
}

}  // namespace
}  // namespace svcnat::dns::test
