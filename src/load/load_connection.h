// LoadConnection: one keep-alive HTTP/1.1 connection of the load generator. It loops: reserve a
// send slot (pacing), build a message body, POST /v1/posicoes (or /v1/vendas), read the answer,
// record latency, hand 1 message in N to the freshness prober; until the run stops.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "load/body_builder.h"
#include "load/latency_histogram.h"
#include "load/run_context.h"
#include "load/sale_body_builder.h"

namespace estoque::load {

// A request not answered within this is a transport error (the connection is re-opened).
inline constexpr int kRequestTimeoutSeconds = 30;
// Wait before re-opening a failed connection, so a down server is not hammered.
inline constexpr int kReconnectBackoffMillis = 100;
// Longest pause honoured from a 503's Retry-After.
inline constexpr int kRetryAfterMillisMax = 1000;
// Response bodies larger than this are a transport error.
inline constexpr uint64_t kResponseBodyBytesMax = 1024 * 1024;

// Not thread-safe: all its handlers run on `io`, which must be run by exactly one thread. `run` and
// `latency` must outlive it; the connection must outlive every handler it starts (i.e. destroy it
// only after `io.run()` returned).
class LoadConnection {
 public:
  // `on_stopped` runs once, on the connection's thread, when the connection has stopped for good.
  LoadConnection(boost::asio::io_context& io, RunContext* run, LatencyHistogram* latency,
                 uint64_t seed, std::function<void()> on_stopped);
  LoadConnection(const LoadConnection&) = delete;
  LoadConnection& operator=(const LoadConnection&) = delete;

  // Starts the loop. Call once, from any thread before `io` runs or from `io`'s thread.
  void Start();

 private:
  using ErrorCode = boost::system::error_code;

  void Connect();
  void OnConnect(ErrorCode error);
  void Next();
  void Send();
  void OnWrite(ErrorCode error);
  void OnRead(ErrorCode error);
  void HandleResponse();
  // Counts a transport error, closes the socket and reconnects after a backoff.
  void FailTransport(std::string_view operation, ErrorCode error);
  void WaitThen(std::chrono::steady_clock::duration delay, void (LoadConnection::*then)());
  void Stop();

  RunContext& run_;
  LatencyHistogram& latency_;
  std::function<void()> on_stopped_;
  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  // Exactly one is set, by the run's kind.
  std::optional<BodyBuilder> position_builder_;
  std::optional<SaleBodyBuilder> sale_builder_;

  // The request in flight.
  uint64_t message_index_ = 0;  // unique in the run: numbers its sale
  SentItem last_item_;
  bool sample_freshness_ = false;
  int64_t sent_at_us_ = 0;  // MonotonicMicros
  bool stopped_ = false;
};

}  // namespace estoque::load
