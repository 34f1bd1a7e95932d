#include "api/tls_context.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace estoque::api::http_server_internal {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites: ECDHE key exchange and AEAD ciphers only (for ECDSA and RSA certificates).
// TLS 1.3 suites all have both properties: OpenSSL's defaults are kept.
constexpr const char* kTls12CipherSuites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The passphrase callback: there is no terminal to ask, so an encrypted key fails to load instead
// of blocking the server on OpenSSL's default prompt.
int NoPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

// The reason of OpenSSL's oldest queued error (and clears the queue).
std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return reason != nullptr ? reason : "unknown error";
}

// Ok if `path` can be opened for reading, else InvalidArgument saying why (OpenSSL's own message
// for a missing file is not one an operator would recognise).
Status CheckReadable(const std::string& path, const char* what) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return Status::InvalidArgument(std::string("cannot read the ") + what + " '" + path +
                                   "': " + std::strerror(errno));
  }
  std::fclose(file);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeTlsServerContext(const TlsOptions& options) {
  std::unique_ptr<ssl::context> context;
  try {
    context = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& exception) {
    return Status::Internal(std::string("cannot create a TLS context: ") + exception.what());
  }
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return Status::Internal("cannot set the minimum TLS version: " + TakeOpenSslError());
  }
  SSL_CTX_set_options(native, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                  SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle keep-alive connections give their read and write buffers back (about 34 KiB each).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kTls12CipherSuites) != 1) {
    return Status::Internal("cannot set the TLS 1.2 cipher suites: " + TakeOpenSslError());
  }
  SSL_CTX_set_default_passwd_cb(native, &NoPassphrase);

  const std::string& chain = options.certificate_chain_file;
  const std::string& key = options.private_key_file;
  if (Status s = CheckReadable(chain, "TLS certificate chain"); !s.ok()) return s;
  if (Status s = CheckReadable(key, "TLS private key"); !s.ok()) return s;
  const Status mismatch = Status::InvalidArgument(
      "the TLS private key '" + key + "' does not match the certificate '" + chain + "'");
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, chain.c_str()) != 1) {
    return Status::InvalidArgument("cannot load the TLS certificate chain '" + chain +
                                   "': not a PEM certificate (OpenSSL: " + TakeOpenSslError() +
                                   ")");
  }
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return mismatch;
    }
    return Status::InvalidArgument("cannot load the TLS private key '" + key +
                                   "': not an unencrypted PEM private key (OpenSSL: " +
                                   TakeOpenSslError() + ")");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return mismatch;
  }
  return context;
}

}  // namespace estoque::api::http_server_internal
