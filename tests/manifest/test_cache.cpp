// ManifestCache: the daemon's reloads decode only files that changed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;

namespace fs = std::filesystem;

TEST(ManifestCache, ChangingOneFileReparsesOnlyIt) {
    ScratchDir dir("svcnat-cache");
    dir.replace("a.yaml", service_yaml("a", 80));
    dir.replace("b.yaml", service_yaml("b", 81));
    dir.replace("c.yaml", service_yaml("c", 82));
    ManifestCache cache;
    auto r = load_paths({dir.str()}, Settings{}, &cache);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:81", "c:82"));
    EXPECT_EQ(r.files_decoded, 3u);

    r = load_paths({dir.str()}, Settings{}, &cache);  // nothing changed: nothing read
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:81", "c:82"));
    EXPECT_EQ(r.files_decoded, 0u);

    dir.replace("b.yaml", service_yaml("b", 91));  // same size, new inode
    r = load_paths({dir.str()}, Settings{}, &cache);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:91", "c:82"));
    EXPECT_EQ(r.files_decoded, 1u);
    EXPECT_THAT(r.files, ElementsAre(dir.str() + "/a.yaml", dir.str() + "/b.yaml", dir.str() + "/c.yaml"));
    EXPECT_EQ(r.manifests.services[1].meta.loc.file, dir.str() + "/b.yaml");

    {  // rewritten in place, longer
        std::ofstream(dir.str() + "/c.yaml") << "# comment\n" + service_yaml("c", 8080);
    }
    r = load_paths({dir.str()}, Settings{}, &cache);
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:91", "c:8080"));
    EXPECT_EQ(r.manifests.services[2].meta.loc.line, 3u);
    EXPECT_EQ(r.files_decoded, 1u);
}

TEST(ManifestCache, RemovedFileDropsItsObjects) {
    ScratchDir dir("svcnat-cache");
    dir.replace("a.yaml", service_yaml("a", 80));
    auto b = dir.replace("b.yaml", service_yaml("b", 81));
    ManifestCache cache;
    auto r = load_paths({dir.str()}, Settings{}, &cache);
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:81"));
    fs::remove(b);
    r = load_paths({dir.str()}, Settings{}, &cache);
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80"));
    EXPECT_EQ(r.files_decoded, 0u);
    EXPECT_EQ(r.files.size(), 1u);
}

TEST(ManifestCache, InvalidFileKeepsExactErrorsAndCrossFileChecks) {
    ScratchDir dir("svcnat-cache");
    auto a = dir.replace("a.yaml", service_yaml("a", 80));
    auto b = dir.replace("b.yaml", service_yaml("b", 81));
    ManifestCache cache;
    auto r = load_paths({dir.str()}, Settings{}, &cache);
    ASSERT_TRUE(r.ok());

    dir.replace("b.yaml", service_yaml("b", 99999));
    r = load_paths({dir.str()}, Settings{}, &cache);
    const auto uncached = load_paths({dir.str()}, Settings{});
    EXPECT_THAT(messages(r), ElementsAre(b + ":7: spec.ports[0].port: Invalid value: 99999: must be between 1 and "
                                             "65535, inclusive"));
    EXPECT_EQ(messages(r), messages(uncached));
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80"));

    // Errors come back from the cache as they were, and objects from cached
    // files still take part in the cross-file checks.
    dir.replace("c.yaml", "# header\n" + service_yaml("a", 82));
    r = load_paths({dir.str()}, Settings{}, &cache);
    EXPECT_EQ(r.files_decoded, 1u) << "only c.yaml";
    EXPECT_THAT(messages(r),
                ElementsAre(b + ":7: spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive",
                            dir.str() + "/c.yaml:3: metadata.name: Duplicate value: \"a\": already defined in "
                                        "namespace default at " + a + ":2"));
    EXPECT_EQ(messages(r), messages(load_paths({dir.str()}, Settings{})));

    dir.replace("b.yaml", service_yaml("b", 81));  // fixed
    r = load_paths({dir.str()}, Settings{}, &cache);
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "b:81"));
}

TEST(ManifestCache, UnreadableFileIsRetriedAndSettingsChangeReparses) {
    ScratchDir dir("svcnat-cache");
    auto a = dir.replace("a.yaml", service_yaml("a", 80));
    const std::string later = dir.str() + "/later.yaml";
    ManifestCache cache;
    auto r = load_paths({a, later}, Settings{}, &cache);
    EXPECT_THAT(messages(r), ElementsAre(later + ": cannot read: No such file or directory"));
    dir.replace("later.yaml", service_yaml("later", 81));
    r = load_paths({a, later}, Settings{}, &cache);
    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names_with_ports(r), ElementsAre("a:80", "later:81"));
    EXPECT_EQ(r.files_decoded, 1u) << "the unreadable file was not cached";

    Settings other;  // decoding depends on the node port range: all again
    other.node_port_range = {31000, 31999};
    EXPECT_EQ(load_paths({a, later}, other, &cache).files_decoded, 2u);
}

}  // namespace
}  // namespace svcnat::testing
