#include "systemd_notify.hpp"

#ifdef SVCNAT_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace svcnat {

void notify_systemd(const std::string& state) {
#ifdef SVCNAT_HAVE_LIBSYSTEMD
    sd_notify(0, state.c_str());
#else
    (void)state;
#endif
}

}  // namespace svcnat
