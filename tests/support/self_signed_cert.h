// MakeSelfSignedCertificate: a throwaway TLS identity made at run time with the OpenSSL C API, for
// the HTTPS tests (so no key material lives in the repository). Shared by the unit and
// end-to-end suites.
#pragma once

#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace estoque::test_support {

struct CertificateFiles {
  std::string certificate;  // PEM certificate (self-signed: it is also the CA to trust)
  std::string private_key;  // PEM private key (PKCS#8, not encrypted)
};

namespace self_signed_cert_internal {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct FileClose { void operator()(std::FILE* p) const { std::fclose(p); } };

inline void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("self-signed certificate: ") + what);
}

inline void AddExtension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  Check(extension != nullptr, "extension");
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  Check(added == 1, "add extension");
}

}  // namespace self_signed_cert_internal

// Writes `<dir>/<name>.crt` and `<dir>/<name>.key`: an EC P-256 key and a self-signed X.509 v3
// certificate for it, CN=127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost, valid from
// an hour ago for a day, signed with SHA-256 (like `openssl req -x509`, so it is its own CA).
// Each call makes a new key. Throws std::runtime_error on failure.
inline CertificateFiles MakeSelfSignedCertificate(const std::string& dir,
                                                  const std::string& name = "server") {
  using namespace self_signed_cert_internal;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Check(key != nullptr, "key generation");

  std::unique_ptr<X509, X509Free> certificate(X509_new());
  Check(certificate != nullptr, "X509_new");
  X509* cert = certificate.get();
  Check(X509_set_version(cert, 2) == 1, "version");  // v3
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(std::time(nullptr))) == 1,
        "serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr, "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600) != nullptr, "notAfter");
  X509_NAME* subject = X509_get_subject_name(cert);
  Check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                                   0) == 1,
        "CN");
  Check(X509_set_issuer_name(cert, subject) == 1, "issuer");
  Check(X509_set_pubkey(cert, key.get()) == 1, "public key");
  AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert, NID_subject_key_identifier, "hash");
  AddExtension(cert, NID_authority_key_identifier, "keyid:always");
  AddExtension(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  Check(X509_sign(cert, key.get(), EVP_sha256()) > 0, "sign");

  CertificateFiles files{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  {
    std::unique_ptr<std::FILE, FileClose> out(std::fopen(files.certificate.c_str(), "w"));
    Check(out != nullptr, "open the certificate file");
    Check(PEM_write_X509(out.get(), cert) == 1, "write the certificate");
  }
  {
    std::unique_ptr<std::FILE, FileClose> out(std::fopen(files.private_key.c_str(), "w"));
    Check(out != nullptr, "open the key file");
    Check(PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "write the key");
  }
  return files;
}

}  // namespace estoque::test_support
