#include "sockaddr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace svcnat::dns {

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    if (a.ip.is_v4()) {
        auto* s = reinterpret_cast<sockaddr_in*>(&ss);
        s->sin_family = AF_INET;
        s->sin_port = htons(a.port);
        std::memcpy(&s->sin_addr, a.ip.bytes.data(), 4);
        return sizeof(sockaddr_in);
    }
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a.port);
    std::memcpy(&s->sin6_addr, a.ip.bytes.data(), 16);
    return sizeof(sockaddr_in6);
}

IPAddr ip_of(const sockaddr_storage& ss) {
    IPAddr ip;
    if (ss.ss_family == AF_INET) {
        ip.family = IPFamily::IPv4;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    } else {
        ip.family = IPFamily::IPv6;
        std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
    }
    return ip;
}

}  // namespace svcnat::dns
