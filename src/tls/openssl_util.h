// Small OpenSSL helpers shared by the tls component (client context, server context,
// certificate generation): owning pointers, memory BIOs, error text, PEM certificate
// lists and ALPN's wire format. Internal to src/tls.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace nightjar::tls {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;

// A read-only BIO over `text` (which must outlive it).
BioPtr memory_bio(const std::string& text);
// What a memory BIO holds.
std::string bio_text(BIO* bio);

// OpenSSL's text for the latest failure on this thread; the queue is cleared.
std::string openssl_reason();

// Every certificate in `pem`, in order. Errors name the input (`name`).
Result<std::vector<X509Ptr>> read_pem_certificates(const std::string& pem, const std::string& name);

// ALPN's wire format: each protocol prefixed by its length.
std::string alpn_wire(const std::vector<std::string>& protocols);

}  // namespace nightjar::tls
