#include "ingress_part.hpp"

#include <spdlog/spdlog.h>

#include "control/ingress/ingress_metrics.hpp"

namespace svcnat::cli {

std::shared_ptr<ingress::Proxy> make_proxy(const IngressSettings& settings) {
    auto proxy = std::make_shared<ingress::Proxy>(
        ingress::Proxy::Options{settings.haproxy, settings.state_dir, settings.threads});
    const auto& r = settings.routes;
    if (r.http) spdlog::info("serving Ingress and HTTPRoutes over HTTP on {}", r.http->str());
    if (r.https) spdlog::info("serving Ingress and HTTPRoutes over HTTPS on {}", r.https->str());
    return proxy;
}

void attach_proxy(Daemon& daemon, const std::shared_ptr<ingress::Proxy>& proxy) {
    daemon.every(std::chrono::seconds(1), [proxy] { proxy->tick(); });
    daemon.set_data_path_probe([proxy] { return proxy->health(); });
    daemon.add_collectable(std::make_shared<ingress::IngressMetrics>(proxy));
}

}  // namespace svcnat::cli
