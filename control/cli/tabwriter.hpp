// Column alignment as Go's text/tabwriter does it (kubectl's `get` and
// `describe` output go through it), so that svcnat's tables line up exactly
// like kubectl's: cells are tab-terminated; a column's width is set per block
// of consecutive lines that have that column; the last cell of a line is
// never padded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace svcnat::cli {

// `text`: lines ending in '\n', cells separated by '\t'. Padding with spaces.
std::string tabwrite(std::string_view text, size_t minwidth, size_t padding);

// kubectl get: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0).
inline std::string kubectl_table(std::string_view text) { return tabwrite(text, 6, 3); }
// kubectl describe: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0).
inline std::string kubectl_describe(std::string_view text) { return tabwrite(text, 0, 2); }

}  // namespace svcnat::cli
