// End-to-end: svcnat-gateway in its own network namespace on net_af_packet
// veths, a client namespace, two backend namespaces with real TCP/UDP
// servers. The lab itself is tests/dpdk/e2e/gateway_lab.py (namespaces,
// servers, the gateway process, telemetry queries, cleanup); this test runs it
// and turns each of its "PASS/FAIL <check>" lines into a GoogleTest result.
// Needs root (namespaces); skipped otherwise.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

TEST(GatewayE2E, AfPacketLabWithRealBackends) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    const char* lab = std::getenv("SVCNAT_GATEWAY_LAB");
    const char* gateway = std::getenv("SVCNAT_GATEWAY_BIN");
    ASSERT_NE(lab, nullptr);
    ASSERT_NE(gateway, nullptr);
    if (std::system("command -v ethtool >/dev/null && command -v python3 >/dev/null") != 0)
        GTEST_SKIP() << "needs ethtool and python3 (scripts/setup.sh)";
    const std::string cmd = std::string("python3 ") + lab + " " + gateway + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string output;
    std::array<char, 4096> buf;
    int passed = 0;
    std::string line;
    while (fgets(buf.data(), buf.size(), p) != nullptr) {
        line = buf.data();
        output += line;
        if (line.rfind("PASS ", 0) == 0) ++passed;
        if (line.rfind("FAIL ", 0) == 0) ADD_FAILURE() << line;
    }
    const int status = pclose(p);
    std::printf("%s", output.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
    EXPECT_GE(passed, 38) << "the lab ran fewer checks than it has";
}

}  // namespace
