// The ingress data path as a part of a daemon (`svcnat ingress`, `svcnat
// run --ingress-*-address`): the HAProxy proxy made once per process, its
// syncer for each config reload, its supervision tick, health and metrics.
#pragma once

#include <memory>

#include "control/config/settings.hpp"
#include "control/daemon/daemon.hpp"
#include "control/ingress/proxy.hpp"

namespace svcnat::cli {

// Throws std::runtime_error (the state directory, the certificate).
std::shared_ptr<ingress::Proxy> make_proxy(const IngressSettings& settings);

// Supervision every second, /healthz from HAProxy's state, /metrics.
void attach_proxy(Daemon& daemon, const std::shared_ptr<ingress::Proxy>& proxy);

}  // namespace svcnat::cli
