#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "control/daemon/instance_lock.hpp"
#include "tests/support/temp_dir.hpp"

namespace svcnat {
namespace {

TEST(InstanceLock, SecondInstanceOnTheSameTableIsRefusedWithThePid) {
    test::TempDir d;
    InstanceLock first(d / "run", "svcnat");
    std::string content;
    std::getline(std::ifstream(first.path()), content);
    EXPECT_EQ(content, std::to_string(getpid()));
    try {
        InstanceLock second(d / "run", "svcnat");
        FAIL() << "second lock acquired";
    } catch (const LockError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("pid " + std::to_string(getpid())), std::string::npos) << msg;
        EXPECT_NE(msg.find("'svcnat'"), std::string::npos) << msg;
    }
    // Another table is independent.
    EXPECT_NO_THROW(InstanceLock other(d / "run", "svcnat2"));
}

TEST(InstanceLock, ReleasedOnDestruction) {
    test::TempDir d;
    { InstanceLock first(d.path.string(), "t"); }
    EXPECT_NO_THROW(InstanceLock again(d.path.string(), "t"));
}

TEST(InstanceLock, RejectsTableNamesThatAreNotFileNames) {
    test::TempDir d;
    EXPECT_THROW(InstanceLock bad(d.path.string(), "../x"), LockError);
}

}  // namespace
}  // namespace svcnat
