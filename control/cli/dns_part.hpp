// What `svcnat run --dns-bind-address` and `svcnat dns` add to the daemon
// for cluster DNS besides its syncer: the server's sockets, and CoreDNS's
// metrics on /metrics.
#pragma once

#include <memory>

#include "control/config/settings.hpp"
#include "control/daemon/daemon.hpp"
#include "control/dns/server.hpp"

namespace svcnat::cli {

// Binds and starts the DNS server of `settings.dns` and logs where it
// serves; nullptr (the error logged) when it cannot.
std::shared_ptr<dns::Server> start_dns_server(const Settings& settings);

void attach_dns_metrics(Daemon& daemon, const std::shared_ptr<dns::Server>& server);

}  // namespace svcnat::cli
