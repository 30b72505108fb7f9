// Shared by the manifest tests: load a YAML string and look at the messages.
#pragma once

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

}  // namespace svcnat::testing
