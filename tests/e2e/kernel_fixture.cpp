#include "kernel_fixture.hpp"

#include <filesystem>
#include <set>

namespace svcnat::e2e {

void KernelModeTest::SetUpTestSuite() {
    if (!running_as_root()) return;
    setup_error_.clear();
    if (svcnat_binary().empty() || !std::filesystem::exists(svcnat_binary())) {
        setup_error_ = "svcnat executable not found (SVCNAT_BIN='" + svcnat_binary() + "')";
        return;
    }
    lab_ = std::make_unique<Lab>("e2e-k");
    try {
        lab_->up({.pods = 4, .ipv6 = true});
    } catch (const std::exception& e) {
        setup_error_ = e.what();
    }
}

void KernelModeTest::TearDownTestSuite() { lab_.reset(); }

void KernelModeTest::SetUp() {
    if (!running_as_root()) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    manifests_ = std::make_unique<ManifestDir>();
}

std::vector<PodSpec> KernelModeTest::lab_pods(bool dual_stack) {
    std::vector<PodSpec> pods;
    for (int i = 1; i <= 4; ++i) {
        PodSpec p;
        p.name = "pod" + std::to_string(i);
        p.ips = {"10.244.1." + std::to_string(10 + i)};
        if (dual_stack) p.ips.push_back("fd00:10:244:1::" + std::to_string(10 + i));
        pods.push_back(p);
    }
    return pods;
}

CommandResult KernelModeTest::sync_once(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv{svcnat_binary(), "sync", "--once", "--node-name", "node-a", "--cluster-cidr",
                                  "10.244.0.0/16,fd00:10:244::/48", "--service-cidr", "10.96.0.0/12,fd00:10:96::/112"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(manifests_->path());
    return lab_->exec("node", argv, 60);
}

void KernelModeTest::write_manifests(const std::string& services_yaml, const std::vector<PodSpec>& pods) const {
    std::vector<std::string> pod_docs;
    for (const auto& p : pods) pod_docs.push_back(pod_yaml(p));
    manifests_->write("node.yaml", node_yaml());
    manifests_->write("pods.yaml", documents(pod_docs));
    manifests_->write("services.yaml", services_yaml);
}

::testing::AssertionResult KernelModeTest::apply(const std::string& services_yaml, const std::vector<PodSpec>& pods) {
    write_manifests(services_yaml, pods);
    auto r = sync_once();
    if (!r.ok()) return ::testing::AssertionFailure() << "svcnat sync --once failed: " << r.describe();
    return ::testing::AssertionSuccess();
}

std::map<std::string, int> KernelModeTest::http_tally(const std::string& where, const std::string& url,
                                                      int count) const {
    return tally(lab_->http(where, url, count));
}

::testing::AssertionResult KernelModeTest::served_only_by(const std::string& where, const std::string& url, int count,
                                                          const std::vector<std::string>& pods) const {
    std::map<std::string, int> counts = http_tally(where, url, count);
    const auto all_answered = [&] {
        for (const auto& p : pods)
            if (!counts.count("You've hit " + p)) return false;
        return true;
    };
    for (int round = 1; round < 8 && !all_answered(); ++round)
        for (const auto& [answer, n] : http_tally(where, url, count)) counts[answer] += n;
    return answered_only_by(counts, pods);
}

::testing::AssertionResult answered_only_by(const std::map<std::string, int>& counts,
                                            const std::vector<std::string>& pods) {
    std::set<std::string> expected;
    for (const auto& p : pods) expected.insert("You've hit " + p);
    for (const auto& e : expected)
        if (!counts.count(e)) return ::testing::AssertionFailure() << "no answer from \"" << e << "\": " << show(counts);
    for (const auto& [answer, n] : counts)
        if (!expected.count(answer))
            return ::testing::AssertionFailure() << "unexpected \"" << answer << "\" x" << n << ": " << show(counts);
    return ::testing::AssertionSuccess();
}

}  // namespace svcnat::e2e
