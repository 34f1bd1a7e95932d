// Internal to the api module: one HTTP connection of HttpServer. It owns its stream, read buffer and
// parser and serves one request at a time: read (bounded by size and deadline), hand the request to
// the handler, write the response, then read the next one (keep-alive) or close.
#pragma once

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "api/http_server_core.h"
#include "api/http_types.h"

namespace estoque::api::http_server_internal {

// Writes the status line and header fields of `response` (ending with the blank line) into `*out`.
// REQUIRES: the body's size is in Content-Length (prepare_payload() was called).
void SerializeHeader(const HttpResponse& response, std::string* out);

// All members run on the connection's io_context thread, except Start() and Deliver(), which any
// thread may call. Kept alive by the shared_ptrs in its pending operations and responders.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` must have been opened on `context`, the io_context this connection lives on.
  Session(std::shared_ptr<HttpServerCore> core, net::io_context& context, tcp::socket&& socket);
  ~Session();

  // Registers with the core and starts reading. Called once, right after construction.
  void Start();

  // Stop, phase 1: closes the connection unless a request is being handled or answered.
  void OnStopRequested();

  // Stop, phase 2 (and the final flush): closes the connection whatever it is doing. Idempotent.
  void Close();

  net::io_context::executor_type executor() const { return executor_; }

  // The handler's response to the current request. Inline when called on the connection's thread,
  // else posted to it (dropped once the server stopped).
  void Deliver(HttpResponse&& response);

 private:
  enum class State { kReading, kHandling, kWriting, kLingering, kClosed };
  class PendingResponse;

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
  void OnResponse(HttpResponse&& response);
  void OnWrite(beast::error_code error);
  void FinishRequest();
  // Half-closes, then drops what the client still sends until it closes too (bounded).
  void Linger();
  void ReadAndDrop();

  std::shared_ptr<HttpServerCore> core_;
  net::io_context::executor_type executor_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpResponse response_;
  std::string header_bytes_;  // response_'s serialized status line and fields
  State state_ = State::kReading;
  bool request_started_ = false;    // bytes of the current request arrived
  bool continue_sent_ = false;      // 100 Continue answered for the current request
  bool request_keep_alive_ = true;  // what the current request asked
  unsigned request_version_ = 11;
  bool counted_in_flight_ = false;  // the current request is counted in HttpServerCore::in_flight_
  bool close_after_write_ = false;
  std::size_t lingered_bytes_ = 0;
  bool registered_ = false;
  std::list<std::weak_ptr<Session>>::iterator registration_;
};

}  // namespace estoque::api::http_server_internal
