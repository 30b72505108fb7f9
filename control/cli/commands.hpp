// The subcommands of `svcnat`, one file each (cmd_NAME.cpp). main.cpp lists
// them; each takes argv with argv[0] = its own name and returns the exit
// status.
#pragma once

#include <string_view>

namespace svcnat::cli {

struct Subcommand {
    std::string_view name;     // "get", "sync", ...
    std::string_view summary;  // one line for `svcnat --help`
    int (*run)(int argc, const char* const* argv);
};

int run_check(int argc, const char* const* argv);
int run_get(int argc, const char* const* argv);
int run_describe(int argc, const char* const* argv);
int run_render(int argc, const char* const* argv);
int run_sync(int argc, const char* const* argv);
int run_cleanup(int argc, const char* const* argv);
int run_run(int argc, const char* const* argv);
int run_dns(int argc, const char* const* argv);
int run_ingress(int argc, const char* const* argv);

}  // namespace svcnat::cli
