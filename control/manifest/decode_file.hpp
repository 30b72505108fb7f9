// One manifest file's text -> its objects, by kind, with every problem as a
// diagnostic. Files are decoded independently of each other (in parallel,
// or taken from the daemon's cache); what relates objects across files
// happens when they are merged (merge.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/diagnostic.hpp"
#include "control/model/objects.hpp"
#include "cross_checks.hpp"

namespace svcnat::manifest {

// One file's contribution before the cross-object checks.
struct ParsedFile {
    bool readable = true;  // false: diagnostics holds "cannot read" only
    std::vector<manifest::StagedService> services;
    Manifests staged;
    std::vector<Diagnostic> diagnostics;
};

// Decodes `text` (YAML or JSON, any number of documents, `kind: List`)
// into `out`; `first_line` numbers the text's first line (a piece of a
// bigger file). False when the text is not valid YAML (reported in
// out.diagnostics).
bool decode_text(std::string_view text, const std::string& file, const Settings& settings, ParsedFile& out,
                 uint32_t first_line = 1);

// Appends `from`'s objects and diagnostics to `to`.
void append_parsed(ParsedFile& to, ParsedFile&& from);

}  // namespace svcnat::manifest
