// Cluster DNS end to end: `svcnat run --dns-bind-address` on the lab's node
// serving conf/examples (with the kube-dns Service of cluster.yaml), pods
// with kubelet's resolv.conf (nameserver 10.96.0.10, the search path,
// ndots:5) reaching it through svcnat's own ClusterIP rules, an upstream
// (dnsmasq) on the external client for names outside the cluster. Answers
// are decoded by dnspython (scripts/lab/dnsq.py) and dig, and used by glibc
// (getent, curl).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <thread>

#include "lab.hpp"
#include "manifests.hpp"

namespace svcnat::e2e {
namespace {

using json = nlohmann::json;

std::string source_root() {
    return std::filesystem::path(lab_script()).parent_path().parent_path().parent_path().string();
}
std::string lab_tool(const std::string& name) { return source_root() + "/scripts/lab/" + name; }

class ClusterDns : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!running_as_root()) return;
        setup_error_.clear();
        lab_ = std::make_unique<Lab>("e2e-dns");
        try {
            lab_->up({.pods = 4});  // pod1..pod4 at 10.244.1.11-14: the examples' kubia-1..4
            for (int i = 1; i <= 3; ++i)  // the examples' my-nginx-1..3, behind myapp and myapp-headless
                lab_->add_pod("nginx" + std::to_string(i), "10.244.1.3" + std::to_string(i),
                              {"--http", "80", "--udp", "", "--echo", "", "--sctp", ""});
            // The upstream: names outside the cluster, ExternalName targets.
            lab_->spawn("client", "upstream",
                        {"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                         "--listen-address=203.0.113.100", "--port=53", "--pid-file=",
                         "--address=/www.example.com/192.0.2.80", "--address=/my.sql.database.example.com/192.0.2.81"});
            manifests_ = std::make_unique<ManifestDir>();
            for (const auto& f : std::filesystem::directory_iterator(source_root() + "/conf/examples"))
                if (f.path().extension() == ".yaml") std::filesystem::copy_file(f.path(), manifests_->path() + "/" + f.path().filename().string());
            lab_->spawn("node", "svcnat",
                        {svcnat_binary(), "run", "--node-name", "node-a", "--cluster-cidr", "10.244.0.0/16",
                         "--healthz-bind-address=",
                         "--metrics-bind-address=", "--dns-bind-address", "203.0.113.1", "--dns-upstream",
                         "203.0.113.100", "--dns-pods", "insecure", manifests_->path()});
            // Each pod's resolver, as kubelet writes it for namespace default.
            for (const std::string pod : {"pod1", "pod2", "nginx1"}) lab_->kubelet_resolv(pod, "10.96.0.10");
            wait_until_serving();
        } catch (const std::exception& e) {
            setup_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        lab_.reset();
        manifests_.reset();
    }
    void SetUp() override {
        if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    }

    static void wait_until_serving() {
        for (int i = 0; i < 100; ++i) {
            auto r = query({"kubia.default.svc.cluster.local A"}, false);
            if (r.size() == 1 && r[0].value("rcode", "") == "NOERROR") return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("svcnat's DNS did not answer through 10.96.0.10 within 10 s");
    }

    // dnspython from pod1 to the kube-dns ClusterIP.
    static std::vector<json> query(const std::vector<std::string>& lines, bool tcp, bool edns = false) {
        std::vector<std::string> extra;
        if (tcp) extra.push_back("--tcp");
        if (edns) extra.push_back("--edns");
        std::vector<json> out;
        for (const auto& l : lab_->dns_query("pod1", "10.96.0.10", lines, 2, extra))
            out.push_back(json::parse(l, nullptr, false));
        return out;
    }

    static inline std::unique_ptr<Lab> lab_;
    static inline std::unique_ptr<ManifestDir> manifests_;
    static inline std::string setup_error_;
};

struct Expect {
    std::string q;  // "NAME TYPE"
    std::string rcode;
    std::vector<std::string> answer;  // dnspython's text, sorted
    bool authority_soa = false;       // a negative answer carries the SOA
};

std::vector<Expect> expectations() {
    const std::string soa = "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local.";
    const std::string z = ".default.svc.cluster.local.";
    auto a = [&](const std::string& n, const std::string& ip) { return n + z + " 30 IN A " + ip; };
    return {
        // ClusterIP services: A (answered with or without endpoints), SRV, endpoint names
        {"kubia.default.svc.cluster.local A", "NOERROR", {a("kubia", "10.107.64.45")}},
        {"KUBIA.Default.Svc.Cluster.Local A", "NOERROR", {"KUBIA.Default.Svc.Cluster.Local. 30 IN A 10.107.64.45"}},
        {"kubia.default.svc.cluster.local AAAA", "NOERROR", {}, true},
        {"kubia.default.svc.cluster.local TXT", "NOERROR", {}, true},
        {"kubia.default.svc.cluster.local SRV", "NOERROR", {"kubia" + z + " 30 IN SRV 0 100 80 kubia" + z}},
        {"10-244-1-11.kubia.default.svc.cluster.local A", "NOERROR", {"10-244-1-11.kubia" + z + " 30 IN A 10.244.1.11"}},
        {"10-244-1-99.kubia.default.svc.cluster.local A", "NXDOMAIN", {}, true},
        {"redis-sentinel.default.svc.cluster.local A", "NOERROR", {a("redis-sentinel", "10.96.224.89")}},
        {"kubernetes.default.svc.cluster.local A", "NOERROR", {a("kubernetes", "10.96.0.1")}},
        {"_https._tcp.kubernetes.default.svc.cluster.local SRV", "NOERROR",
         {"_https._tcp.kubernetes" + z + " 30 IN SRV 0 100 443 kubernetes" + z}},
        {"_https._udp.kubernetes.default.svc.cluster.local SRV", "NXDOMAIN", {}, true},
        {"_http._tcp.kubernetes.default.svc.cluster.local SRV", "NXDOMAIN", {}, true},
        {"_http._tcp.myapp.default.svc.cluster.local SRV", "NOERROR",
         {"_http._tcp.myapp" + z + " 30 IN SRV 0 100 80 myapp" + z}},
        {"mongo.default.svc.cluster.local A", "NOERROR", {a("mongo", "10.97.246.204")}},
        {"192-0-2-12.mongo.default.svc.cluster.local A", "NOERROR", {"192-0-2-12.mongo" + z + " 30 IN A 192.0.2.12"}},
        {"kube-dns.kube-system.svc.cluster.local A", "NOERROR",
         {"kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"}},
        // Headless: the ready pods, SRV per pod, names per pod
        {"myapp-headless.default.svc.cluster.local A", "NOERROR",
         {"myapp-headless" + z + " 30 IN A 10.244.1.31 10.244.1.32 10.244.1.33"}},
        {"myapp-headless.default.svc.cluster.local AAAA", "NOERROR", {}, true},
        {"_http._tcp.myapp-headless.default.svc.cluster.local SRV", "NOERROR",
         {"_http._tcp.myapp-headless" + z + " 30 IN SRV 0 33 80 10-244-1-31.myapp-headless" + z +
          " 0 33 80 10-244-1-32.myapp-headless" + z + " 0 33 80 10-244-1-33.myapp-headless" + z}},
        {"10-244-1-32.myapp-headless.default.svc.cluster.local A", "NOERROR",
         {"10-244-1-32.myapp-headless" + z + " 30 IN A 10.244.1.32"}},
        {"_tcp.myapp-headless.default.svc.cluster.local A", "NXDOMAIN", {}, true},
        // ExternalName: CNAME and the upstream's answer; an IP target or none: NXDOMAIN
        {"my-service.default.svc.cluster.local A", "NOERROR",
         {"my-service" + z + " 30 IN CNAME www.example.com.", "www.example.com. 0 IN A 192.0.2.80"}},
        {"my-service.default.svc.cluster.local CNAME", "NOERROR", {"my-service" + z + " 30 IN CNAME www.example.com."}},
        {"the-mysql.default.svc.cluster.local A", "NOERROR",
         {"my.sql.database.example.com. 0 IN A 192.0.2.81", "the-mysql" + z + " 30 IN CNAME my.sql.database.example.com."}},
        // Apex, namespaces, version, pods (insecure)
        {"cluster.local SOA", "NOERROR", {}},  // checked by rcode; the serial is a time
        {"cluster.local NS", "NOERROR", {"cluster.local. 30 IN NS ns.dns.cluster.local."}},
        {"ns.dns.cluster.local A", "NOERROR", {"ns.dns.cluster.local. 30 IN A 10.96.0.10"}},
        {"dns-version.cluster.local TXT", "NOERROR", {"dns-version.cluster.local. 28800 IN TXT \"1.1.0\""}},
        {"dns-version.cluster.local A", "NXDOMAIN", {}, true},
        {"svc.cluster.local A", "NOERROR", {}, true},
        {"default.svc.cluster.local A", "NOERROR", {}, true},
        {"kube-system.svc.cluster.local A", "NOERROR", {}, true},
        {"nosuchns.svc.cluster.local A", "NXDOMAIN", {}, true},
        {"kubia.nosuchns.svc.cluster.local A", "NXDOMAIN", {}, true},
        {"nosuch.default.svc.cluster.local A", "NXDOMAIN", {}, true},
        {"a.b.kubia.default.svc.cluster.local A", "NXDOMAIN", {}, true},
        {"10-244-1-12.default.pod.cluster.local A", "NOERROR", {"10-244-1-12.default.pod.cluster.local. 30 IN A 10.244.1.12"}},
        {"10-244-1-12.nosuchns.pod.cluster.local A", "NXDOMAIN", {}, true},
        // Search-path expansion as glibc does it with ndots:5
        {"kubia.default.svc.cluster.local.default.svc.cluster.local A", "NXDOMAIN", {}, true},
        // Reverse: ClusterIPs and endpoints; others go upstream
        {"45.64.107.10.in-addr.arpa PTR", "NOERROR", {"45.64.107.10.in-addr.arpa. 30 IN PTR kubia" + z}},
        {"31.1.244.10.in-addr.arpa PTR", "NOERROR",
         {"31.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-31.myapp-headless" + z + " 10-244-1-31.myapp-nodeport" + z +
          " 10-244-1-31.myapp" + z}},
        // Outside the cluster: forwarded to the upstream
        {"www.example.com A", "NOERROR", {"www.example.com. 0 IN A 192.0.2.80"}},
    };
}

// dnspython prints an RRset's records one per line; several records of one
// RRset are joined here ("... IN A x y z") for compact expectations.
std::vector<std::string> joined(const json& lines) {
    std::map<std::string, std::string> by_head;
    for (const auto& l : lines) {
        std::string s = l.get<std::string>();
        // head = owner ttl class type
        size_t pos = 0;
        for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = s.find(' ', pos + 1);
        const std::string head = s.substr(0, pos), data = s.substr(pos + 1);
        by_head[head] += by_head[head].empty() ? data : " " + data;
    }
    std::vector<std::string> out;
    for (const auto& [h, d] : by_head) out.push_back(h + " " + d);
    return out;
}

void check_table(const std::vector<json>& replies, const std::string& transport) {
    const auto table = expectations();
    ASSERT_EQ(replies.size(), table.size()) << transport;
    for (size_t i = 0; i < table.size(); ++i) {
        const auto& e = table[i];
        const json& r = replies[i];
        SCOPED_TRACE(transport + ": " + e.q + " -> " + r.dump());
        ASSERT_FALSE(r.contains("error"));
        EXPECT_EQ(r["rcode"], e.rcode);
        const auto flags = r["flags"].get<std::vector<std::string>>();
        const bool aa = std::find(flags.begin(), flags.end(), "AA") != flags.end();
        // Ours are authoritative; a forwarded answer keeps the upstream's flags.
        if (e.q.rfind("www.example.com", 0) != 0) {
            EXPECT_TRUE(aa);
        }
        if (e.q != "cluster.local SOA") {
            EXPECT_EQ(joined(r["answer"]), e.answer);
        }
        if (e.authority_soa) {
            ASSERT_EQ(r["authority"].size(), 1u);
            EXPECT_EQ(r["authority"][0].get<std::string>().rfind(e.q.find(".in-addr.arpa") != std::string::npos ? "in-addr.arpa. 30 IN SOA" : "cluster.local. 30 IN SOA", 0), 0u);
        }
    }
    std::printf("[ table    ] %s: %zu query/answer pairs\n", transport.c_str(), table.size());
}

std::vector<std::string> questions() {
    std::vector<std::string> q;
    for (const auto& e : expectations()) q.push_back(e.q);
    return q;
}

TEST_F(ClusterDns, EveryRecordKindOverUdp) { check_table(query(questions(), false), "UDP"); }
TEST_F(ClusterDns, EveryRecordKindOverUdpWithEdns) { check_table(query(questions(), false, true), "UDP+EDNS"); }
TEST_F(ClusterDns, EveryRecordKindOverTcp) { check_table(query(questions(), true), "TCP"); }

TEST_F(ClusterDns, DigOverUdpAndTcp) {
    for (const char* mode : {"+notcp", "+tcp"}) {
        auto r = lab_->exec("pod2", {"dig", mode, "+short", "@10.96.0.10", "myapp-headless.default.svc.cluster.local"});
        ASSERT_TRUE(r.ok()) << r.describe();
        const auto lines = r.lines();
        std::set<std::string> got(lines.begin(), lines.end());
        EXPECT_EQ(got, (std::set<std::string>{"10.244.1.31", "10.244.1.32", "10.244.1.33"})) << mode;
        auto srv = lab_->exec("pod2", {"dig", mode, "+short", "@10.96.0.10", "_http._tcp.myapp.default.svc.cluster.local", "SRV"});
        EXPECT_EQ(srv.out, "0 100 80 myapp.default.svc.cluster.local.\n") << mode;
    }
}

TEST_F(ClusterDns, PodsReachServicesByNameThroughTheSystemResolver) {
    auto hosts = lab_->exec("pod1", {"getent", "hosts", "kubia"});
    EXPECT_EQ(hosts.out, "10.107.64.45    kubia.default.svc.cluster.local\n") << hosts.describe();
    for (const char* url : {"http://kubia/", "http://kubia.default/", "http://kubia.default.svc.cluster.local/"}) {
        auto body = lab_->http_get("pod2", url, 3);
        EXPECT_EQ(body.rfind("You've hit pod", 0), 0u) << url << ": " << body;
    }
    auto headless = lab_->exec("pod1", {"getent", "ahostsv4", "myapp-headless"});
    for (const char* ip : {"10.244.1.31", "10.244.1.32", "10.244.1.33"})
        EXPECT_NE(headless.out.find(ip), std::string::npos) << headless.out;
    EXPECT_EQ(lab_->http_get("pod1", "http://myapp-headless/", 3).rfind("You've hit nginx", 0), 0u);
    // The ExternalName resolves through its CNAME to the upstream's address.
    auto ext = lab_->exec("nginx1", {"getent", "hosts", "my-service"});
    EXPECT_EQ(ext.out.rfind("192.0.2.80", 0), 0u) << ext.describe();
}

// kubernetes#56903: glibc's parallel A and AAAA queries over one UDP socket
// through a DNATed ClusterIP used to lose one of them in a conntrack race,
// a 5-second resolver timeout. Here every lookup must be quick.
TEST_F(ClusterDns, ParallelLookupsThroughTheClusterIPNeverStall) {
    auto r = lab_->exec("pod1", {kPython, lab_tool("lookups.py"), "kubia", "--count", "1000", "--threads", "20"}, 240);
    ASSERT_TRUE(r.ok()) << r.describe();
    const json s = json::parse(r.out);
    std::printf("[ lookups  ] %s\n", s.dump().c_str());
    EXPECT_EQ(s["lookups"], 1000);
    EXPECT_EQ(s["failed"], 0);
    EXPECT_EQ(s["over_1s"], 0) << s.dump();
}

TEST_F(ClusterDns, AReloadChangesNamesWithoutRestart) {
    manifests_->write("extra.yaml", R"(apiVersion: v1
kind: Service
metadata:
  name: late-arrival
spec:
  clusterIP: 10.96.7.7
  ports:
  - port: 80
)");
    bool seen = false;
    for (int i = 0; i < 50 && !seen; ++i) {
        auto r = query({"late-arrival.default.svc.cluster.local A"}, false);
        seen = r.size() == 1 && r[0].value("rcode", "") == "NOERROR";
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(seen) << "the new service never appeared in DNS";
    // A broken edit keeps the last good answers.
    manifests_->write("extra.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: late-arrival}\nspec: {ports: [{port: 0}]}\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto r = query({"late-arrival.default.svc.cluster.local A", "kubia.default.svc.cluster.local A"}, false);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["rcode"], "NOERROR");
    EXPECT_EQ(r[1]["rcode"], "NOERROR");
    manifests_->remove("extra.yaml");
}

}  // namespace
}  // namespace svcnat::e2e
