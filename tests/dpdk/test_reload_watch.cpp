// ReloadWatch: inotify on manifest directories and files (through their
// directory, so rename-replace is seen), debounce, and SIGHUP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dpdk/gateway/reload_watch.hpp"

namespace svcnat::gw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/svcnat-watch-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Polls due() for up to 3 s.
bool becomes_due(ReloadWatch& w) {
    for (int i = 0; i < 300; ++i) {
        if (w.due(20ms)) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

TEST(ReloadWatch, DirectoryChangeTriggersOneReload) {
    TempDir d;
    ReloadWatch w({d.path.string()}, true);
    EXPECT_FALSE(w.due(20ms));
    for (int i = 0; i < 5; ++i) std::ofstream(d.path / ("svc" + std::to_string(i) + ".yaml")) << "x";
    EXPECT_TRUE(becomes_due(w));
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(w.due(20ms)) << "a burst of writes is one reload";
}

TEST(ReloadWatch, FileWatchSeesRenameReplaceButIgnoresOtherFiles) {
    TempDir d;
    const fs::path file = d.path / "web.yaml";
    std::ofstream(file) << "a";
    ReloadWatch w({file.string()}, true);
    std::ofstream(d.path / "unrelated.yaml") << "b";
    std::ofstream(d.path / ".web.yaml.swp") << "c";
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(w.due(20ms));
    std::ofstream(d.path / "web.yaml.new") << "new";
    fs::rename(d.path / "web.yaml.new", file);
    EXPECT_TRUE(becomes_due(w));
}

TEST(ReloadWatch, SighupTriggersWithoutInotify) {
    TempDir d;
    ReloadWatch::install_signal_handlers();
    ReloadWatch w({d.path.string()}, false);
    EXPECT_FALSE(w.due());
    std::raise(SIGHUP);
    EXPECT_TRUE(w.due());
    EXPECT_FALSE(w.due());
    EXPECT_FALSE(ReloadWatch::stop_requested());
}

}  // namespace
}  // namespace svcnat::gw
