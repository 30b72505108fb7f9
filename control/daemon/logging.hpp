// spdlog setup for the daemon: one stderr sink (journald adds its own
// timestamps, but plain runs need them), levels from kube-proxy style -v:
// 0 info, 1-3 debug, 4+ trace.
#pragma once

namespace svcnat {

void setup_daemon_logging(int verbosity);
void set_log_verbosity(int verbosity);

}  // namespace svcnat
