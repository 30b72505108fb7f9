// One problem found in the input, printed as `file:line: field.path: message`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace svcnat {

enum class Severity : uint8_t { Error, Warning, Notice };

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string file;
    uint32_t line = 0;
    std::string field;    // e.g. "spec.ports[0].nodePort"; may be empty
    std::string message;  // e.g. "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"

    // "file:line: field: message" ("warning: " before the field for warnings).
    std::string str() const;
};

bool has_errors(const std::vector<Diagnostic>& diags);

}  // namespace svcnat
