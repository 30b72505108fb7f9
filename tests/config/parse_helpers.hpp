// Parsing a command line in the settings tests: argv[0] "check" (any
// subcommand parses the same), the options blocks of `how`.
#pragma once

#include <string>
#include <vector>

#include "control/config/config.hpp"

namespace svcnat::test {

inline ParsedCommand parse(std::vector<std::string> args, const po::options_description& extra = {},
                           CommandLineOptions how = {}) {
    std::vector<const char*> argv{"check"};
    for (const auto& a : args) argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data(), extra, "usage: svcnat check [PATH...]", how);
}

// The message of the ConfigError parsing throws, or "(no error)".
inline std::string error_of(std::vector<std::string> args, CommandLineOptions how = {}) {
    try {
        parse(std::move(args), {}, how);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace svcnat::test
