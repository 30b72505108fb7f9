// svcnat-gateway settings: INI + command line through Boost.Program_options,
// port specs, and the cross-field checks that name the culprit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "dpdk/gateway/gateway_config.hpp"

namespace svcnat::dpdk {
namespace {

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& text) {
        char tmpl[] = "/tmp/svcnat-gwcfg-XXXXXX";
        int fd = mkstemp(tmpl);
        path = tmpl;
        ::write(fd, text.data(), text.size());
        ::close(fd);
    }
    ~TempFile() { std::remove(path.c_str()); }
};

ParsedGatewayArgs parse(std::vector<std::string> args) {
    std::vector<const char*> argv{"svcnat-gateway"};
    for (auto& a : args) argv.push_back(a.c_str());
    return parse_gateway_args(static_cast<int>(argv.size()), argv.data());
}

const char* kTwoArm = R"(manifests = /etc/svcnat/manifests
node-name = edge-1
port = name=uplink,device=0000:01:00.0,role=client,ip=192.0.2.1/24,next-hop=192.0.2.254
port = name=pods,device=net_af_packet1,role=backend,ip=10.0.0.1/16,mac=02:00:00:00:00:09
snat-address = 10.0.0.1
snat-address = 10.0.0.2
neighbor = 10.0.5.5,02:aa:bb:cc:dd:ee
maglev-table-size = 251
tcp-established-timeout = 120
udp-timeout = 30
)";

TEST(GatewayConfig, ParsesATwoArmIniFile) {
    TempFile f(kTwoArm);
    auto r = parse({"--config", f.path});
    const GatewayConfig& c = r.config;
    ASSERT_EQ(c.ports.size(), 2u);
    EXPECT_EQ(c.ports[0].name, "uplink");
    EXPECT_EQ(c.ports[0].device, "0000:01:00.0");
    EXPECT_EQ(c.ports[0].role, PortRole::Client);
    ASSERT_TRUE(c.ports[0].v4);
    EXPECT_FALSE(c.ports[0].v6);
    EXPECT_EQ(c.ports[0].v4->ip.str(), "192.0.2.1");
    EXPECT_EQ(c.ports[0].v4->subnet.str(), "192.0.2.0/24");
    EXPECT_EQ(c.ports[0].v4->next_hop->str(), "192.0.2.254");
    EXPECT_EQ(mac_str(*c.ports[1].mac), "02:00:00:00:00:09");
    EXPECT_EQ(c.snat_addresses.size(), 2u);
    ASSERT_EQ(c.neighbors.size(), 1u);
    EXPECT_EQ(mac_str(c.neighbors[0].mac), "02:aa:bb:cc:dd:ee");
    EXPECT_EQ(c.maglev_table_size, 251u);
    EXPECT_EQ(c.timeouts.of(FlowState::Established), 120'000u);
    EXPECT_EQ(c.timeouts.of(FlowState::Udp), 30'000u);
    EXPECT_EQ(c.settings.manifests, std::vector<std::string>{"/etc/svcnat/manifests"});
    EXPECT_EQ(c.settings.node_name, "edge-1");
    EXPECT_EQ(c.client_ports(), std::vector<size_t>{0});
    EXPECT_EQ(c.backend_ports(), std::vector<size_t>{1});
    // Backends outside every subnet go through a port with a next hop, if any.
    EXPECT_EQ(c.port_towards(*IPAddr::parse("10.0.7.7"), true), 1u);
    EXPECT_EQ(c.port_towards(*IPAddr::parse("172.16.0.1"), true), std::nullopt);
}

TEST(GatewayConfig, CommandLineAddsToTheFile) {
    TempFile f(kTwoArm);
    auto r = parse({"--config", f.path, "--snat-address", "10.0.0.3", "--maglev-table-size", "65537"});
    EXPECT_EQ(r.config.snat_addresses.size(), 3u);
    EXPECT_EQ(r.config.maglev_table_size, 65537u);
}

TEST(GatewayConfig, OneArmLayoutWithRoleBoth) {
    auto r = parse({"--manifests", "m", "--port", "device=net_tap0,ip=10.1.0.1/24", "--snat-address", "10.1.0.2"});
    ASSERT_EQ(r.config.ports.size(), 1u);
    EXPECT_EQ(r.config.ports[0].role, PortRole::Both);
    EXPECT_EQ(r.config.ports[0].name, "net_tap0");
}

TEST(GatewayConfig, HelpNeedsNoOtherOption) {
    auto r = parse({"--help"});
    EXPECT_TRUE(r.help);
    EXPECT_NE(r.help_text.find("--snat-address"), std::string::npos);
}

void expect_error(std::vector<std::string> args, const std::string& fragment) {
    try {
        parse(args);
        ADD_FAILURE() << "no error, expected one mentioning: " << fragment;
    } catch (const GatewayConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(GatewayConfig, ErrorsNameTheCulprit) {
    const std::vector<std::string> base{"--manifests", "m", "--port", "device=d0,role=client,ip=192.0.2.1/24",
                                        "--port", "device=d1,role=backend,ip=10.0.0.1/24"};
    auto with = [&](std::vector<std::string> extra) {
        auto a = base;
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    expect_error(base, "snat-address");
    expect_error(with({"--snat-address", "172.16.0.1"}), "no backend-facing port");
    expect_error(with({"--snat-address", "10.0.0.1", "--maglev-table-size", "1000"}), "not prime");
    expect_error(with({"--snat-address", "fd00::1"}), "no backend-facing port");
    expect_error(with({"--snat-address", "10.0.0.1", "--neighbor", "10.0.0.9"}), "IP,MAC");
    expect_error(with({"--snat-address", "10.0.0.1", "--port", "device=d2,ip=10.2.0.1/24,colour=red"}), "unknown key 'colour'");
    expect_error(with({"--snat-address", "10.0.0.1", "--port", "device=d0,ip=10.2.0.1/24"}), "used twice");
    expect_error({"--manifests", "m", "--port", "device=d0,role=client,ip=192.0.2.1/24", "--snat-address", "192.0.2.1"},
                 "no port faces backends");
    expect_error({"--port", "ip=1.2.3.4/24"}, "device is required");
    expect_error({"--port", "device=x,ip=1.2.3.4/24,next-hop=5.6.7.8"}, "outside");
    expect_error({"--bogus"}, "bogus");
    expect_error({"--config", "/nonexistent/gw.ini"}, "cannot open");
}

TEST(GatewayConfig, DualStackPorts) {
    auto r = parse({"--manifests", "m",
                    "--port", "name=up,device=d0,role=client,ip=192.0.2.1/24,ip=2001:db8:1::1/64,"
                              "next-hop=192.0.2.254,next-hop=2001:db8:1::fe",
                    "--port", "name=pods,device=d1,role=backend,ip=2001:db8:2::1/64",
                    "--snat-address", "2001:db8:2::100", "--neighbor", "2001:db8:2::7,02:00:00:00:00:07"});
    const GatewayConfig& c = r.config;
    ASSERT_TRUE(c.ports[0].v4 && c.ports[0].v6);
    EXPECT_EQ(c.ports[0].v6->ip.str(), "2001:db8:1::1");
    EXPECT_EQ(c.ports[0].v6->subnet.str(), "2001:db8:1::/64");
    EXPECT_EQ(c.ports[0].v6->next_hop->str(), "2001:db8:1::fe");
    EXPECT_EQ(c.ports[0].v4->next_hop->str(), "192.0.2.254");
    EXPECT_FALSE(c.ports[1].v4);
    EXPECT_EQ(c.port_towards(*IPAddr::parse("2001:db8:2::9"), true), 1u);
    EXPECT_EQ(c.port_towards(*IPAddr::parse("2001:db8:77::9"), false), 0u) << "via the IPv6 next hop";
    EXPECT_EQ(c.port_towards(*IPAddr::parse("10.9.9.9"), true), std::nullopt) << "no IPv4 on the backend side";
    EXPECT_EQ(c.neighbors[0].ip.str(), "2001:db8:2::7");

    expect_error({"--port", "device=x,ip=2001:db8::1/64,ip=2001:db8:5::1/64"}, "ip given twice");
    expect_error({"--port", "device=x,ip=10.0.0.1/24,next-hop=2001:db8::1"}, "no ip of its family");
    expect_error({"--port", "device=x,ip=2001:db8::1/64,next-hop=2001:db9::1"}, "outside");
}

TEST(GatewayConfig, MacParsing) {
    EXPECT_TRUE(parse_mac("02:00:5e:10:00:ff"));
    EXPECT_FALSE(parse_mac("02:00:5e:10:00"));
    EXPECT_FALSE(parse_mac("02-00-5e-10-00-ff"));
    EXPECT_FALSE(parse_mac("0g:00:5e:10:00:ff"));
}

}  // namespace
}  // namespace svcnat::dpdk
