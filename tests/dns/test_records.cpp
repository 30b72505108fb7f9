// The records of the Kubernetes DNS specification (1.1.0) and CoreDNS's
// choices where it leaves room, one query/answer pair per row.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns_fixture.hpp"

namespace svcnat::dns::test {
namespace {

const char* kManifests = R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ipFamilyPolicy: RequireDualStack
  clusterIPs: [10.96.0.10, "fd00:10:96::10"]
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.1.11, podIPs: [{ip: 10.244.1.11}, {ip: "fd00:10:244::11"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: default, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.1.12, podIPs: [{ip: 10.244.1.12}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-3, namespace: default, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c, ports: [{containerPort: 8080}]}]}
status:
  phase: Running
  podIP: 10.244.1.13
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: default, labels: {app: db}}
spec: {hostname: db-0, subdomain: db, nodeName: node-a, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.2.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: default, labels: {app: db}}
spec: {hostname: db-1, subdomain: db, nodeName: node-a, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.2.11}
---
apiVersion: v1
kind: Service
metadata: {name: ghost, namespace: default}
spec:
  clusterIP: None
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: peers, namespace: default}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: peer}
  ports: [{port: 7000}]
---
apiVersion: v1
kind: Pod
metadata: {name: peer-0, namespace: default, labels: {app: peer}}
spec: {nodeName: node-a, containers: [{name: c}]}
status:
  phase: Running
  podIP: 10.244.3.10
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: www.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: ipext, namespace: default}
spec: {type: ExternalName, externalName: 192.0.2.1}
---
apiVersion: v1
kind: Service
metadata: {name: alias, namespace: default}
spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: legacy-1, namespace: shop, labels: {kubernetes.io/service-name: legacy}}
addressType: IPv4
endpoints:
- {addresses: [192.0.2.21], hostname: h1, conditions: {ready: true}}
- {addresses: [192.0.2.22], conditions: {ready: true}}
- {addresses: [192.0.2.23], conditions: {ready: false}}
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.53
  ports: [{name: dns, port: 53, protocol: UDP}]
)";

class Records : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ZoneOptions o;
        o.serial = 4242;
        o.ns_addresses = {*IPAddr::parse("10.96.0.53")};
        zone_ = zone_from_yaml(kManifests, o);
    }
    static inline std::shared_ptr<const Zone> zone_;
};

const std::string kSoa = "cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 4242 7200 1800 86400 30";

struct Case {
    std::string name;
    uint16_t type;
    int rcode;
    std::vector<std::string> answer;          // exact, in any order
    std::vector<std::string> authority = {};  // exact, in any order
    std::vector<std::string> additional = {};
};

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

void check(const Zone* zone, const Case& c) {
    SCOPED_TRACE(c.name + " type " + std::to_string(c.type));
    const Decoded d = ask(zone, make_query(c.name, c.type));
    ASSERT_TRUE(d.ok);
    EXPECT_TRUE(d.qr);
    EXPECT_EQ(d.id, 0x1234);
    EXPECT_EQ(d.rcode, c.rcode);
    if (c.rcode == 0 || c.rcode == 3) {
        EXPECT_TRUE(d.aa);
    }
    EXPECT_EQ(sorted(d.answer), sorted(c.answer));
    EXPECT_EQ(sorted(d.authority), sorted(c.authority));
    EXPECT_EQ(sorted(d.additional), sorted(c.additional));
}

constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, TXT = 16, AAAA = 28, SRV = 33, MX = 15;
constexpr int NOERROR = 0, NXDOMAIN = 3, REFUSED = 5;

TEST_F(Records, ClusterIPServices) {
    ASSERT_TRUE(zone_);
    const std::string web = "web.default.svc.cluster.local.";
    for (const Case& c : std::vector<Case>{
             {"web.default.svc.cluster.local", A, NOERROR, {web + " 30 A 10.96.0.10"}},
             {"web.default.svc.cluster.local", AAAA, NOERROR, {web + " 30 AAAA fd00:10:96::10"}},
             // Every port, weight 100 / (2 ports x 2 addresses), as CoreDNS.
             {"web.default.svc.cluster.local", SRV, NOERROR,
              {web + " 30 SRV 0 25 80 " + web, web + " 30 SRV 0 25 53 " + web},
              {},
              {web + " 30 A 10.96.0.10", web + " 30 AAAA fd00:10:96::10"}},
             {"_http._tcp.web.default.svc.cluster.local", SRV, NOERROR,
              {"_http._tcp." + web + " 30 SRV 0 50 80 " + web},
              {},
              {web + " 30 A 10.96.0.10", web + " 30 AAAA fd00:10:96::10"}},
             {"_dns._udp.web.default.svc.cluster.local", SRV, NOERROR,
              {"_dns._udp." + web + " 30 SRV 0 50 53 " + web},
              {},
              {web + " 30 A 10.96.0.10", web + " 30 AAAA fd00:10:96::10"}},
             {"_http._tcp.web.default.svc.cluster.local", A, NOERROR, {"_http._tcp." + web + " 30 A 10.96.0.10"}},
             {"_http._udp.web.default.svc.cluster.local", SRV, NXDOMAIN, {}, {kSoa}},
             {"_nope._tcp.web.default.svc.cluster.local", SRV, NXDOMAIN, {}, {kSoa}},
             {"_http._bogus.web.default.svc.cluster.local", SRV, NXDOMAIN, {}, {kSoa}},
             // Endpoint names of a ClusterIP service (CoreDNS answers them): ready ones only.
             {"10-244-1-11.web.default.svc.cluster.local", A, NOERROR,
              {"10-244-1-11." + web + " 30 A 10.244.1.11"}},
             {"fd00-10-244--11.web.default.svc.cluster.local", AAAA, NOERROR,
              {"fd00-10-244--11." + web + " 30 AAAA fd00:10:244::11"}},
             {"10-244-1-13.web.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             // An existing name, another type: NODATA.
             {"web.default.svc.cluster.local", TXT, NOERROR, {}, {kSoa}},
             {"web.default.svc.cluster.local", MX, NOERROR, {}, {kSoa}},
             {"missing.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"a.b.web.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"kube-dns.kube-system.svc.cluster.local", A, NOERROR,
              {"kube-dns.kube-system.svc.cluster.local. 30 A 10.96.0.53"}},
         })
        check(zone_.get(), c);
}

TEST_F(Records, HeadlessServices) {
    ASSERT_TRUE(zone_);
    const std::string db = "db.default.svc.cluster.local.";
    for (const Case& c : std::vector<Case>{
             {"db.default.svc.cluster.local", A, NOERROR, {db + " 30 A 10.244.2.10", db + " 30 A 10.244.2.11"}},
             {"db.default.svc.cluster.local", AAAA, NOERROR, {}, {kSoa}},
             {"db.default.svc.cluster.local", SRV, NOERROR,
              {db + " 30 SRV 0 50 5432 db-0." + db, db + " 30 SRV 0 50 5432 db-1." + db},
              {},
              {"db-0." + db + " 30 A 10.244.2.10", "db-1." + db + " 30 A 10.244.2.11"}},
             {"_pg._tcp.db.default.svc.cluster.local", SRV, NOERROR,
              {"_pg._tcp." + db + " 30 SRV 0 50 5432 db-0." + db, "_pg._tcp." + db + " 30 SRV 0 50 5432 db-1." + db},
              {},
              {"db-0." + db + " 30 A 10.244.2.10", "db-1." + db + " 30 A 10.244.2.11"}},
             // spec.hostname + spec.subdomain name the pod within the service.
             {"db-0.db.default.svc.cluster.local", A, NOERROR, {"db-0." + db + " 30 A 10.244.2.10"}},
             {"10-244-2-10.db.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             // No endpoints: NXDOMAIN, as CoreDNS.
             {"ghost.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             // publishNotReadyAddresses: the not-ready pod is published.
             {"peers.default.svc.cluster.local", A, NOERROR, {"peers.default.svc.cluster.local. 30 A 10.244.3.10"}},
             // A selector-less headless service from its EndpointSlice: hostname or dashed address.
             {"legacy.shop.svc.cluster.local", A, NOERROR,
              {"legacy.shop.svc.cluster.local. 30 A 192.0.2.21", "legacy.shop.svc.cluster.local. 30 A 192.0.2.22"}},
             {"h1.legacy.shop.svc.cluster.local", A, NOERROR, {"h1.legacy.shop.svc.cluster.local. 30 A 192.0.2.21"}},
             {"192-0-2-22.legacy.shop.svc.cluster.local", SRV, NOERROR,
              {"192-0-2-22.legacy.shop.svc.cluster.local. 30 SRV 0 100 8080 192-0-2-22.legacy.shop.svc.cluster.local."},
              {},
              {"192-0-2-22.legacy.shop.svc.cluster.local. 30 A 192.0.2.22"}},
             {"192-0-2-23.legacy.shop.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
         })
        check(zone_.get(), c);
}

TEST_F(Records, ExternalNames) {
    ASSERT_TRUE(zone_);
    for (const Case& c : std::vector<Case>{
             {"ext.default.svc.cluster.local", A, NOERROR, {"ext.default.svc.cluster.local. 30 CNAME www.example.com."}},
             {"ext.default.svc.cluster.local", CNAME, NOERROR,
              {"ext.default.svc.cluster.local. 30 CNAME www.example.com."}},
             {"ext.default.svc.cluster.local", AAAA, NOERROR,
              {"ext.default.svc.cluster.local. 30 CNAME www.example.com."}},
             // An IP is no CNAME target: NXDOMAIN, as CoreDNS.
             {"ipext.default.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             // A target in the cluster domain is followed.
             {"alias.default.svc.cluster.local", A, NOERROR,
              {"alias.default.svc.cluster.local. 30 CNAME web.default.svc.cluster.local.",
               "web.default.svc.cluster.local. 30 A 10.96.0.10"}},
         })
        check(zone_.get(), c);
}

TEST_F(Records, ZoneApexNamespacesAndVersion) {
    ASSERT_TRUE(zone_);
    for (const Case& c : std::vector<Case>{
             {"cluster.local", SOA, NOERROR, {kSoa}},
             {"cluster.local", NS, NOERROR, {"cluster.local. 30 NS ns.dns.cluster.local."}, {},
              {"ns.dns.cluster.local. 30 A 10.96.0.53"}},
             {"cluster.local", A, NOERROR, {}, {kSoa}},
             {"ns.dns.cluster.local", A, NOERROR, {"ns.dns.cluster.local. 30 A 10.96.0.53"}},
             {"dns-version.cluster.local", TXT, NOERROR, {"dns-version.cluster.local. 28800 TXT \"1.1.0\""}},
             {"dns-version.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"svc.cluster.local", A, NOERROR, {}, {kSoa}},
             {"pod.cluster.local", A, NOERROR, {}, {kSoa}},
             {"default.svc.cluster.local", A, NOERROR, {}, {kSoa}},
             {"shop.svc.cluster.local", SRV, NOERROR, {}, {kSoa}},
             {"kube-public.svc.cluster.local", A, NOERROR, {}, {kSoa}},
             {"nonexistent.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"web.nonexistent.svc.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"something.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             // Pod records are off by default.
             {"10-244-1-11.default.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"default.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
         })
        check(zone_.get(), c);
}

TEST_F(Records, ReverseLookups) {
    ASSERT_TRUE(zone_);
    const std::string soa4 = "in-addr.arpa. 30 SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 4242 7200 1800 86400 30";
    for (const Case& c : std::vector<Case>{
             {"10.0.96.10.in-addr.arpa", PTR, NOERROR, {"10.0.96.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local."}},
             {"1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa", PTR, NXDOMAIN, {},
              {"ip6.arpa. 30 SOA ns.dns.ip6.arpa. hostmaster.ip6.arpa. 4242 7200 1800 86400 30"}},
             {"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa", PTR, NOERROR,
              {"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 30 PTR "
               "web.default.svc.cluster.local."}},
             // Endpoints get PTRs to their names within each service.
             {"11.1.244.10.in-addr.arpa", PTR, NOERROR,
              {"11.1.244.10.in-addr.arpa. 30 PTR 10-244-1-11.web.default.svc.cluster.local."}},
             {"10.2.244.10.in-addr.arpa", PTR, NOERROR,
              {"10.2.244.10.in-addr.arpa. 30 PTR db-0.db.default.svc.cluster.local."}},
             {"99.99.99.10.in-addr.arpa", PTR, NXDOMAIN, {}, {soa4}},
         })
        check(zone_.get(), c);
}

TEST_F(Records, PodRecordsPerMode) {
    ZoneOptions insecure;
    insecure.serial = 4242;
    insecure.pods = DnsPodMode::Insecure;
    auto z = zone_from_yaml(kManifests, insecure);
    for (const Case& c : std::vector<Case>{
             {"10-244-1-11.default.pod.cluster.local", A, NOERROR,
              {"10-244-1-11.default.pod.cluster.local. 30 A 10.244.1.11"}},
             // insecure: any address, in a namespace that exists
             {"192-0-2-99.shop.pod.cluster.local", A, NOERROR, {"192-0-2-99.shop.pod.cluster.local. 30 A 192.0.2.99"}},
             {"fd00--1.default.pod.cluster.local", AAAA, NOERROR, {"fd00--1.default.pod.cluster.local. 30 AAAA fd00::1"}},
             {"10-244-1-11.default.pod.cluster.local", AAAA, NOERROR, {}, {kSoa}},
             {"10-244-1-11.nonexistent.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"not-an-ip.default.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"default.pod.cluster.local", A, NOERROR, {}, {kSoa}},
         })
        check(z.get(), c);
    ZoneOptions verified = insecure;
    verified.pods = DnsPodMode::Verified;
    z = zone_from_yaml(kManifests, verified);
    for (const Case& c : std::vector<Case>{
             {"10-244-1-11.default.pod.cluster.local", A, NOERROR,
              {"10-244-1-11.default.pod.cluster.local. 30 A 10.244.1.11"}},
             {"fd00-10-244--11.default.pod.cluster.local", AAAA, NOERROR,
              {"fd00-10-244--11.default.pod.cluster.local. 30 AAAA fd00:10:244::11"}},
             // verified: only pods that exist, in their own namespace
             {"192-0-2-99.shop.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
             {"10-244-1-11.shop.pod.cluster.local", A, NXDOMAIN, {}, {kSoa}},
         })
        check(z.get(), c);
}

TEST_F(Records, NamesAreCaseInsensitiveAndAnswersKeepTheQuestionsCase) {
    ASSERT_TRUE(zone_);
    const Decoded d = ask(zone_.get(), make_query("WeB.DeFault.SVC.cluster.LOCAL", A));
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.question, "WeB.DeFault.SVC.cluster.LOCAL. 1");
    EXPECT_EQ(d.answer, (std::vector<std::string>{"WeB.DeFault.SVC.cluster.LOCAL. 30 A 10.96.0.10"}));
    const Decoded n = ask(zone_.get(), make_query("Nope.DeFault.SVC.cluster.LOCAL", A));
    EXPECT_EQ(n.authority, (std::vector<std::string>{
                               "cluster.LOCAL. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 4242 7200 1800 86400 30"}));
}

TEST_F(Records, OutsideTheZonesIsRefusedWithoutAnUpstream) {
    ASSERT_TRUE(zone_);
    Action action;
    Decoded d = ask(zone_.get(), make_query("www.example.com", A), false, false, &action);
    EXPECT_EQ(d.rcode, REFUSED);
    EXPECT_FALSE(d.aa);
    EXPECT_FALSE(d.ra);
    // With an upstream: forwarded, as are unknown reverse names; ExternalNames are chased.
    ask(zone_.get(), make_query("www.example.com", A), false, true, &action);
    EXPECT_EQ(action, Action::Forward);
    ask(zone_.get(), make_query("1.2.0.192.in-addr.arpa", PTR), false, true, &action);
    EXPECT_EQ(action, Action::Forward);
    d = ask(zone_.get(), make_query("ext.default.svc.cluster.local", A), false, true, &action);
    EXPECT_EQ(action, Action::Chase);
    EXPECT_EQ(d.answer, (std::vector<std::string>{"ext.default.svc.cluster.local. 30 CNAME www.example.com."}));
    EXPECT_TRUE(d.ra);
    // Names in the zone are never forwarded.
    d = ask(zone_.get(), make_query("missing.default.svc.cluster.local", A), false, true, &action);
    EXPECT_EQ(action, Action::Reply);
    EXPECT_EQ(d.rcode, NXDOMAIN);
}

TEST_F(Records, CustomDomainAndTtl) {
    ZoneOptions o;
    o.domain = "corp.example";
    o.ttl = 5;
    o.serial = 7;
    auto z = zone_from_yaml(kManifests, o);
    check(z.get(), {"web.default.svc.corp.example", A, NOERROR, {"web.default.svc.corp.example. 5 A 10.96.0.10"}});
    check(z.get(), {"web.default.svc.cluster.local", A, REFUSED, {}});
    check(z.get(), {"nope.corp.example", A, NXDOMAIN, {},
                    {"corp.example. 5 SOA ns.dns.corp.example. hostmaster.corp.example. 7 7200 1800 86400 5"}});
}

// A name longer than DNS allows (255 bytes on the wire) is not in the
// table, and nothing points at it: no SRV target, no PTR. The domain here
// leaves room for db.default.svc.<domain> (255 bytes) but not for its
// endpoints' names nor for web.default.svc.<domain> (256).
TEST_F(Records, NamesTooLongForTheWireAreLeftOutAndNothingPointsAtThem) {
    ZoneOptions o;
    o.domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(46, 'd');
    o.serial = 4242;
    auto z = zone_from_yaml(kManifests, o);
    const std::string db = "db.default.svc." + o.domain;
    const std::string soa4 = "in-addr.arpa. 30 SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 4242 7200 1800 86400 30";
    for (const Case& c : std::vector<Case>{
             {db, A, NOERROR, {db + ". 30 A 10.244.2.10", db + ". 30 A 10.244.2.11"}},
             // NODATA (the SOA of this domain does not fit a 512-byte reply next to this question).
             {db, SRV, NOERROR, {}},
             {"10.2.244.10.in-addr.arpa", PTR, NXDOMAIN, {}, {soa4}},
             {"10.0.96.10.in-addr.arpa", PTR, NXDOMAIN, {}, {soa4}},
             {"11.1.244.10.in-addr.arpa", PTR, NXDOMAIN, {}, {soa4}},
         })
        check(z.get(), c);
}

// The name table (open addressing, linear probing at up to 3/4 load):
// every name of a zone with thousands of them is found, under its own
// records, and names next to them (one more service, another length, one
// character changed) are not.
TEST_F(Records, EveryNameOfALargeZoneIsFoundAndNoOther) {
    constexpr int kServices = 3000;
    std::string yaml;
    for (int i = 0; i < kServices; ++i)
        yaml += "apiVersion: v1\nkind: Service\nmetadata: {name: svc-" + std::to_string(i) +
                ", namespace: big}\nspec: {clusterIP: 10.96." + std::to_string(i / 250) + "." +
                std::to_string(i % 250 + 1) + ", ports: [{name: http, port: 80}]}\n---\n";
    auto z = zone_from_yaml(yaml);
    ASSERT_TRUE(z);
    EXPECT_GE(z->names(), static_cast<size_t>(2 * kServices));  // service and _http._tcp names, PTRs
    for (int i = 0; i < kServices; ++i) {
        const std::string n = "svc-" + std::to_string(i) + ".big.svc.cluster.local";
        const std::string ip = "10.96." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
        Decoded d = ask(z.get(), make_query(n, A));
        ASSERT_EQ(d.rcode, NOERROR) << n;
        ASSERT_EQ(d.answer, std::vector<std::string>{n + ". 30 A " + ip}) << n;
        d = ask(z.get(), make_query("_http._tcp." + n, SRV));
        ASSERT_EQ(d.answer, std::vector<std::string>{"_http._tcp." + n + ". 30 SRV 0 100 80 " + n + "."}) << n;
        d = ask(z.get(), make_query(std::to_string(i % 250 + 1) + "." + std::to_string(i / 250) + ".96.10.in-addr.arpa", PTR));
        ASSERT_EQ(d.answer.size(), 1u) << ip;
        EXPECT_NE(d.answer[0].find(" PTR " + n + "."), std::string::npos) << d.answer[0];
        for (const std::string& other : {"svc-" + std::to_string(i + kServices) + ".big.svc.cluster.local",
                                         "svc-" + std::to_string(i) + "x.big.svc.cluster.local",
                                         "svd-" + std::to_string(i) + ".big.svc.cluster.local"})
            ASSERT_EQ(ask(z.get(), make_query(other, A)).rcode, NXDOMAIN) << other;
    }
}

}  // namespace
}  // namespace svcnat::dns::test
