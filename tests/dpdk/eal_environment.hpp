// EAL for tests that need DPDK's libraries (rte_hash, mempools, rings) but
// no hardware: no huge pages, no PCI, no shared config, one lcore, a file
// prefix of this process's own. Register once per test executable:
//   const auto* env = ::testing::AddGlobalTestEnvironment(new svcnat::dpdk::test::EalEnvironment);
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace svcnat::dpdk::test {

class EalEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        prefix_ = "svcnat_gwtest_" + std::to_string(getpid());
        // --in-memory is refused together with --no-huge by DPDK 22.11
        // (it implies legacy memory); --no-shconf gives the same isolation.
        std::vector<std::string> args = {"gwtest", "--no-huge", "--no-shconf", "--no-pci", "-m", "256",
                                         "-l", "0", "--file-prefix", prefix_, "--log-level", "lib.*:error",
                                         "--no-telemetry"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        ok_ = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
    }
    void TearDown() override {
        if (!ok_) return;
        // --no-shconf still creates the runtime directory: remove ours.
        const std::string runtime_dir = rte_eal_get_runtime_dir();
        rte_eal_cleanup();
        std::error_code ec;
        if (runtime_dir.find(prefix_) != std::string::npos) std::filesystem::remove_all(runtime_dir, ec);
    }
    static bool ok() { return ok_; }

private:
    std::string prefix_;
    static inline bool ok_ = false;
};

}  // namespace svcnat::dpdk::test
