#include "dns_part.hpp"

#include "control/dns/dns_metrics.hpp"
#include "version.hpp"

namespace svcnat::cli {

void attach_dns_metrics(Daemon& daemon, const std::shared_ptr<dns::Server>& server) {
    daemon.add_collectable(std::make_shared<dns::DnsMetrics>(server, SVCNAT_VERSION, SVCNAT_COMMIT));
}

}  // namespace svcnat::cli
