// One big manifest file (a cluster export, a generated list) decoded on
// several cores: cut into pieces at document markers, each piece decoded
// on its own, the results joined in file order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "decode_file.hpp"

namespace svcnat::manifest {

// Where to cut `text` into about `pieces` pieces: before document markers
// (`---` at the start of a line, then a blank or the end), which end any
// scalar or collection in YAML, so that each piece decodes exactly as it
// does in place. Not with directives (`%YAML`, `%TAG`), which belong to the
// document after them, nor below kSplitBytes. Returns the starts of the
// pieces after the first.
std::vector<size_t> split_points(std::string_view text, size_t pieces);

// Decodes `text` in the pieces split_points() finds, in parallel, joined in
// file order. False when it did not split or a piece is not valid YAML:
// the caller decodes the whole text instead, so that the error reads as it
// would (libyaml stops at the first one).
bool decode_in_pieces(std::string_view text, const std::string& path, const Settings& settings, size_t pieces,
                      ParsedFile& out);

}  // namespace svcnat::manifest
