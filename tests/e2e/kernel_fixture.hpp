// Shared fixture of the kernel-mode e2e suites: one lab per test suite
// (node-a, pods pod1..pod4 at 10.244.1.11-14 and fd00:10:244:1::11-14, the
// external client), a fresh manifest directory per test, and `svcnat sync
// --once` run inside the node namespace. Each test writes the complete set
// of objects it needs, so tests do not depend on each other's rules.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lab.hpp"
#include "manifests.hpp"

namespace svcnat::e2e {

class KernelModeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite();
    static void TearDownTestSuite();
    void SetUp() override;

    static Lab& lab() { return *lab_; }

    // pod1..pod4 on node-a, labels app=web, container ports http 8080,
    // metrics 9090, dns 53/UDP, echo 7777; IPv4 only unless `dual_stack`.
    static std::vector<PodSpec> lab_pods(bool dual_stack = false);

    // Writes node.yaml, pods.yaml and services.yaml (replacing what the test
    // wrote before) and runs `svcnat sync --once`. Fails with svcnat's output.
    ::testing::AssertionResult apply(const std::string& services_yaml, const std::vector<PodSpec>& pods);
    // The same files, without syncing (for `svcnat run`, which watches them).
    void write_manifests(const std::string& services_yaml, const std::vector<PodSpec>& pods) const;
    ::testing::AssertionResult apply(const std::string& services_yaml) { return apply(services_yaml, lab_pods()); }
    // `svcnat sync --once` with the lab's settings, then `extra` flags
    // (list flags such as --service-cidr add to the lab's).
    CommandResult sync_once(const std::vector<std::string>& extra = {}) const;

    // The answers of `count` HTTP requests from `where` to `url`, tallied.
    std::map<std::string, int> http_tally(const std::string& where, const std::string& url, int count) const;
    // `url` from `where` is answered by every one of `pods` and by no other:
    // `count` requests, and `count` more (up to 8 × count) while one of
    // `pods` has not answered yet. The backend is chosen at random per
    // connection, and 20 requests miss one of 4 pods 1.3 % of the time.
    ::testing::AssertionResult served_only_by(const std::string& where, const std::string& url, int count,
                                              const std::vector<std::string>& pods) const;

    std::unique_ptr<ManifestDir> manifests_;

private:
    static inline std::unique_ptr<Lab> lab_;
    static inline std::string setup_error_;
};

// Asserting helpers used by several suites.
::testing::AssertionResult answered_only_by(const std::map<std::string, int>& counts,
                                            const std::vector<std::string>& pods);

}  // namespace svcnat::e2e
