// The gateway block of the settings (svcnat-gateway): INI + command line by
// the daemon's rules, port specs, and the checks of the whole configuration,
// each error at its origin (flag or file:line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "control/config/config.hpp"
#include "parse_helpers.hpp"

namespace svcnat {
namespace {

CommandLineOptions gateway_block() {
    CommandLineOptions how;
    how.blocks = {false, false, false, true};
    return how;
}

ParsedCommand parse(std::vector<std::string> args) { return test::parse(std::move(args), {}, gateway_block()); }

std::string error_of(std::vector<std::string> args) { return test::error_of(std::move(args), gateway_block()); }

struct IniFile {
    std::string path;
    explicit IniFile(const std::string& text) {
        char tmpl[] = "/tmp/svcnat-gwcfg-XXXXXX";
        const int fd = mkstemp(tmpl);
        EXPECT_GE(fd, 0);
        close(fd);
        path = tmpl;
        std::ofstream(path) << text;
    }
    ~IniFile() { std::remove(path.c_str()); }
};

const char* kTwoArm = R"(manifests = /etc/svcnat/manifests
node-name = edge-1
port = name=uplink,device=0000:01:00.0,role=client,ip=192.0.2.1/24,next-hop=192.0.2.254
port = name=pods,device=net_af_packet1,role=backend,ip=10.0.0.1/16,mac=02:00:00:00:00:09
snat-address = 10.0.0.1
snat-address = 10.0.0.2
neighbor = 10.0.5.5,02:aa:bb:cc:dd:ee
maglev-table-size = 251
tcp-established-timeout = 2m
udp-timeout = 30
)";

TEST(GatewaySettings, ParsesATwoArmIniFile) {
    IniFile f(kTwoArm);
    const Settings s = parse({"--config", f.path}).settings;
    const GatewaySettings& g = s.gateway;
    ASSERT_EQ(g.ports.size(), 2u);
    EXPECT_EQ(g.ports[0].name, "uplink");
    EXPECT_EQ(g.ports[0].device, "0000:01:00.0");
    EXPECT_EQ(g.ports[0].role, PortRole::Client);
    ASSERT_TRUE(g.ports[0].v4);
    EXPECT_FALSE(g.ports[0].v6);
    EXPECT_EQ(g.ports[0].v4->ip.str(), "192.0.2.1");
    EXPECT_EQ(g.ports[0].v4->subnet.str(), "192.0.2.0/24");
    EXPECT_EQ(g.ports[0].v4->next_hop->str(), "192.0.2.254");
    EXPECT_EQ(mac_str(*g.ports[1].mac), "02:00:00:00:00:09");
    EXPECT_EQ(g.snat_addresses.size(), 2u);
    ASSERT_EQ(g.neighbors.size(), 1u);
    EXPECT_EQ(mac_str(g.neighbors[0].mac), "02:aa:bb:cc:dd:ee");
    EXPECT_EQ(g.maglev_table_size, 251u);
    EXPECT_EQ(g.timeouts.tcp_established_s, 120u) << "a Go duration";
    EXPECT_EQ(g.timeouts.udp_s, 30u) << "a bare number is seconds";
    EXPECT_EQ(g.timeouts.tcp_syn_s, 30u) << "default";
    EXPECT_EQ(s.manifests, std::vector<std::string>{"/etc/svcnat/manifests"});
    EXPECT_EQ(s.node_name, "edge-1");
    EXPECT_EQ(g.client_ports(), std::vector<size_t>{0});
    EXPECT_EQ(g.backend_ports(), std::vector<size_t>{1});
    // Backends outside every subnet go through a port with a next hop, if any.
    EXPECT_EQ(g.port_towards(*IPAddr::parse("10.0.7.7"), true), 1u);
    EXPECT_EQ(g.port_towards(*IPAddr::parse("172.16.0.1"), true), std::nullopt);
}

// The daemon's rule: the command line wins; a repeatable option given on
// the command line replaces the file's values, it does not add to them.
TEST(GatewaySettings, CommandLineWinsOverTheFile) {
    IniFile f(kTwoArm);
    const GatewaySettings g =
        parse({"--config", f.path, "--snat-address", "10.0.0.3", "--maglev-table-size", "65537"}).settings.gateway;
    ASSERT_EQ(g.snat_addresses.size(), 1u);
    EXPECT_EQ(g.snat_addresses[0].str(), "10.0.0.3");
    EXPECT_EQ(g.maglev_table_size, 65537u);
    EXPECT_EQ(g.ports.size(), 2u) << "the file's ports stay";
}

TEST(GatewaySettings, OneArmLayoutWithRoleBoth) {
    const GatewaySettings g =
        parse({"m", "--port", "device=net_tap0,ip=10.1.0.1/24", "--snat-address", "10.1.0.2"}).settings.gateway;
    ASSERT_EQ(g.ports.size(), 1u);
    EXPECT_EQ(g.ports[0].role, PortRole::Both);
    EXPECT_EQ(g.ports[0].name, "net_tap0");
}

TEST(GatewaySettings, HelpNeedsNoOtherOptionAndListsOnlyTheGatewaysBlocks) {
    const auto p = parse({"--help"});
    EXPECT_TRUE(p.help);
    for (const char* opt : {"--snat-address", "--port", "--worker-stall-timeout", "--healthz-bind-address",
                            "--metrics-bind-address", "--sync-period", "--node-name", "--service-cidr"})
        EXPECT_NE(p.help_text.find(opt), std::string::npos) << opt;
    for (const char* opt : {"--masquerade-bit", "--table", "--dns-upstream"})
        EXPECT_EQ(p.help_text.find(opt), std::string::npos) << opt << " is kernel mode's or DNS's";
    EXPECT_EQ(error_of({"--table", "x"}), "unknown option \"--table\"");
}

TEST(GatewaySettings, NoAbbreviations) {
    EXPECT_EQ(error_of({"--snat", "10.0.0.1"}), "unknown option \"--snat\"");
}

TEST(GatewaySettings, ErrorsNameTheCulpritAndItsOrigin) {
    const std::vector<std::string> base{"m", "--port", "device=d0,role=client,ip=192.0.2.1/24",
                                        "--port", "device=d1,role=backend,ip=10.0.0.1/24"};
    auto with = [&](std::vector<std::string> extra) {
        auto a = base;
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    EXPECT_EQ(error_of(base), "--snat-address: at least one local address is required for full-NAT");
    EXPECT_EQ(error_of(with({"--snat-address", "172.16.0.1"})),
              "--snat-address: \"172.16.0.1\" is in no backend-facing port's subnet (backends could not reply to it)");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--maglev-table-size", "1000"})),
              "--maglev-table-size: \"1000\" not prime (Maglev needs a prime table size)");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--neighbor", "10.0.0.9"})),
              "--neighbor: invalid value \"10.0.0.9\": expected IP,MAC (e.g. 10.0.0.9,02:00:00:00:00:09)");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--neighbor", "172.16.0.9,02:00:00:00:00:09"})),
              "--neighbor: \"172.16.0.9\" is on no port's subnet");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--port", "device=d2,ip=10.2.0.1/24,colour=red"})),
              "--port: invalid value \"device=d2,ip=10.2.0.1/24,colour=red\": unknown key 'colour' (known: name, "
              "device, role, ip, mac, next-hop, mtu)");
    EXPECT_NE(error_of(with({"--snat-address", "10.0.0.1", "--port", "device=d0,ip=10.2.0.1/24"}))
                  .find("device 'd0' used twice"),
              std::string::npos);
    EXPECT_EQ(error_of({"m", "--port", "device=d0,role=client,ip=192.0.2.1/24", "--snat-address", "192.0.2.1"}),
              "--port: no port faces backends (role backend or both)\n"
              "--snat-address: \"192.0.2.1\" is in no backend-facing port's subnet (backends could not reply to it)");
    EXPECT_EQ(error_of({"--port", "ip=1.2.3.4/24"}), "--port: invalid value \"ip=1.2.3.4/24\": device is required");
    EXPECT_EQ(error_of({"--port", "device=x,ip=1.2.3.4/24,next-hop=5.6.7.8"}),
              "--port: invalid value \"device=x,ip=1.2.3.4/24,next-hop=5.6.7.8\": next-hop 5.6.7.8 is outside "
              "1.2.3.0/24");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--tcp-fin-timeout", "soon"})),
              "--tcp-fin-timeout: invalid value \"soon\": expected a duration such as 30s, 15m or 500ms (a bare "
              "number is seconds)");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--flows-per-lcore", "10"})),
              "--flows-per-lcore: invalid value \"10\": expected a whole number in 1024..268435456");
    EXPECT_EQ(error_of(with({"--snat-address", "10.0.0.1", "--telemetry-prefix", "svcnat"})),
              "--telemetry-prefix: invalid value \"svcnat\": expected '/' then letters, digits, '_' or '/', at most "
              "32 characters");
}

TEST(GatewaySettings, FileErrorsCarryTheLine) {
    IniFile f("manifests = m\n"
              "port = device=d0,role=client,ip=192.0.2.1/24\n"
              "port = device=d1,role=backend,ip=10.0.0.1/24\n"
              "# a comment\n"
              "snat-address = 10.0.0.1\n"
              "snat-address = 10.9.0.1\n"
              "mtu = 1500\n");
    EXPECT_EQ(error_of({"--config", f.path}), f.path + ":7: unknown option \"mtu\"");
    IniFile g("manifests = m\n"
              "port = device=d0,role=client,ip=192.0.2.1/24\n"
              "port = device=d1,role=backend,ip=10.0.0.1/24\n"
              "snat-address = 10.0.0.1\n"
              "snat-address = 10.9.0.1\n");
    EXPECT_EQ(error_of({"--config", g.path}),
              g.path + ":5: snat-address: \"10.9.0.1\" is in no backend-facing port's subnet (backends could not "
                       "reply to it)");
    IniFile h("port = device=d0,role=sideways,ip=192.0.2.1/24\n");
    EXPECT_EQ(error_of({"--config", h.path}), h.path +
                                                  ":1: port: invalid value \"device=d0,role=sideways,ip=192.0.2.1/24\": "
                                                  "role: expected client, backend or both, got 'sideways'");
}

TEST(GatewaySettings, DualStackPorts) {
    const GatewaySettings g =
        parse({"m", "--port",
               "name=up,device=d0,role=client,ip=192.0.2.1/24,ip=2001:db8:1::1/64,next-hop=192.0.2.254,"
               "next-hop=2001:db8:1::fe",
               "--port", "name=pods,device=d1,role=backend,ip=2001:db8:2::1/64", "--snat-address", "2001:db8:2::100",
               "--neighbor", "2001:db8:2::7,02:00:00:00:00:07"})
            .settings.gateway;
    ASSERT_TRUE(g.ports[0].v4 && g.ports[0].v6);
    EXPECT_EQ(g.ports[0].v6->ip.str(), "2001:db8:1::1");
    EXPECT_EQ(g.ports[0].v6->subnet.str(), "2001:db8:1::/64");
    EXPECT_EQ(g.ports[0].v6->next_hop->str(), "2001:db8:1::fe");
    EXPECT_EQ(g.ports[0].v4->next_hop->str(), "192.0.2.254");
    EXPECT_FALSE(g.ports[1].v4);
    EXPECT_EQ(g.port_towards(*IPAddr::parse("2001:db8:2::9"), true), 1u);
    EXPECT_EQ(g.port_towards(*IPAddr::parse("2001:db8:77::9"), false), 0u) << "via the IPv6 next hop";
    EXPECT_EQ(g.port_towards(*IPAddr::parse("10.9.9.9"), true), std::nullopt) << "no IPv4 on the backend side";
    EXPECT_EQ(g.neighbors[0].ip.str(), "2001:db8:2::7");

    std::string err;
    EXPECT_FALSE(parse_port_spec("device=x,ip=2001:db8::1/64,ip=2001:db8:5::1/64", &err));
    EXPECT_EQ(err, "ip given twice");
    EXPECT_FALSE(parse_port_spec("device=x,ip=10.0.0.1/24,next-hop=2001:db8::1", &err));
    EXPECT_EQ(err, "next-hop 2001:db8::1 has no ip of its family on this port");
    EXPECT_FALSE(parse_port_spec("device=x,ip=2001:db8::1/64,next-hop=2001:db9::1", &err));
    EXPECT_EQ(err, "next-hop 2001:db9::1 is outside 2001:db8::/64");
    EXPECT_FALSE(parse_port_spec("device=x,ip=10.0.0.1/24,mtu=100", &err));
    EXPECT_EQ(err, "mtu: expected 576..9600, got '100'");
}

TEST(GatewaySettings, MacParsing) {
    EXPECT_TRUE(parse_mac("02:00:5e:10:00:ff"));
    EXPECT_FALSE(parse_mac("02:00:5e:10:00"));
    EXPECT_FALSE(parse_mac("02:00:5e:10:00:fg"));
    EXPECT_FALSE(parse_mac("02-00-5e-10-00-ff"));
    EXPECT_EQ(mac_str(*parse_mac("02:00:5E:10:00:FF")), "02:00:5e:10:00:ff");
}

// The shipped example configuration parses (ports, SNAT addresses, timeouts).
TEST(GatewaySettings, ShippedExampleParses) {
    const char* root = std::getenv("SVCNAT_SOURCE_ROOT");
    ASSERT_NE(root, nullptr);
    const Settings s = parse({"--config", std::string(root) + "/conf/svcnat-gateway.conf"}).settings;
    EXPECT_FALSE(s.gateway.ports.empty());
    EXPECT_FALSE(s.gateway.snat_addresses.empty());
    EXPECT_FALSE(s.manifests.empty());
}

}  // namespace
}  // namespace svcnat
