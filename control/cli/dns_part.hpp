// What `svcnat run --dns-bind-address` and `svcnat dns` add to the daemon
// for cluster DNS besides its syncer: CoreDNS's metrics on /metrics.
#pragma once

#include <memory>

#include "control/daemon/daemon.hpp"
#include "control/dns/server.hpp"

namespace svcnat::cli {

void attach_dns_metrics(Daemon& daemon, const std::shared_ptr<dns::Server>& server);

}  // namespace svcnat::cli
