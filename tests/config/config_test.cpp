#include "control/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "control/config/values.hpp"
#include "parse_helpers.hpp"

namespace svcnat {
namespace {

using test::error_of;
using test::parse;

// A temporary INI file, removed at the end of the test.
class IniFile {
public:
    explicit IniFile(const std::string& text) {
        char tmpl[] = "/tmp/svcnat-config-test-XXXXXX";
        int fd = mkstemp(tmpl);
        EXPECT_GE(fd, 0);
        close(fd);
        path_ = tmpl;
        std::ofstream(path_) << text;
    }
    ~IniFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(Settings, DefaultsLikeKubeProxy) {
    auto p = parse({});
    const Settings& s = p.settings;
    EXPECT_FALSE(s.node_name.empty());  // host name
    EXPECT_TRUE(s.node_ips.empty());
    ASSERT_EQ(s.service_cidrs.size(), 1u);
    EXPECT_EQ(s.service_cidrs[0].str(), "10.96.0.0/12");
    EXPECT_EQ(s.node_port_range.str(), "30000-32767");
    EXPECT_FALSE(s.nodeport_addresses.all_local);
    EXPECT_TRUE(s.nodeport_addresses.cidrs.empty());
    EXPECT_EQ(s.masquerade_bit, 14);
    EXPECT_DOUBLE_EQ(s.sync_period_s, 30);
    EXPECT_DOUBLE_EQ(s.min_sync_period_s, 1);
    EXPECT_EQ(s.healthz_bind_address, "0.0.0.0:10256");
    EXPECT_EQ(s.metrics_bind_address, "127.0.0.1:10249");
    EXPECT_EQ(s.table, "svcnat");
    EXPECT_FALSE(p.help);
}

TEST(Settings, EveryOptionFromTheCommandLine) {
    auto p = parse({"--node-name=Node-A", "--node-ip", "203.0.113.1", "--node-ip=2001:db8::1",
                    "--cluster-cidr=10.244.0.0/16,fd00:10:244::/56", "--service-cidr", "10.100.0.0/16,fd00:10:96::/112",
                    "--node-port-range=30100-30200", "--nodeport-addresses=203.0.113.0/24, 198.51.100.0/24",
                    "--masquerade-all", "--masquerade-bit=3", "--sync-period=1m30s", "--min-sync-period=500ms",
                    "--healthz-bind-address=[::1]:10256", "--metrics-bind-address=", "--table=svcnat_test",
                    "--cleanup-on-exit=yes", "--lock-dir=/tmp/svcnat-lock", "-v", "4", "a.yaml", "dir/"});
    const Settings& s = p.settings;
    EXPECT_EQ(s.node_name, "node-a");  // lowercased, like kube-proxy
    ASSERT_EQ(s.node_ips.size(), 2u);
    EXPECT_EQ(s.node_ips[1].str(), "2001:db8::1");
    ASSERT_EQ(s.cluster_cidrs.size(), 2u);
    EXPECT_EQ(s.cluster_cidrs[1].str(), "fd00:10:244::/56");
    ASSERT_EQ(s.service_cidrs.size(), 2u);
    EXPECT_EQ(s.service_cidrs[0].str(), "10.100.0.0/16");
    EXPECT_EQ(s.node_port_range.first, 30100);
    EXPECT_EQ(s.node_port_range.last, 30200);
    ASSERT_EQ(s.nodeport_addresses.cidrs.size(), 2u);
    EXPECT_EQ(s.nodeport_addresses.cidrs[1].str(), "198.51.100.0/24");
    EXPECT_TRUE(s.masquerade_all);
    EXPECT_EQ(s.masquerade_bit, 3);
    EXPECT_DOUBLE_EQ(s.sync_period_s, 90);
    EXPECT_DOUBLE_EQ(s.min_sync_period_s, 0.5);
    EXPECT_EQ(s.healthz_bind_address, "[::1]:10256");
    EXPECT_EQ(s.metrics_bind_address, "");
    EXPECT_EQ(s.table, "svcnat_test");
    EXPECT_TRUE(s.cleanup_on_exit);
    EXPECT_EQ(s.verbosity, 4);
    EXPECT_EQ(s.manifests, (std::vector<std::string>{"a.yaml", "dir/"}));
    EXPECT_EQ(p.positionals, s.manifests);
}

TEST(Settings, NodePortAddressKeywords) {
    EXPECT_TRUE(parse({"--nodeport-addresses=all"}).settings.nodeport_addresses.all_local);
    auto primary = parse({"--nodeport-addresses=primary"}).settings.nodeport_addresses;
    EXPECT_FALSE(primary.all_local);
    EXPECT_TRUE(primary.cidrs.empty());
    EXPECT_EQ(error_of({"--nodeport-addresses=all,10.0.0.0/8"}),
              "--nodeport-addresses: invalid value \"all\": \"all\" cannot be combined with CIDRs");
}

TEST(Settings, Durations) {
    namespace cv = config_values;
    EXPECT_DOUBLE_EQ(*cv::parse_duration("30s"), 30);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("1m"), 60);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("500ms"), 0.5);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("1h2m3s"), 3723);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("1.5s"), 1.5);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("250us"), 0.00025);
    EXPECT_DOUBLE_EQ(*cv::parse_duration("0"), 0);
    EXPECT_FALSE(cv::parse_duration("30"));
    EXPECT_FALSE(cv::parse_duration("s"));
    EXPECT_FALSE(cv::parse_duration("1x"));
    EXPECT_FALSE(cv::parse_duration(""));
    EXPECT_FALSE(cv::parse_duration("1..2s"));
}

TEST(Settings, BadValuesNameTheOptionAndTheValue) {
    EXPECT_EQ(error_of({"--node-port-range=30000"}),
              "--node-port-range: invalid value \"30000\": expected FIRST-LAST");
    EXPECT_EQ(error_of({"--node-port-range=32767-30000"}),
              "--node-port-range: invalid value \"32767-30000\": expected 1 <= FIRST <= LAST <= 65535");
    EXPECT_EQ(error_of({"--node-port-range=30000-70000"}),
              "--node-port-range: invalid value \"30000-70000\": expected 1 <= FIRST <= LAST <= 65535");
    EXPECT_EQ(error_of({"--masquerade-bit=32"}), "--masquerade-bit: invalid value \"32\": expected an integer in 0..31");
    EXPECT_EQ(error_of({"--masquerade-bit=-1"}), "--masquerade-bit: invalid value \"-1\": expected an integer in 0..31");
    EXPECT_EQ(error_of({"--sync-period=30"}),
              "--sync-period: invalid value \"30\": expected a duration such as 30s, 1m or 500ms");
    EXPECT_EQ(error_of({"--sync-period=0s"}), "--sync-period: invalid value \"0s\": must be greater than 0");
    EXPECT_EQ(error_of({"--sync-period=1s", "--min-sync-period=2s"}),
              "--min-sync-period: must not exceed sync-period (2.000000s > 1.000000s)");
    EXPECT_EQ(error_of({"--node-ip=203.0.113.300"}), "--node-ip: invalid value \"203.0.113.300\": expected an IP address");
    EXPECT_EQ(error_of({"--cluster-cidr=10.244.0.0"}),
              "--cluster-cidr: invalid value \"10.244.0.0\": expected a CIDR such as 10.96.0.0/12 or fd00:10:96::/108");
    EXPECT_EQ(error_of({"--service-cidr=10.96.0.0/12,10.96.0.0/12"}),
              "--service-cidr: invalid value \"10.96.0.0/12\": given twice");
    EXPECT_EQ(error_of({"--service-cidr=fd00::/64"}),
              "--service-cidr: invalid value \"fd00::/64\": an IPv6 service range must be /108 or longer");
    EXPECT_EQ(error_of({"--service-cidr=10.96.0.0/31"}),
              "--service-cidr: invalid value \"10.96.0.0/31\": an IPv4 service range needs a prefix of /30 or shorter");
    EXPECT_EQ(error_of({"--masquerade-all=maybe"}), "--masquerade-all: invalid value \"maybe\": expected true or false");
    EXPECT_EQ(error_of({"--healthz-bind-address=localhost:10256"}),
              "--healthz-bind-address: invalid value \"localhost:10256\": expected IP:PORT, [IPv6]:PORT or \"\" to "
              "disable");
    EXPECT_EQ(error_of({"--metrics-bind-address=127.0.0.1"}),
              "--metrics-bind-address: invalid value \"127.0.0.1\": expected IP:PORT, [IPv6]:PORT or \"\" to disable");
    EXPECT_EQ(error_of({"--table=1abc"}).rfind("--table: invalid value \"1abc\": expected an nftables name", 0), 0u);
    EXPECT_EQ(error_of({"--table=a b"}).rfind("--table: invalid value \"a b\"", 0), 0u);
    EXPECT_EQ(error_of({"--v=high"}), "--v: invalid value \"high\": expected a log level 0..99");
    EXPECT_EQ(error_of({"--node-name="}), "--node-name: invalid value \"\": must not be empty");
}

TEST(Settings, BadCommandLines) {
    EXPECT_EQ(error_of({"--foo"}), "unknown option \"--foo\"");
    EXPECT_EQ(error_of({"--node"}), "unknown option \"--node\"");  // no prefix guessing
    EXPECT_EQ(error_of({"--table"}), "--table: missing value");
    EXPECT_EQ(error_of({"--table=a", "--table=b"}), "--table: given more than once");
    EXPECT_EQ(error_of({"--config=/nonexistent/svcnat.conf"}),
              "--config: cannot read \"/nonexistent/svcnat.conf\": No such file or directory");
}

// A cluster with ServiceCIDR objects has several service ranges per family;
// the command line and the file take lists of them.
TEST(Settings, SeveralServiceCIDRsPerFamily) {
    auto flags = parse({"--service-cidr=10.96.0.0/12,10.200.0.0/16,fd00:10:96::/112"}).settings;
    ASSERT_EQ(flags.service_cidrs.size(), 3u);
    EXPECT_EQ(flags.service_cidrs[1].str(), "10.200.0.0/16");
    IniFile ini("service-cidr = 10.96.0.0/12\nservice-cidr = 10.200.0.0/16, 10.201.0.0/16\n");
    auto file = parse({"--config", ini.path()}).settings;
    ASSERT_EQ(file.service_cidrs.size(), 3u);
    EXPECT_EQ(file.service_cidrs[2].str(), "10.201.0.0/16");
}

TEST(Settings, IniFileAndCommandLinePrecedence) {
    IniFile ini(
        "# svcnat settings\n"
        "node-name = node-a\n"
        "node-ip = 203.0.113.1\n"
        "node-ip = 2001:db8::1   # repeated keys make lists\n"
        "\n"
        "; classic comment\n"
        "cluster-cidr = 10.244.0.0/16\n"
        "node-port-range = 30000-30999\n"
        "masquerade-all = true\n"
        "metrics-bind-address = \"\"\n"
        "sync-period = 10s\n"
        "manifests = /etc/svcnat/manifests\n");
    auto p = parse({"--config", ini.path(), "--node-port-range=31000-31999", "--sync-period=20s"});
    const Settings& s = p.settings;
    EXPECT_EQ(s.config_file, ini.path());
    EXPECT_EQ(s.node_name, "node-a");
    ASSERT_EQ(s.node_ips.size(), 2u);
    EXPECT_EQ(s.cluster_cidrs.size(), 1u);
    EXPECT_EQ(s.node_port_range.str(), "31000-31999");  // command line wins
    EXPECT_DOUBLE_EQ(s.sync_period_s, 20);
    EXPECT_TRUE(s.masquerade_all);
    EXPECT_EQ(s.metrics_bind_address, "");
    EXPECT_EQ(s.manifests, std::vector<std::string>{"/etc/svcnat/manifests"});
    EXPECT_TRUE(p.positionals.empty());

    // Command-line lists replace the file's, they are not merged.
    auto q = parse({"--config", ini.path(), "--node-ip=192.0.2.1", "x.yaml"});
    ASSERT_EQ(q.settings.node_ips.size(), 1u);
    EXPECT_EQ(q.settings.node_ips[0].str(), "192.0.2.1");
    EXPECT_EQ(q.settings.manifests, std::vector<std::string>{"x.yaml"});
    auto r = parse({"--config", ini.path(), "-f", "y.yaml"});
    EXPECT_EQ(r.settings.manifests, std::vector<std::string>{"y.yaml"});
}

TEST(Settings, IniErrorsCarryLineNumbers) {
    {
        IniFile ini("node-name = a\n\n# comment\nfoo = 1\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}), ini.path() + ":4: unknown option \"foo\"");
    }
    {
        IniFile ini("table = svcnat\n\n\n\n\n\nnode-port-range = 30000\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}),
                  ini.path() + ":7: node-port-range: invalid value \"30000\": expected FIRST-LAST");
    }
    {
        // Each value of a list keeps its own line.
        IniFile ini("node-ip = 203.0.113.1\nnode-ip = 203.0.113.999, 192.0.2.1\nnode-ip = 192.0.2.2\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}),
                  ini.path() + ":2: node-ip: invalid value \"203.0.113.999\": expected an IP address");
    }
    {
        IniFile ini("table = a\ntable = b\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}), ini.path() + ":2: option \"table\" given more than once");
    }
    {
        IniFile ini("[proxy]\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}),
                  ini.path() + ":1: sections are not supported: write KEY = VALUE at the top level");
    }
    {
        IniFile ini("masquerade-all\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}), ini.path() + ":1: expected KEY = VALUE, got \"masquerade-all\"");
    }
    {
        IniFile ini("config = other.conf\n");
        EXPECT_EQ(error_of({"--config=" + ini.path()}),
                  ini.path() + ":1: option \"config\" is only valid on the command line");
    }
}

TEST(Settings, ShippedConfigFileParsesToTheDefaults) {
    const char* root = std::getenv("SVCNAT_SOURCE_ROOT");
    ASSERT_NE(root, nullptr) << "meson test sets SVCNAT_SOURCE_ROOT";
    auto p = parse({"--config", std::string(root) + "/conf/svcnat.conf", "--node-name=node-a"});
    const Settings d;  // the compiled-in defaults
    const Settings& s = p.settings;
    EXPECT_EQ(s.manifests, std::vector<std::string>{"/etc/svcnat/manifests"});
    EXPECT_EQ(s.service_cidrs, d.service_cidrs);
    EXPECT_EQ(s.node_port_range.str(), d.node_port_range.str());
    EXPECT_EQ(s.nodeport_addresses.all_local, d.nodeport_addresses.all_local);
    EXPECT_EQ(s.nodeport_addresses.cidrs, d.nodeport_addresses.cidrs);
    EXPECT_EQ(s.masquerade_all, d.masquerade_all);
    EXPECT_EQ(s.masquerade_bit, d.masquerade_bit);
    EXPECT_DOUBLE_EQ(s.sync_period_s, d.sync_period_s);
    EXPECT_DOUBLE_EQ(s.min_sync_period_s, d.min_sync_period_s);
    EXPECT_EQ(s.healthz_bind_address, d.healthz_bind_address);
    EXPECT_EQ(s.metrics_bind_address, d.metrics_bind_address);
    EXPECT_EQ(s.table, d.table);
    EXPECT_EQ(s.cleanup_on_exit, d.cleanup_on_exit);
    EXPECT_EQ(s.verbosity, d.verbosity);
}

TEST(Settings, HelpListsEveryOptionAndExtras) {
    po::options_description extra("get options");
    extra.add_options()("output,o", po::value<std::string>(), "output format");
    auto p = parse({"--help"}, extra);
    EXPECT_TRUE(p.help);
    for (const char* opt : {"--config", "--node-name", "--node-ip", "--cluster-cidr", "--service-cidr",
                            "--node-port-range", "--nodeport-addresses", "--masquerade-all", "--masquerade-bit",
                            "--sync-period", "--min-sync-period", "--healthz-bind-address", "--metrics-bind-address",
                            "--table", "--cleanup-on-exit", "--lock-dir", "--v", "--output", "usage: svcnat check"})
        EXPECT_NE(p.help_text.find(opt), std::string::npos) << opt;
}

TEST(Settings, ExtraOptionsAndNonManifestPositionals) {
    po::options_description extra("get options");
    extra.add_options()("all-namespaces,A", po::bool_switch(), "all")("namespace,n", po::value<std::string>(), "ns");
    auto p = parse({"svc", "-A", "-n", "kube-system", "kubia", "-f", "conf/examples"}, extra,
                   CommandLineOptions::object_positionals());
    EXPECT_EQ(p.positionals, (std::vector<std::string>{"svc", "kubia"}));
    EXPECT_EQ(p.settings.manifests, std::vector<std::string>{"conf/examples"});
    EXPECT_TRUE(p.extra["all-namespaces"].as<bool>());
    EXPECT_EQ(p.extra["namespace"].as<std::string>(), "kube-system");
}

// As with kube-proxy's Go flags, a bare boolean does not take the next word:
// `--masquerade-all DIR` is masquerade-all plus a manifest directory.
// Numbers of more than two digits where the range allows them (--dns-ttl
// refused 300 when the check took at most two digits).
TEST(Settings, SmallNumbersUpToTheirLimit) {
    EXPECT_EQ(parse({"--dns-ttl", "300"}).settings.dns.ttl, 300u);
    EXPECT_EQ(parse({"--dns-ttl", "3600"}).settings.dns.ttl, 3600u);
    EXPECT_EQ(error_of({"--dns-ttl", "3601"}), "--dns-ttl: invalid value \"3601\": expected seconds, 0..3600");
    EXPECT_EQ(error_of({"--dns-ttl", "-1"}), "--dns-ttl: invalid value \"-1\": expected seconds, 0..3600");
    EXPECT_EQ(parse({"--dns-workers", "64"}).settings.dns.workers, 64);
}

TEST(Settings, BareBooleanLeavesTheNextWordAlone) {
    auto cmd = parse({"--masquerade-all", "manifests/", "--cleanup-on-exit", "more.yaml"});
    EXPECT_TRUE(cmd.settings.masquerade_all);
    EXPECT_TRUE(cmd.settings.cleanup_on_exit);
    EXPECT_EQ(cmd.settings.manifests, (std::vector<std::string>{"manifests/", "more.yaml"}));
    EXPECT_FALSE(parse({"--masquerade-all=false", "manifests/"}).settings.masquerade_all);
}

}  // namespace
}  // namespace svcnat
