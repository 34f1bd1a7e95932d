// Internal to the api module: the OpenSSL context behind HttpServer's HTTPS (http_server.h,
// HttpServerOptions::tls).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "api/http_server.h"
#include "common/result.h"

namespace estoque::api::http_server_internal {

// A server context that allows TLS 1.2 and 1.3 only, with forward-secret AEAD cipher suites (the
// server's preference wins), no compression and no renegotiation, holding the certificate chain
// and private key read from `options`' PEM files. InvalidArgument naming the file if one cannot
// be read or parsed (an encrypted key counts as unreadable: nobody is there to type a passphrase)
// or the key does not match the certificate; Internal if OpenSSL cannot make a context at all.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeTlsServerContext(const TlsOptions& options);

}  // namespace estoque::api::http_server_internal
