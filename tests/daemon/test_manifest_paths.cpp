#include <gtest/gtest.h>

#include <filesystem>

#include "control/daemon/manifest_paths.hpp"
#include "tests/support/temp_dir.hpp"

namespace svcnat {
namespace {

TEST(ManifestPaths, DeletedPathsAreDroppedUnknownOnesKept) {
    test::TempDir d;
    d.write("web.yaml", "x");
    ManifestPaths paths;
    auto s = paths.select({d / "web.yaml", d / "typo.yaml"});
    EXPECT_EQ(s.load, (std::vector<std::string>{d / "web.yaml", d / "typo.yaml"}));
    EXPECT_TRUE(s.removed.empty());

    std::filesystem::remove(d / "web.yaml");
    s = paths.select({d / "web.yaml", d / "typo.yaml"});
    EXPECT_EQ(s.load, std::vector<std::string>{d / "typo.yaml"});  // still reported by the loader
    EXPECT_EQ(s.removed, std::vector<std::string>{d / "web.yaml"});

    d.write("web.yaml", "x");  // back again
    s = paths.select({d / "web.yaml"});
    EXPECT_EQ(s.load, std::vector<std::string>{d / "web.yaml"});
    EXPECT_TRUE(s.removed.empty());
}

}  // namespace
}  // namespace svcnat
