// The test command's own machinery (scripts/test.sh): the summary CI reads
// must fail when a suite ran nothing or left no result file, and a build
// folder configured without tests (as the demo configures `build/`) must be
// turned into a test build, so that the README's two commands work in
// either order.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace svcnat {
namespace {

std::string source_root() {
    const char* root = std::getenv("SVCNAT_SOURCE_ROOT");
    return root ? root : ".";
}

struct Outcome {
    int status = -1;
    std::string output;
    std::string last_line() const {
        std::string s = output;
        while (!s.empty() && s.back() == '\n') s.pop_back();
        return s.substr(s.rfind('\n') == std::string::npos ? 0 : s.rfind('\n') + 1);
    }
};

Outcome run(const std::string& cmd) {
    Outcome r;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 4096> buf;
    while (fgets(buf.data(), buf.size(), p) != nullptr) r.output += buf.data();
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

const char* kJunit = R"(<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="svcnat:unit / config" tests="3">
    <testcase name="A" classname="Settings"/>
    <testcase name="B" classname="Settings"><skipped/></testcase>
    <testcase name="C" classname="Settings"><failure message="x"/></testcase>
  </testsuite>
  <testsuite name="svcnat:unit / dns" tests="1"><testcase name="D" classname="Dns"/></testsuite>
</testsuites>
)";

TEST(TestSummary, CountsCasesAndChecks) {
    test::TempDir dir;
    dir.write("unit.xml", kJunit);
    const Outcome r = run("python3 " + source_root() + "/scripts/test_summary.py --check 'release build=pass' --suite unit=" +
                      dir / "unit.xml");
    EXPECT_EQ(r.last_line(), "3 passed, 1 failed") << r.output;
    EXPECT_NE(r.output.find("(1 skipped"), std::string::npos);
    EXPECT_EQ(r.status, 1) << "a failed case fails the summary";
}

TEST(TestSummary, AMissingResultFileOrASuiteThatRanNothingFails) {
    test::TempDir dir;
    dir.write("unit.xml", kJunit);
    dir.write("empty.xml", "<?xml version=\"1.0\"?>\n<testsuites/>\n");
    Outcome r = run("python3 " + source_root() + "/scripts/test_summary.py --suite unit=" + dir / "empty.xml" +
                " --suite e2e=" + dir / "missing.xml");
    EXPECT_EQ(r.last_line(), "0 passed, 2 failed") << r.output;
    EXPECT_NE(r.output.find("suite unit: ran no test"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("suite e2e: no result file"), std::string::npos) << r.output;
    EXPECT_EQ(r.status, 1);
    // All present and passing: exit 0.
    dir.write("ok.xml", "<testsuites><testsuite><testcase name=\"a\"/></testsuite></testsuites>");
    r = run("python3 " + source_root() + "/scripts/test_summary.py --check fuzz=pass --suite unit=" + dir / "ok.xml");
    EXPECT_EQ(r.last_line(), "2 passed, 0 failed") << r.output;
    EXPECT_EQ(r.status, 0);
    // A skipped check (the installed-package test without a mirror) is
    // reported as skipped, neither passed nor failed.
    r = run("python3 " + source_root() + "/scripts/test_summary.py --check 'package: x=y=skip' --suite unit=" +
            dir / "ok.xml");
    EXPECT_EQ(r.last_line(), "1 passed, 0 failed") << r.output;
    EXPECT_NE(r.output.find("(1 skipped"), std::string::npos) << r.output;
    EXPECT_EQ(r.status, 0);
}

// The demo configures build/ with -Dtests=disabled; the test command must
// not then find "no tests defined" and report success.
TEST(EnsureTestBuild, ReconfiguresABuildFolderMadeWithoutTests) {
    if (std::system("command -v meson >/dev/null 2>&1") != 0) GTEST_SKIP() << "meson not installed";
    test::TempDir dir;
    const std::string build = dir / "build";
    const std::string root = source_root();
    Outcome r = run("cd " + root + " && meson setup " + build + " -Dtests=disabled -Ddpdk=disabled");
    ASSERT_EQ(r.status, 0) << r.output;
    r = run("meson introspect " + build + " --tests");
    EXPECT_EQ(r.output, "[]\n") << "the demo's folder has no tests";
    r = run(root + "/scripts/ensure-test-build " + build);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("reconfiguring for tests"), std::string::npos) << r.output;
    r = run("meson introspect " + build + " --tests | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'");
    EXPECT_GT(std::stoi(r.output), 20) << r.output;
    r = run("meson introspect " + build + " --buildoptions | python3 -c 'import json,sys; "
            "print({o[\"name\"]: o[\"value\"] for o in json.load(sys.stdin)}[\"werror\"])'");
    EXPECT_EQ(r.output, "True\n");
    // A second call leaves a test build alone.
    r = run(root + "/scripts/ensure-test-build " + build);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.output, "") << "nothing to do";
}

}  // namespace
}  // namespace svcnat
