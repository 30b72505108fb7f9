#include "manifest_paths.hpp"

#include <filesystem>

namespace svcnat {

ManifestPaths::Selection ManifestPaths::select(const std::vector<std::string>& configured) {
    Selection s;
    for (const auto& p : configured) {
        std::error_code ec;
        if (std::filesystem::exists(p, ec)) {
            seen_.insert(p);
            s.load.push_back(p);
        } else if (seen_.count(p)) {
            s.removed.push_back(p);
        } else {
            s.load.push_back(p);
        }
    }
    return s;
}

}  // namespace svcnat
