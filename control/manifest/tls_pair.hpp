// Whether a certificate and key can be served (OpenSSL reads them as HAProxy
// will): a PEM certificate (chain) and a PEM private key that belongs to it.
// Checked when a Secret is read, so that `svcnat check` names a broken one
// and the proxy is never handed a file it would refuse to start with.
#pragma once

#include <string>

namespace svcnat::manifest {

// "" when usable, else why not ("tls.key does not match tls.crt").
std::string tls_pair_problem(const std::string& certificate_pem, const std::string& key_pem);

}  // namespace svcnat::manifest
