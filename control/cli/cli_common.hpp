// What every svcnat subcommand does the same way: parse options (usage
// errors exit 2), print --help, load the state, print diagnostics.
#pragma once

#include <iosfwd>
#include <optional>
#include <string_view>
#include <vector>

#include "control/config/config.hpp"
#include "control/model/diagnostic.hpp"

namespace svcnat::cli {

// Exit statuses shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // invalid manifests, kernel errors, not found
inline constexpr int kExitUsage = 2;    // bad options or arguments

// Parses argv for subcommand argv[0]. Returns the parsed command, or the
// exit status when the command is already handled (--help printed: 0; bad
// options reported on stderr: 2).
struct ParseOutcome {
    std::optional<ParsedCommand> command;
    int exit_status = kExitOk;
};
ParseOutcome parse_or_report(int argc, const char* const* argv, const po::options_description& extra,
                             std::string_view usage, const CommandLineOptions& how = {});

// Prints diagnostics to `out`, one `file:line: field: message` per line.
// Notices (e.g. skipped kinds) only when verbosity >= 1.
void print_diagnostics(const std::vector<Diagnostic>& diags, int verbosity, std::ostream& out);

}  // namespace svcnat::cli
