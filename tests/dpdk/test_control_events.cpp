// ControlEvents: manifest changes through the shared FileWatcher (through
// their directory, so rename-replace is seen), debounce, and SIGHUP/SIGTERM
// through a signalfd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dpdk/gateway/control_events.hpp"

namespace svcnat::dpdk {
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

struct ControlEventsTest : ::testing::Test {
    void SetUp() override { block_signals(control_signals()); }
};

// Polls for up to 3 s.
bool becomes_due(ControlEvents& e) {
    for (int i = 0; i < 300; ++i) {
        if (e.poll(20ms).reload) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

TEST_F(ControlEventsTest, DirectoryChangeTriggersOneReload) {
    TempDir d;
    ControlEvents e({d.path.string()}, true);
    EXPECT_EQ(e.watch_error(), "");
    EXPECT_FALSE(e.poll(20ms).reload);
    for (int i = 0; i < 5; ++i) std::ofstream(d.path / ("svc" + std::to_string(i) + ".yaml")) << "x";
    EXPECT_TRUE(becomes_due(e));
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(e.poll(20ms).reload) << "a burst of writes is one reload";
}

TEST_F(ControlEventsTest, FileWatchSeesRenameReplaceButIgnoresOtherFiles) {
    TempDir d;
    const fs::path file = d.path / "web.yaml";
    std::ofstream(file) << "a";
    ControlEvents e({file.string()}, true);
    std::ofstream(d.path / "unrelated.yaml") << "b";
    std::ofstream(d.path / ".web.yaml.swp") << "c";
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(e.poll(20ms).reload);
    std::ofstream(d.path / "web.yaml.new") << "new";
    fs::rename(d.path / "web.yaml.new", file);
    EXPECT_TRUE(becomes_due(e));
}

TEST_F(ControlEventsTest, ConfigMapDataSwapTriggersReload) {
    TempDir d;
    fs::create_directory(d.path / "..2026_01");
    std::ofstream(d.path / "..2026_01" / "svc.yaml") << "a";
    fs::create_directory_symlink("..2026_01", d.path / "..data");
    fs::create_symlink("..data/svc.yaml", d.path / "svc.yaml");
    ControlEvents e({d.path.string()}, true);
    EXPECT_FALSE(e.poll(20ms).reload);
    // kubelet's atomic writer: a new timestamped directory, "..data" swapped by rename.
    fs::create_directory(d.path / "..2026_02");
    std::ofstream(d.path / "..2026_02" / "svc.yaml") << "b";
    fs::create_directory_symlink("..2026_02", d.path / "..data_tmp");
    fs::rename(d.path / "..data_tmp", d.path / "..data");
    EXPECT_TRUE(becomes_due(e));
}

TEST_F(ControlEventsTest, SighupReloadsAndSigtermStopsWithoutInotify) {
    TempDir d;
    ControlEvents e({d.path.string()}, false);
    EXPECT_FALSE(e.poll().reload);
    kill(getpid(), SIGHUP);
    auto due = e.poll();
    EXPECT_TRUE(due.reload);
    EXPECT_FALSE(due.stop);
    EXPECT_FALSE(e.poll().reload);
    kill(getpid(), SIGTERM);
    EXPECT_TRUE(e.poll().stop);
}

}  // namespace
}  // namespace svcnat::dpdk
