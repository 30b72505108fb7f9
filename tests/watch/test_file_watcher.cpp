// inotify: which edits count, editors that replace files, new files, deletes.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/watch/file_watcher.hpp"
#include "tests/support/temp_dir.hpp"

namespace svcnat {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// Waits (bounded) for events, then drains them.
WatchChanges wait_changes(FileWatcher& w, int timeout_ms = 1000) {
    pollfd p{w.fd(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return {};
    usleep(20000);  // let a burst of events arrive together
    return w.drain();
}

TEST(FileWatcher, ManifestNames) {
    EXPECT_TRUE(is_watched_name("web.yaml"));
    EXPECT_TRUE(is_watched_name("web.yml"));
    EXPECT_TRUE(is_watched_name("web.json"));
    EXPECT_TRUE(is_watched_name("..data"));
    EXPECT_FALSE(is_watched_name(".web.yaml.swp"));
    EXPECT_FALSE(is_watched_name("web.yaml~"));
    EXPECT_FALSE(is_watched_name("4913"));  // vim's write test file
}

TEST(FileWatcher, EventClassification) {
    WatchTarget dir{"/m", "", WatchKind::Manifests};
    WatchTarget file{"/etc/svcnat", "svcnat.conf", WatchKind::Config};
    EXPECT_TRUE(event_matters(dir, IN_CLOSE_WRITE, "a.yaml", false));
    EXPECT_TRUE(event_matters(dir, IN_MOVED_TO, "a.yaml", false));
    EXPECT_TRUE(event_matters(dir, IN_DELETE, "a.yaml", false));
    EXPECT_FALSE(event_matters(dir, IN_CREATE, "a.yaml", false));  // wait for the close
    EXPECT_TRUE(event_matters(dir, IN_CREATE, "a.yaml", true));    // symlink: complete at once
    EXPECT_FALSE(event_matters(dir, IN_CLOSE_WRITE, ".a.yaml.swp", false));
    EXPECT_TRUE(event_matters(file, IN_MOVED_TO, "svcnat.conf", false));
    EXPECT_FALSE(event_matters(file, IN_MOVED_TO, "other.conf", false));
}

TEST(FileWatcher, TargetsWatchFilesThroughTheirParent) {
    TempDir d;
    fs::create_directory(d / "manifests");
    d.write("svcnat.conf", "");
    auto t = watch_targets({d / "manifests", d / "single.yaml"}, d / "svcnat.conf");
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t[0], (WatchTarget{d / "manifests", "", WatchKind::Manifests}));
    EXPECT_EQ(t[1], (WatchTarget{d.path.string(), "manifests", WatchKind::Manifests}));
    EXPECT_EQ(t[2], (WatchTarget{d.path.string(), "single.yaml", WatchKind::Manifests}));
    EXPECT_EQ(t[3], (WatchTarget{d.path.string(), "svcnat.conf", WatchKind::Config}));
}

TEST(FileWatcher, SeesNewModifiedReplacedAndDeletedFiles) {
    TempDir d;
    fs::create_directory(d / "m");
    d.write("svcnat.conf", "a = 1\n");
    FileWatcher w;
    EXPECT_TRUE(w.set_targets(watch_targets({d / "m"}, d / "svcnat.conf")).empty());

    d.write("m/web.yaml", "kind: Service\n");  // new file in a watched directory
    auto ch = wait_changes(w);
    EXPECT_TRUE(ch.manifests);
    EXPECT_FALSE(ch.config);

    d.write("m/.web.yaml.swp", "x");  // editor noise
    EXPECT_FALSE(wait_changes(w, 200).any());

    // An editor writing elsewhere and renaming over the file.
    d.write("m/.tmp-web", "kind: Service\n");
    fs::rename(d / "m/.tmp-web", d / "m/web.yaml");
    EXPECT_TRUE(wait_changes(w).manifests);

    // Config file replaced the same way.
    d.write("svcnat.conf.new", "a = 2\n");
    fs::rename(d / "svcnat.conf.new", d / "svcnat.conf");
    ch = wait_changes(w);
    EXPECT_TRUE(ch.config);
    EXPECT_FALSE(ch.manifests);

    fs::remove(d / "m/web.yaml");
    EXPECT_TRUE(wait_changes(w).manifests);

    // File moved out of the directory.
    d.write("m/db.yaml", "kind: Service\n");
    wait_changes(w);
    fs::rename(d / "m/db.yaml", d / "db.yaml.bak");
    EXPECT_TRUE(wait_changes(w).manifests);
}

TEST(FileWatcher, DirectoryRemovedAndRecreated) {
    TempDir d;
    fs::create_directory(d / "m");
    FileWatcher w;
    w.set_targets(watch_targets({d / "m"}, ""));
    fs::remove_all(d / "m");
    auto ch = wait_changes(w);
    EXPECT_TRUE(ch.manifests);
    EXPECT_TRUE(ch.rewatch);
    w.set_targets(watch_targets({d / "m"}, ""));
    fs::create_directory(d / "m");
    ch = wait_changes(w);
    EXPECT_TRUE(ch.rewatch);
    w.set_targets(watch_targets({d / "m"}, ""));
    d.write("m/web.yaml", "kind: Service\n");
    EXPECT_TRUE(wait_changes(w).manifests);  // the new directory is watched
}

TEST(FileWatcher, MissingDirectoriesAreReported) {
    FileWatcher w;
    auto missing = w.set_targets({{"/nonexistent-svcnat-dir", "", WatchKind::Manifests}});
    ASSERT_EQ(missing.size(), 1u);
}

}  // namespace
}  // namespace svcnat
