#include "logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace svcnat {

void set_log_verbosity(int verbosity) {
    spdlog::set_level(verbosity >= 4 ? spdlog::level::trace
                      : verbosity >= 1 ? spdlog::level::debug
                                       : spdlog::level::info);
}

void setup_daemon_logging(int verbosity) {
    auto logger = spdlog::get("svcnat");
    if (!logger) logger = spdlog::stderr_logger_mt("svcnat");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    // Errors must reach the journal before a crash or kill.
    spdlog::flush_on(spdlog::level::info);
    set_log_verbosity(verbosity);
}

}  // namespace svcnat
