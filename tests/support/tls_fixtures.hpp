// The test certificates in tests/testdata/tls, and kubernetes.io/tls
// Secrets holding them, for the manifest, model and ingress tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace svcnat::testing {

inline std::string read_tls_file(const std::string& name) {
    std::ifstream in(std::string(SVCNAT_TLS_TESTDATA) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A Secret of type kubernetes.io/tls whose tls.crt is `host`'s certificate
// and tls.key `key_host`'s key (another host's: a mismatched pair).
inline std::string tls_secret_yaml(const std::string& ns, const std::string& name, const std::string& host,
                                   const std::string& key_host = "") {
    auto block = [](const std::string& pem) {
        std::string out;
        std::istringstream lines(pem);
        for (std::string line; std::getline(lines, line);) out += "    " + line + "\n";
        return out;
    };
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
           "\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n" + block(read_tls_file(host + ".crt")) +
           "  tls.key: |\n" + block(read_tls_file((key_host.empty() ? host : key_host) + ".key"));
}

}  // namespace svcnat::testing
