// kubectl renderings and Go tabwriter alignment, without the executable.
#include <gtest/gtest.h>

#include "control/cli/kubectl_format.hpp"
#include "control/cli/object_json.hpp"
#include "control/cli/tabwriter.hpp"

namespace svcnat::cli {
namespace {

IPAddr ip(const char* s) { return *IPAddr::parse(s); }

Service lb_service() {
    Service s;
    s.meta.name = "lb";
    s.type = ServiceType::LoadBalancer;
    s.clusterIPs = {ip("10.96.0.20")};
    ServicePort p;
    p.port = 80;
    p.nodePort = 30080;
    p.targetPort.number = 8080;
    s.ports.push_back(p);
    p.port = 53;
    p.nodePort = 0;
    p.protocol = Protocol::UDP;
    s.ports.push_back(p);
    return s;
}

TEST(Tabwriter, ColumnsPerBlockAndLastCellUnpadded) {
    // Column 0 spans all lines; column 1 only the first two (a block), the
    // third line's second cell is its last cell.
    EXPECT_EQ(tabwrite("a\tbb\tc\naaa\tb\tc\nx\tyyyyyy\n", 0, 2),
              "a    bb  c\n"
              "aaa  b   c\n"
              "x    yyyyyy\n");
    // kubectl get: minimum width 6, padding 3.
    EXPECT_EQ(kubectl_table("NAME\tAGE\nab\t1d\n"), "NAME   AGE\nab     1d\n");
    // Empty last cell: the line still pads its tab-terminated cells.
    EXPECT_EQ(kubectl_describe("IP:\t\nName:\tx\n"), "IP:    \nName:  x\n");
}

TEST(KubectlColumns, ExternalIP) {
    Service s = lb_service();
    EXPECT_EQ(external_ip_column(s, false), "<pending>");
    s.loadBalancerIngress = {ip("198.51.100.10")};
    EXPECT_EQ(external_ip_column(s, false), "198.51.100.10");
    s.externalIPs = {ip("192.0.2.80")};
    EXPECT_EQ(external_ip_column(s, false), "198.51.100.10,192.0.2.80");
    s.loadBalancerIngress = {ip("198.51.100.10"), ip("198.51.100.11")};
    s.externalIPs.clear();
    EXPECT_EQ(external_ip_column(s, false), "198.51.100.10...");  // kubectl truncates past 16 characters
    EXPECT_EQ(external_ip_column(s, true), "198.51.100.10,198.51.100.11");
    s.type = ServiceType::ClusterIP;
    EXPECT_EQ(external_ip_column(s, false), "<none>");
    s.type = ServiceType::ExternalName;
    s.externalName = "www.example.com";
    EXPECT_EQ(external_ip_column(s, false), "www.example.com");
}

TEST(KubectlColumns, ClusterIPAndPorts) {
    Service s = lb_service();
    EXPECT_EQ(cluster_ip_column(s), "10.96.0.20");
    EXPECT_EQ(ports_column(s), "80:30080/TCP,53/UDP");
    s.headless = true;
    EXPECT_EQ(cluster_ip_column(s), "None");
    s.headless = false;
    s.clusterIPs.clear();
    EXPECT_EQ(cluster_ip_column(s), "<none>");
    s.ports.clear();
    EXPECT_EQ(ports_column(s), "<none>");
    EXPECT_EQ(format_labels({}), "<none>");
    EXPECT_EQ(format_labels({{"role", "service"}, {"name", "ssh"}}), "name=ssh,role=service");
}

TEST(KubectlColumns, EndpointsListIsCappedAtThree) {
    Endpoints e;
    EXPECT_EQ(format_endpoints(&e), "<none>");
    EXPECT_EQ(format_endpoints(nullptr), "<none>");
    EndpointSubset ss;
    for (const char* a : {"10.244.1.11", "10.244.1.12", "10.244.1.13", "10.244.1.14", "fd00::1"})
        ss.addresses.push_back({ip(a), "", "", ""});
    ss.ports = {{"http", Protocol::TCP, 8080}, {"metrics", Protocol::TCP, 9090}};
    e.subsets.push_back(ss);
    EXPECT_EQ(format_endpoints(&e), "10.244.1.11:8080,10.244.1.12:8080,10.244.1.13:8080 + 7 more...");
    EXPECT_EQ(format_endpoints(&e, std::string("metrics")),
              "10.244.1.11:9090,10.244.1.12:9090,10.244.1.13:9090 + 2 more...");
    e.subsets[0].addresses = {{ip("fd00::1"), "", "", ""}};
    EXPECT_EQ(format_endpoints(&e, std::string("http")), "[fd00::1]:8080");
    EXPECT_EQ(format_endpoints(&e, std::string("none")), "<none>");
}

TEST(ObjectYaml, QuotesAmbiguousStringsOnly) {
    nlohmann::json j = {{"a", "true"}, {"b", "8080"}, {"c", "kubia"}, {"d", 8080}, {"e", ""},
                        {"f", nlohmann::json::array({"x"})}, {"g", nlohmann::json::object()}};
    EXPECT_EQ(to_yaml(j),
              "a: \"true\"\n"
              "b: \"8080\"\n"
              "c: kubia\n"
              "d: 8080\n"
              "e: \"\"\n"
              "f:\n"
              "- x\n"
              "g: {}\n");
}

TEST(ObjectJson, ServiceShape) {
    Service s = lb_service();
    s.healthCheckNodePort = 32000;
    s.externalTrafficPolicy = TrafficPolicy::Local;
    s.ports[0].targetPort = IntOrString{true, 0, "http"};
    auto j = to_json(s);
    EXPECT_EQ(j["spec"]["type"], "LoadBalancer");
    EXPECT_EQ(j["spec"]["clusterIP"], "10.96.0.20");
    EXPECT_EQ(j["spec"]["ports"][0]["targetPort"], "http");
    EXPECT_EQ(j["spec"]["ports"][1]["targetPort"], 8080);
    EXPECT_FALSE(j["spec"]["ports"][1].contains("nodePort"));
    EXPECT_EQ(j["spec"]["healthCheckNodePort"], 32000);
    EXPECT_EQ(j["spec"]["externalTrafficPolicy"], "Local");
    EXPECT_EQ(j["status"]["loadBalancer"], nlohmann::json::object());
}

}  // namespace
}  // namespace svcnat::cli
