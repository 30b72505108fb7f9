// Shared by the manifest tests: load a YAML string and look at the messages.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "control/manifest/load.hpp"

namespace svcnat::testing {

inline Settings dual_stack_settings() {
    Settings s;
    s.service_cidrs = {*CIDR::parse("10.96.0.0/12"), *CIDR::parse("fd00:10:96::/112")};
    return s;
}

inline LoadResult load(std::string_view yaml, const Settings& settings = Settings{}) {
    return load_text(yaml, "t.yaml", settings);
}

inline std::vector<std::string> messages(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& d : r.diagnostics) out.push_back(d.str());
    return out;
}

inline std::string testdata(std::string_view rel) { return std::string(MANIFEST_TESTDATA) + "/" + std::string(rel); }

// A scratch directory named after the running test, removed at its end.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& prefix) {
        path_ = std::filesystem::temp_directory_path() /
                (prefix + "-" + std::to_string(getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    // Written in place (subdirectories created as needed).
    std::string write(const std::string& name, const std::string& text) const {
        auto p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    // Written to a temporary name and renamed over, as editors and
    // ConfigMap updates do: a new inode even when size and mtime match.
    std::string replace(const std::string& name, const std::string& text) const {
        auto p = path_ / name;
        auto tmp = path_ / (".tmp-" + name);
        std::ofstream(tmp) << text;
        std::filesystem::rename(tmp, p);
        return p.string();
    }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

// The loaded services' names, in order; with_ports: "name:port" of the first port.
inline std::vector<std::string> service_names(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.manifests.services) out.push_back(s.meta.name);
    return out;
}
inline std::vector<std::string> service_names_with_ports(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& s : r.manifests.services) out.push_back(s.meta.name + ":" + std::to_string(s.ports.at(0).port));
    return out;
}

// A minimal Service with one port.
inline std::string service_yaml(const std::string& name, int port) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n  ports:\n  - port: " +
           std::to_string(port) + "\n";
}

}  // namespace svcnat::testing
