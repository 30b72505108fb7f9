// sd_notify(3) when built with libsystemd (Type=notify units); a no-op
// otherwise and when not started by systemd (no $NOTIFY_SOCKET).
#pragma once

#include <string>

namespace svcnat {

void notify_systemd(const std::string& state);  // e.g. "READY=1\nSTATUS=..."

}  // namespace svcnat
