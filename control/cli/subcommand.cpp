// The registry behind SVCNAT_SUBCOMMAND. A function-local static, so that
// registrars in other translation units may run in any order during static
// initialisation.
#include "subcommand.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace svcnat {

namespace {

std::vector<Subcommand>& registry() {
    static std::vector<Subcommand> commands;
    return commands;
}

}  // namespace

const std::vector<Subcommand>& subcommands() { return registry(); }

SubcommandRegistrar::SubcommandRegistrar(Subcommand cmd) {
    auto& r = registry();
    auto pos = std::lower_bound(r.begin(), r.end(), cmd,
                                [](const Subcommand& a, const Subcommand& b) { return a.name < b.name; });
    if (pos != r.end() && pos->name == cmd.name) {
        // Two files claiming one name is a build mistake; fail loudly at start.
        std::fprintf(stderr, "svcnat: subcommand \"%.*s\" registered twice\n", static_cast<int>(cmd.name.size()),
                     cmd.name.data());
        std::abort();
    }
    r.insert(pos, cmd);
}

}  // namespace svcnat
