// HttpServer: HTTP/1.1 over TCP, or over TLS (HTTPS) when given a certificate, with
// Boost.Beast/Asio. Keep-alive, N I/O threads, every read bounded (header and body size, idle and
// request deadlines). It knows nothing of estoque's routes: it hands each complete request to a
// Handler and writes back what the handler responds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/http_types.h"
#include "common/limits.h"
#include "common/result.h"

namespace estoque::api {

// HTTPS: the server's certificate and key, PEM files read once at HttpServer::Create.
struct TlsOptions {
  std::string certificate_chain_file;  // the server's certificate first, then any intermediates
  std::string private_key_file;        // the key of that certificate (not encrypted)
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;            // 0 = any free port (see HttpServer::port())
  std::size_t io_threads = 2;      // threads running the event loop
  std::size_t body_bytes_max = limits::kRequestBodyBytesMax;      // larger: 413
  std::size_t header_bytes_max = limits::kRequestHeaderBytesMax;  // larger: 431
  std::size_t connections_max = 10'000;  // further connections are closed at accept
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive connection with no request
  std::chrono::milliseconds request_timeout{30'000};  // to receive one whole request
  // Set: the port speaks only HTTPS (TLS 1.2 or 1.3). A connection must finish its TLS handshake
  // within request_timeout of being accepted; one that fails it is closed, unanswered.
  std::optional<TlsOptions> tls;
};

class HttpServer {
 public:
  // Loads the TLS certificate and key if any (InvalidArgument naming the file if one is missing,
  // unreadable, not PEM, or the key does not match the certificate), then binds and listens
  // (Unavailable if the address cannot be bound). Serving starts at Start().
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                    Handler handler);
  ~HttpServer();  // Stop()s

  // The bound port (useful when options.port was 0).
  uint16_t port() const;

  // Starts the I/O threads; returns at once.
  void Start();

  // Graceful stop: closes the listener, lets requests already received finish and their responses
  // be written (up to `drain_timeout`), closes idle connections, joins the I/O threads.
  // Idempotent; thread-safe.
  void Stop(std::chrono::milliseconds drain_timeout = std::chrono::milliseconds(10'000));

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace estoque::api
