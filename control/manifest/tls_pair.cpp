#include "tls_pair.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace svcnat::manifest {

namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> memory(const std::string& pem) {
    return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

std::string tls_pair_problem(const std::string& certificate_pem, const std::string& key_pem) {
    // No passphrase prompt, ever: an encrypted key is simply unusable.
    static pem_password_cb* const no_password = [](char*, int, int, void*) { return 0; };
    auto cert_bio = memory(certificate_pem);
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, no_password, nullptr));
    ERR_clear_error();
    if (!cert) return "tls.crt holds no PEM certificate";
    auto key_bio = memory(key_pem);
    std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
    ERR_clear_error();
    if (!key) return "tls.key holds no (unencrypted) PEM private key";
    const bool matches = X509_check_private_key(cert.get(), key.get()) == 1;
    ERR_clear_error();
    if (!matches) return "tls.key does not match the certificate in tls.crt";
    return {};
}

}  // namespace svcnat::manifest
