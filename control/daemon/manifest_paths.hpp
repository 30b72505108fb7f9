// Which manifest paths to hand to the loader. A path named in the settings
// that existed earlier in this daemon's life and is gone now was deleted: its
// objects are removed (the loader would otherwise reject the whole load with
// "cannot read" and keep them programmed forever). A path never seen stays
// in the list, so a typo is reported as an error rather than ignored.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace svcnat {

class ManifestPaths {
public:
    struct Selection {
        std::vector<std::string> load;     // paths for the loader
        std::vector<std::string> removed;  // deleted since seen: dropped
    };
    Selection select(const std::vector<std::string>& configured);

private:
    std::set<std::string> seen_;
};

}  // namespace svcnat
