#include "cli_common.hpp"

#include <iostream>

namespace svcnat::cli {

ParseOutcome parse_or_report(int argc, const char* const* argv, const po::options_description& extra,
                             std::string_view usage, const CommandLineOptions& how) {
    ParseOutcome out;
    const std::string name = argc > 0 ? argv[0] : "svcnat";
    try {
        ParsedCommand cmd = parse_command_line(argc, argv, extra, usage, how);
        if (cmd.help) {
            std::cout << cmd.help_text;
            out.exit_status = kExitOk;
            return out;
        }
        out.command = std::move(cmd);
    } catch (const ConfigError& e) {
        std::cerr << "svcnat " << name << ": " << e.what() << "\n(see svcnat " << name << " --help)\n";
        out.exit_status = kExitUsage;
    }
    return out;
}

void print_diagnostics(const std::vector<Diagnostic>& diags, int verbosity, std::ostream& out) {
    for (const auto& d : diags) {
        if (d.severity == Severity::Notice && verbosity < 1) continue;
        out << d.str() << "\n";
    }
}

}  // namespace svcnat::cli
