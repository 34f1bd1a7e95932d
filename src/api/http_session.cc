#include "api/http_session.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <spdlog/spdlog.h>

#include "api/api_error.h"

namespace estoque::api::http_server_internal {

namespace http = boost::beast::http;

namespace {

// Bytes asked of the socket per read.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// After a response that closes the connection, what the client still sends is read and dropped
// (so the kernel does not answer it with a reset that could destroy our response), up to this
// much and for this long.
constexpr std::size_t kLingerBytesMax = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kLingerTimeout{2'000};

// Bytes of a streamed body read and written at a time. Each read runs on the I/O thread, so it is
// kept short; the socket's buffers keep the connection busy meanwhile.
constexpr std::size_t kStreamChunkBytes = 256 * 1024;

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// The stream of a new connection: TLS ones use the server's context.
template <typename Stream>
Stream MakeStream(tcp::socket&& socket, const HttpServerCore& core) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    assert(core.tls_context() != nullptr);
    return Stream(std::move(socket), *core.tls_context());
  } else {
    return Stream(std::move(socket));
  }
}

}  // namespace

void SerializeHeader(const HttpResponse& response, std::string* out) {
  assert(response.has_content_length());
  out->clear();
  out->append(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  const unsigned status = response.result_int();
  const char code[] = {static_cast<char>('0' + status / 100 % 10),
                       static_cast<char>('0' + status / 10 % 10),
                       static_cast<char>('0' + status % 10), ' '};
  out->append(code, sizeof code);
  std::string_view reason = response.reason();
  if (reason.empty()) reason = http::obsolete_reason(response.result());
  out->append(reason);
  out->append("\r\n");
  for (const auto& field : response) {
    out->append(field.name_string());
    out->append(": ");
    out->append(field.value());
    out->append("\r\n");
  }
  out->append("\r\n");
}

// The one response a request gets. Shared by every copy of its Responder: the first call is
// delivered, later calls are dropped (a handler bug), and if every copy is destroyed without a
// call (a handler bug, or a handler that threw) the client still gets a 500, not a hang.
template <typename Stream>
class Session<Stream>::PendingResponse {
 public:
  explicit PendingResponse(std::shared_ptr<Session> session) : session_(std::move(session)) {}

  ~PendingResponse() {
    if (delivered_.load()) return;
    spdlog::error("HTTP handler dropped a request without responding");
    // OnResponse sets the request's HTTP version.
    HttpResponse internal_error = MakeErrorResponse(
        MakeApiError(http::status::internal_server_error, "internal", "internal error"),
        /*http_version=*/11, /*keep_alive=*/false);
    session_->Deliver(std::move(internal_error), nullptr);
  }

  void Deliver(HttpResponse&& response, std::unique_ptr<BodySource> body) {
    if (delivered_.exchange(true)) {
      assert(false && "a Responder was called twice");
      return;
    }
    session_->Deliver(std::move(response), std::move(body));
  }

 private:
  std::shared_ptr<Session> session_;
  std::atomic<bool> delivered_{false};
};

template <typename Stream>
Session<Stream>::Session(std::shared_ptr<HttpServerCore> core, net::io_context& context,
                         tcp::socket&& socket)
    : core_(std::move(core)),
      executor_(context.get_executor()),
      stream_(MakeStream<Stream>(std::move(socket), *core_)) {}

template <typename Stream>
Session<Stream>::~Session() {
  if (registered_) core_->Unregister(registration_);
  core_->ConnectionClosed();
}

template <typename Stream>
void Session<Stream>::Start() {
  registration_ = core_->Register(this->weak_from_this());
  registered_ = true;
  net::dispatch(executor_, [self = this->shared_from_this()] {
    if constexpr (kTls) {
      if (self->state_ == State::kClosed) return;
      self->state_ = State::kHandshaking;
      // Slowloris guard: the handshake has the time of a request, counted from the accept.
      self->tcp().expires_after(self->core_->options().request_timeout);
      self->stream_.async_handshake(net::ssl::stream_base::server,
                                    [self](beast::error_code error) { self->OnHandshake(error); });
    } else {
      self->BeginRequest();
    }
  });
}

template <typename Stream>
void Session<Stream>::OnHandshake(beast::error_code error) {
  if (state_ != State::kHandshaking) return;  // closed meanwhile
  if (error) {
    // Plain HTTP on the HTTPS port, an old TLS version, a timeout, garbage: nothing to answer.
    spdlog::debug("TLS handshake failed: {}", error.message());
    Close();
    return;
  }
  BeginRequest();
}

template <typename Stream>
void Session<Stream>::OnStopRequested() {
  if (state_ == State::kHandshaking || state_ == State::kReading ||
      state_ == State::kLingering) {
    Close();
  }
}

template <typename Stream>
void Session<Stream>::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  beast::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().close();
}

template <typename Stream>
void Session<Stream>::Deliver(HttpResponse&& response, std::unique_ptr<BodySource> body) {
  if (executor_.running_in_this_thread()) {
    OnResponse(std::move(response), std::move(body));
    return;
  }
  core_->IfRunning([&] {
    net::post(executor_, [self = this->shared_from_this(), response = std::move(response),
                          body = std::move(body)]() mutable {
      self->OnResponse(std::move(response), std::move(body));
    });
  });
}

template <typename Stream>
void Session<Stream>::BeginRequest() {
  if (state_ == State::kClosed) return;
  state_ = State::kReading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(core_->options().header_bytes_max));
  parser_->body_limit(core_->options().body_bytes_max);
  parser_->eager(true);
  request_started_ = false;
  continue_sent_ = false;
  ParseBuffered();
}

template <typename Stream>
void Session<Stream>::ParseBuffered() {
  while (true) {
    if (buffer_.size() == 0) {
      ReadMore();
      return;
    }
    if (!request_started_) {
      // The request deadline runs from its first byte.
      request_started_ = true;
      tcp().expires_after(core_->options().request_timeout);
    }
    beast::error_code error;
    const std::size_t used = parser_->put(buffer_.data(), error);
    buffer_.consume(used);
    if (error == http::error::need_more) {
      ReadMore();
      return;
    }
    if (error) {
      FailRequest(error);
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    if (parser_->is_header_done() && !continue_sent_ && buffer_.size() == 0 &&
        beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_sent_ = true;
      WriteContinue();
      return;
    }
    if (used == 0) {
      ReadMore();
      return;
    }
  }
}

template <typename Stream>
void Session<Stream>::ReadMore() {
  if (!request_started_) tcp().expires_after(core_->options().idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(kReadChunkBytes),
      [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
        self->OnRead(error, bytes);
      });
}

template <typename Stream>
void Session<Stream>::OnRead(beast::error_code error, std::size_t bytes) {
  if (state_ != State::kReading) return;  // closed meanwhile
  if (error) {
    // EOF between requests, a timeout, a reset or our own Close(): nothing to answer.
    Close();
    return;
  }
  buffer_.commit(bytes);
  ParseBuffered();
}

template <typename Stream>
void Session<Stream>::WriteContinue() {
  net::async_write(stream_, net::buffer(kContinueResponse.data(), kContinueResponse.size()),
                   [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                     if (self->state_ != State::kReading) return;
                     if (error) {
                       self->Close();
                       return;
                     }
                     self->ParseBuffered();
                   });
}

template <typename Stream>
void Session<Stream>::FailRequest(beast::error_code error) {
  ApiError api_error;
  if (error == http::error::body_limit) {
    api_error = MakeApiError(http::status::payload_too_large, "payload_too_large",
                             "request body exceeds " +
                                 std::to_string(core_->options().body_bytes_max) + " bytes");
  } else if (error == http::error::header_limit) {
    api_error = MakeApiError(http::status::request_header_fields_too_large, "header_too_large",
                             "request header exceeds " +
                                 std::to_string(core_->options().header_bytes_max) + " bytes");
  } else {
    api_error = MakeApiError(http::status::bad_request, "bad_request",
                             "malformed HTTP request: " + error.message());
  }
  request_keep_alive_ = false;
  request_version_ = 11;
  counted_in_flight_ = false;
  state_ = State::kHandling;
  OnResponse(MakeErrorResponse(api_error, 11, /*keep_alive=*/false), nullptr);
}

template <typename Stream>
void Session<Stream>::Dispatch() {
  state_ = State::kHandling;
  HttpRequest request = parser_->release();
  request_keep_alive_ = request.keep_alive();
  request_version_ = request.version();
  counted_in_flight_ = true;
  core_->RequestStarted();
  tcp().expires_never();  // the handler's time is not the client's
  auto pending = std::make_shared<PendingResponse>(this->shared_from_this());
  Responder respond = Responder::Streaming(
      [pending](HttpResponse response, std::unique_ptr<BodySource> body) {
        pending->Deliver(std::move(response), std::move(body));
      });
  try {
    core_->handler()(std::move(request), std::move(respond));
  } catch (const std::exception& exception) {
    // A handler must not throw; if it dropped its responder, PendingResponse answers 500.
    spdlog::error("HTTP handler threw: {}", exception.what());
  }
}

template <typename Stream>
void Session<Stream>::OnResponse(HttpResponse&& response, std::unique_ptr<BodySource> body) {
  assert(state_ == State::kHandling || state_ == State::kClosed);
  if (state_ != State::kHandling) {  // the connection was closed by Stop meanwhile
    FinishRequest();
    return;
  }
  state_ = State::kWriting;
  response_ = std::move(response);
  response_.version(request_version_);
  response_.set(http::field::server, "estoque");
  if (response_.find(http::field::content_type) == response_.end()) {
    response_.set(http::field::content_type, "application/json");
  }
  const bool keep_alive = request_keep_alive_ && response_.keep_alive() && !core_->stopping();
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  close_after_write_ = !keep_alive;
  tcp().expires_after(core_->options().request_timeout);
  if (body != nullptr) {
    assert(response_.body().empty());
    response_.content_length(body->size());
    body_source_ = std::move(body);
    body_sent_bytes_ = 0;
    SerializeHeader(response_, &header_bytes_);
    net::async_write(stream_, net::buffer(header_bytes_),
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                       self->OnStreamWrite(error);
                     });
    return;
  }
  // One gather write of the serialized header and the body: the responses are small and whole,
  // so Beast's incremental serializer would only add work.
  SerializeHeader(response_, &header_bytes_);
  const std::array<net::const_buffer, 2> buffers = {
      net::buffer(header_bytes_), net::buffer(response_.body().data(), response_.body().size())};
  net::async_write(stream_, buffers,
                   [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                     self->OnWrite(error);
                   });
}

template <typename Stream>
void Session<Stream>::OnWrite(beast::error_code error) {
  FinishRequest();
  response_ = {};
  if (state_ != State::kWriting) return;  // closed meanwhile
  if (error) {
    Close();
    return;
  }
  if (close_after_write_ || core_->stopping()) {
    Linger();
    return;
  }
  BeginRequest();
}

template <typename Stream>
void Session<Stream>::OnStreamWrite(beast::error_code error) {
  if (state_ != State::kWriting || error) {  // closed meanwhile, or the client went away
    body_source_.reset();
    body_chunk_ = {};
    OnWrite(error ? error : beast::error_code(net::error::operation_aborted));
    return;
  }
  const uint64_t remaining = body_source_->size() - body_sent_bytes_;
  if (remaining == 0) {
    body_source_.reset();
    body_chunk_ = {};
    OnWrite(error);
    return;
  }
  if (body_chunk_.empty()) body_chunk_.resize(kStreamChunkBytes);
  const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(remaining, body_chunk_.size()));
  Result<std::size_t> got = body_source_->Read(std::span<char>(body_chunk_.data(), want));
  if (!got.ok() || *got == 0 || *got > want) {
    spdlog::error("streamed response failed after {} of {} bytes: {}; closing the connection", body_sent_bytes_,
                  body_source_->size(), got.ok() ? "the source ended early" : got.status().ToString());
    body_source_.reset();
    body_chunk_ = {};
    FinishRequest();
    response_ = {};
    Close();
    return;
  }
  body_sent_bytes_ += *got;
  tcp().expires_after(core_->options().request_timeout);
  net::async_write(stream_, net::buffer(body_chunk_.data(), *got),
                   [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                     self->OnStreamWrite(error);
                   });
}

template <typename Stream>
void Session<Stream>::FinishRequest() {
  if (!counted_in_flight_) return;
  counted_in_flight_ = false;
  core_->RequestFinished();
}

template <typename Stream>
void Session<Stream>::Linger() {
  state_ = State::kLingering;
  tcp().expires_after(kLingerTimeout);
  buffer_.clear();
  if constexpr (kTls) {
    // Sends close_notify, then waits for the client's. That wait fails if the client is still
    // sending (e.g. a body that was refused): the rest is dropped below the TLS layer.
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code error) {
      if (self->state_ != State::kLingering) return;
      if (error) {
        self->DrainTcp();
      } else {
        self->Close();  // the client's close_notify: nothing follows it
      }
    });
  } else {
    DrainTcp();
  }
}

template <typename Stream>
void Session<Stream>::DrainTcp() {
  beast::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  lingered_bytes_ = 0;
  ReadAndDrop();
}

template <typename Stream>
void Session<Stream>::ReadAndDrop() {
  tcp().async_read_some(
      buffer_.prepare(kReadChunkBytes),
      [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
        if (self->state_ != State::kLingering) return;
        self->lingered_bytes_ += bytes;
        if (error || self->lingered_bytes_ > kLingerBytesMax) {
          self->Close();
          return;
        }
        self->ReadAndDrop();
      });
}

template class Session<PlainStream>;
template class Session<TlsStream>;

}  // namespace estoque::api::http_server_internal
