// SocketAddress (settings) to the kernel's sockaddr, for the DNS server's
// listening sockets and the forwarder's upstream sockets.
#pragma once

#include <sys/socket.h>

#include "control/config/settings.hpp"

namespace svcnat::dns {

// Fills `ss` for `a` (AF_INET or AF_INET6) and returns its length.
socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& ss);
// The address of a peer (a client's, for autopath).
IPAddr ip_of(const sockaddr_storage& ss);

}  // namespace svcnat::dns
