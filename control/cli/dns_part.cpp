#include "dns_part.hpp"

#include <spdlog/spdlog.h>

#include "control/dns/dns_metrics.hpp"
#include "control/dns/dns_syncer.hpp"
#include "version.hpp"

namespace svcnat::cli {

std::shared_ptr<dns::Server> start_dns_server(const Settings& settings) {
    std::shared_ptr<dns::Server> server;
    try {
        server = std::make_shared<dns::Server>(dns::server_options(settings.dns));
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return nullptr;
    }
    for (const auto& a : server->bound())
        spdlog::info("serving cluster DNS for {} on {} (UDP, TCP)", settings.dns.cluster_domain, a.str());
    return server;
}

void attach_dns_metrics(Daemon& daemon, const std::shared_ptr<dns::Server>& server) {
    daemon.add_collectable(std::make_shared<dns::DnsMetrics>(server, SVCNAT_VERSION, SVCNAT_COMMIT));
}

}  // namespace svcnat::cli
