// Kernel mode never touches what it does not own: a table of the --table
// name that svcnat did not make is neither replaced nor deleted (unless
// --force-table), while svcnat's own tables, also those from before the
// ownership mark, are adopted and marked.
#include <gtest/gtest.h>

#include "kernel_fixture.hpp"

namespace svcnat::e2e {
namespace {

class Ownership : public KernelModeTest {
protected:
    CommandResult nft(const std::vector<std::string>& args, const std::string& input = "") const {
        std::vector<std::string> argv{"nft"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(lab().exec_argv("node", argv), 20, input);
    }
    CommandResult svcnat(const std::vector<std::string>& args) const {
        std::vector<std::string> argv{svcnat_binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        return lab().exec("node", argv, 60);
    }
    void TearDown() override {
        nft({"delete", "table", "ip", "filter"});
        nft({"delete", "table", "ip6", "filter"});
    }
};

const char* kWeb = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.80
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
)";

TEST_F(Ownership, AForeignTableIsNeitherReplacedNorDeleted) {
    ASSERT_TRUE(nft({"-f", "-"}, "table ip filter {\n chain input {\n  type filter hook input priority 0;\n"
                                 "  tcp dport 22 accept comment \"user ssh rule\"\n }\n}\n")
                    .ok());
    write_manifests(kWeb, lab_pods());
    const std::vector<std::string> sync{"sync", "--once", "--node-name", "node-a", "--table", "filter",
                                        manifests_->path()};
    auto r = svcnat(sync);
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_NE(r.err.find("table ip filter: exists and was not made by svcnat"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--force-table"), std::string::npos) << r.err;
    EXPECT_NE(nft({"list", "table", "ip", "filter"}).out.find("user ssh rule"), std::string::npos);
    EXPECT_FALSE(nft({"list", "table", "ip6", "filter"}).ok()) << "an ip6 filter table appeared";

    auto cleanup = svcnat({"cleanup", "--table", "filter"});
    EXPECT_EQ(cleanup.status, 1) << cleanup.describe();
    EXPECT_NE(cleanup.err.find("will not replace or delete it"), std::string::npos) << cleanup.err;
    EXPECT_NE(nft({"list", "table", "ip", "filter"}).out.find("user ssh rule"), std::string::npos);

    // Taken over on request: then it is svcnat's, marked, and cleanup removes it.
    auto sync_forced = sync;
    sync_forced.push_back("--force-table");
    auto forced = svcnat(sync_forced);
    EXPECT_EQ(forced.status, 0) << forced.describe();
    const auto listed = nft({"list", "table", "ip", "filter"}).out;
    EXPECT_EQ(listed.find("user ssh rule"), std::string::npos) << listed;
    EXPECT_NE(listed.find("comment \"managed by svcnat"), std::string::npos) << listed;
    EXPECT_EQ(svcnat({"cleanup", "--table", "filter"}).status, 0);
    EXPECT_FALSE(nft({"list", "table", "ip", "filter"}).ok());
}

TEST_F(Ownership, SvcnatTablesFromBeforeTheMarkAreAdoptedAndMarked) {
    write_manifests(kWeb, lab_pods());
    // What an earlier release programmed: the same layout without the comment.
    auto rendered = svcnat({"render", "--node-name", "node-a", "--cluster-cidr", "10.244.0.0/16", "--table",
                            "oldsvcnat", "-f", manifests_->path()});
    ASSERT_TRUE(rendered.ok()) << rendered.describe();
    std::string old;
    for (const auto& line : rendered.lines())
        if (line.find("comment \"managed by svcnat") == std::string::npos) old += line + "\n";
    ASSERT_TRUE(nft({"-f", "-"}, old).ok());
    ASSERT_EQ(nft({"list", "table", "ip", "oldsvcnat"}).out.find("managed by svcnat"), std::string::npos);

    auto r = svcnat({"sync", "--once", "--node-name", "node-a", "--table", "oldsvcnat", manifests_->path()});
    EXPECT_EQ(r.status, 0) << r.describe();
    EXPECT_NE(nft({"list", "table", "ip", "oldsvcnat"}).out.find("comment \"managed by svcnat"), std::string::npos);
    EXPECT_EQ(svcnat({"cleanup", "--table", "oldsvcnat"}).status, 0);
    EXPECT_FALSE(nft({"list", "table", "ip", "oldsvcnat"}).ok());
}

}  // namespace
}  // namespace svcnat::e2e
