// `svcnat render`: prints the ruleset that `sync` would program, as nft text,
// without root and without touching the kernel.
#include <iostream>

#include "commands.hpp"
#include "nft/builder.hpp"
#include "cli_common.hpp"
#include "control/state/state.hpp"
#include "nft/render.hpp"

namespace svcnat::cli {
int run_render(int argc, const char* const* argv) {
    po::options_description extra("render options");
    auto parsed = cli::parse_or_report(argc, argv, extra, "svcnat render [options] PATH...");
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    auto loaded = load_state(cmd.settings);
    cli::print_diagnostics(loaded.load.diagnostics, cmd.settings.verbosity, std::cerr);
    if (!loaded.ok()) return cli::kExitFailure;
    const ServiceState* state = &loaded.state;
    std::cout << nft::render(nft::build_ruleset(*state, cmd.settings));
    return std::cout.good() ? 0 : 1;
}

}  // namespace svcnat::cli
