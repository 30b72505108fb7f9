#include "diagnostic.hpp"

#include <algorithm>

namespace svcnat {

std::string Diagnostic::str() const {
    std::string s = file;
    if (line) s += ":" + std::to_string(line);
    s += ": ";
    if (severity == Severity::Warning) s += "warning: ";
    if (!field.empty()) s += field + ": ";
    s += message;
    return s;
}

bool has_errors(const std::vector<Diagnostic>& diags) {
    return std::any_of(diags.begin(), diags.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace svcnat
