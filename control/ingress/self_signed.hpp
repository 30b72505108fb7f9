// The certificate TLS listeners serve when no other fits and
// --default-ssl-certificate names none: made at start, as ingress-nginx
// makes its "Fake Certificate" (a P-256 key, self-signed, ten years).
#pragma once

#include <string>

namespace svcnat::ingress {

// Certificate then key, PEM. Throws std::runtime_error if OpenSSL fails.
std::string make_self_signed_certificate(const std::string& common_name);

}  // namespace svcnat::ingress
