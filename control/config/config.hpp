// Command-line and INI-file parsing for every subcommand (Boost.Program_options).
// The common options are those of kube-proxy (see settings.hpp); a subcommand
// adds its own through `extra`. The command line wins over the file.
#pragma once

#include <boost/program_options.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "settings.hpp"

namespace svcnat {

namespace po = boost::program_options;

// A bad option, value or config file; what() is the message to print.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ParsedCommand {
    Settings settings;
    po::variables_map extra;               // values of the subcommand's own options
    std::vector<std::string> positionals;  // manifest paths (also in settings.manifests)
    bool help = false;                     // --help/-h given: print help_text, exit 0
    std::string help_text;                 // usage + every option
};

// argv[0] is the subcommand's name (e.g. "check"). Throws ConfigError.
ParsedCommand parse_command_line(int argc, const char* const* argv, const po::options_description& extra,
                                 std::string_view usage);

// Groups of options besides the common ones (manifests, node, service
// ranges, sync periods, health and metrics addresses, verbosity). `svcnat`'s
// subcommands take kernel mode's and cluster DNS's; `svcnat-gateway` takes
// the gateway's.
struct OptionBlocks {
    bool kernel = true;    // --table, --masquerade-*, --nodeport-addresses, ...
    bool dns = true;       // --cluster-domain, --dns-*
    bool ingress = true;   // --ingress-*, --haproxy
    bool gateway = false;  // --port, --snat-address, ... (checked as a whole)
};

// How a subcommand uses its positional arguments. By default they are
// manifest paths; subcommands whose positionals mean something else
// (`get svc NAME`) set positionals_are_manifests = false: they come back in
// ParsedCommand::positionals only, and manifests come from -f/--filename or
// the config file's `manifests =`.
struct CommandLineOptions {
    bool positionals_are_manifests = true;
    // What unset options default to, when a subcommand's defaults differ
    // from Settings{} (`svcnat dns`: its own metrics port, no healthz).
    const Settings* defaults = nullptr;
    OptionBlocks blocks;

    // Positionals that name objects, not manifests (`get svc NAME`).
    static CommandLineOptions object_positionals() {
        CommandLineOptions o;
        o.positionals_are_manifests = false;
        return o;
    }
    // A subcommand's own defaults (`svcnat dns`).
    static CommandLineOptions with_defaults(const Settings& d) {
        CommandLineOptions o;
        o.defaults = &d;
        return o;
    }
};

ParsedCommand parse_command_line(int argc, const char* const* argv, const po::options_description& extra,
                                 std::string_view usage, const CommandLineOptions& how);

}  // namespace svcnat
