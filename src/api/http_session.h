// Internal to the api module: one HTTP connection of HttpServer. It owns its stream, read buffer and
// parser and serves one request at a time: read (bounded by size and deadline), hand the request to
// the handler, write the response (a whole one in one write; a streamed body chunk by chunk as the
// socket drains: http_types.h BodySource), then read the next one (keep-alive) or close. One
// implementation for both transports: Session<PlainStream> (HTTP) and Session<TlsStream> (HTTPS,
// which first runs the TLS handshake, and ends a connection it closes gracefully with a TLS
// close_notify).
#pragma once

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "api/http_server_core.h"
#include "api/http_types.h"

namespace estoque::api::http_server_internal {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Writes the status line and header fields of `response` (ending with the blank line) into `*out`.
// REQUIRES: the body's size is in Content-Length (prepare_payload() was called).
void SerializeHeader(const HttpResponse& response, std::string* out);

// All members run on the connection's io_context thread, except Start() and Deliver(), which any
// thread may call. Kept alive by the shared_ptrs in its pending operations and responders.
// `Stream` is PlainStream or TlsStream (both instantiated in http_session.cc).
template <typename Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `socket` must have been opened on `context`, the io_context this connection lives on. For
  // TlsStream, `core` must have a tls_context().
  Session(std::shared_ptr<HttpServerCore> core, net::io_context& context, tcp::socket&& socket);
  ~Session() override;

  // Registers with the core and starts: the TLS handshake (bounded by request_timeout), then
  // reading requests. Called once, right after construction.
  void Start();

  // See Connection. Close() drops the TCP connection at once (no TLS close_notify: it must work
  // with no thread running the io_context); graceful ends go through Linger().
  void OnStopRequested() override;
  void Close() override;

  net::io_context::executor_type executor() const override { return executor_; }

  // The handler's response to the current request (with the source of its body when streamed:
  // http_types.h). Inline when called on the connection's thread, else posted to it (dropped
  // once the server stopped).
  void Deliver(HttpResponse&& response, std::unique_ptr<BodySource> body);

 private:
  enum class State { kHandshaking, kReading, kHandling, kWriting, kLingering, kClosed };
  class PendingResponse;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  // TLS only: the handshake's completion.
  void OnHandshake(beast::error_code error);
  void BeginRequest();
  // Feeds buffered bytes to the parser; reads more, answers 100-continue, dispatches the request
  // or fails it, as the parser asks.
  void ParseBuffered();
  void ReadMore();
  void OnRead(beast::error_code error, std::size_t bytes);
  void WriteContinue();
  // Answers a request the parser rejected (413, 431, 400), then closes the connection.
  void FailRequest(beast::error_code error);
  void Dispatch();
  void OnResponse(HttpResponse&& response, std::unique_ptr<BodySource> body);
  void OnWrite(beast::error_code error);
  // A streamed body: after each write, reads the next chunk from body_source_ and writes it; ends
  // with OnWrite once all of it was sent, or closes the connection if the source fails.
  void OnStreamWrite(beast::error_code error);
  void FinishRequest();
  // The graceful close after a last response, bounded in time (kLingerTimeout for all of it): TLS
  // first exchanges close_notify; then DrainTcp(). Ends with Close().
  void Linger();
  // Half-closes the TCP connection, then reads and drops the raw bytes the client still sends
  // (so the kernel does not answer them with a reset that could destroy the response) until it
  // closes too, or up to kLingerBytesMax.
  void DrainTcp();
  void ReadAndDrop();

  std::shared_ptr<HttpServerCore> core_;
  net::io_context::executor_type executor_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpResponse response_;
  std::string header_bytes_;  // response_'s serialized status line and fields
  std::unique_ptr<BodySource> body_source_;  // the body of response_ when streamed
  uint64_t body_sent_bytes_ = 0;             // of body_source_, handed to the socket
  std::vector<char> body_chunk_;             // body_source_'s current chunk
  State state_ = State::kReading;
  bool request_started_ = false;    // bytes of the current request arrived
  bool continue_sent_ = false;      // 100 Continue answered for the current request
  bool request_keep_alive_ = true;  // what the current request asked
  unsigned request_version_ = 11;
  bool counted_in_flight_ = false;  // the current request is counted in HttpServerCore::in_flight_
  bool close_after_write_ = false;
  std::size_t lingered_bytes_ = 0;
  bool registered_ = false;
  std::list<std::weak_ptr<Connection>>::iterator registration_;
};

extern template class Session<PlainStream>;
extern template class Session<TlsStream>;

}  // namespace estoque::api::http_server_internal
