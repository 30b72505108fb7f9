// Writing values into an HAProxy configuration safely: a word of the
// configuration (quoted when it must be), a log-format string (where '%'
// starts an expression), a regular expression matching a literal, and the
// names svcnat gives proxies, servers and files. Every value from a
// manifest that reaches haproxy.cfg goes through one of these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "control/model/ip.hpp"

namespace svcnat::ingress {

// One word of the configuration: as is when it holds only characters with
// no meaning to the parser, else quoted ('...' when it has no ', else "..."
// with \ " $ escaped so that no environment variable is expanded).
std::string word(std::string_view s);

// A literal for a log-format string: "%" written "%%" (not yet a word).
std::string lf_escape(std::string_view s);
// The same, as one word.
std::string log_format(std::string_view s);

// A POSIX/PCRE regular expression matching `s` literally.
std::string regex_literal(std::string_view s);

// Names. Namespaces, Service names and ports are DNS labels and numbers, so
// these are unique and need no quoting.
std::string backend_name(std::string_view model_name);  // "web/shop:80" -> "svc_web_shop_80"
std::string server_name(const IPAddr& ip, uint16_t port);  // "10.0.0.1_8080", "fd00__1_8080"
std::string listener_id(const SocketAddress& address);  // "192.0.2.10_80"

// A short stable id for a string (FNV-1a, 64 bits, in hex): what names a
// route's rules in the configuration, so that unrelated changes leave
// them as they were (and need no reload).
std::string stable_id(std::string_view s);

}  // namespace svcnat::ingress
