// HttpServer over Boost.Beast: one io_context per I/O thread (a connection lives on one thread for
// its whole life, so its state needs no locks and inline responses need no thread hop), an
// acceptor handing connections out round-robin, and a Session per connection that owns its stream,
// read buffer and parser and serves one request at a time.
#include "api/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <spdlog/spdlog.h>

#include "api/api_error.h"

namespace estoque::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace http_server_internal {

// Bytes asked of the socket per read.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// After a response that closes the connection, what the client still sends is read and dropped
// (so the kernel does not answer it with a reset that could destroy our response), up to this
// much and for this long.
constexpr std::size_t kLingerBytesMax = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kLingerTimeout{2'000};
// Pause before accepting again after an accept error (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

class Session;

// Writes the status line and header fields of `response` (ending with the blank line) into `*out`.
// REQUIRES: the body's size is in Content-Length (prepare_payload() was called).
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

// State shared by the server, its sessions and their responders. Sessions hold it, so the
// io_contexts outlive every socket even when a responder outlives the HttpServer.
class HttpServerCore : public std::enable_shared_from_this<HttpServerCore> {
 public:
  HttpServerCore(const HttpServerOptions& options, Handler handler)
      : options_(options), handler_(std::move(handler)) {
    const std::size_t thread_count = std::max<std::size_t>(1, options_.io_threads);
    for (std::size_t i = 0; i < thread_count; ++i) {
      contexts_.push_back(std::make_unique<net::io_context>(1));
      guards_.push_back(net::make_work_guard(*contexts_.back()));
    }
    acceptor_.emplace(*contexts_.front());
    accept_retry_timer_.emplace(*contexts_.front());
  }

  const HttpServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  Status Listen();
  uint16_t port() const { return port_; }
  void Start();
  void Stop(std::chrono::milliseconds drain_timeout);

  // Sessions call these.
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished() {
    if (in_flight_.fetch_sub(1) == 1 && stopping_.load()) {
      std::lock_guard lock(mutex_);
      drained_.notify_all();
    }
  }
  std::list<std::weak_ptr<Session>>::iterator Register(std::weak_ptr<Session> session) {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.insert(sessions_.end(), std::move(session));
  }
  void Unregister(std::list<std::weak_ptr<Session>>::iterator position) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(position);
  }
  void ConnectionClosed() { connections_.fetch_sub(1, std::memory_order_relaxed); }

  // Runs `post` while the I/O threads may still run handlers; false (and nothing runs) once the
  // server stopped. Lets responders on other threads hand work to a session safely.
  template <typename Function>
  bool IfRunning(Function&& post) {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    post();
    return true;
  }

 private:
  void DoAccept();
  void OnAccept(beast::error_code error, net::io_context& context, tcp::socket socket);
  // Calls `function(session)` for every live session.
  template <typename Function>
  void ForEachSession(Function&& function);

  const HttpServerOptions options_;
  const Handler handler_;
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;                 // used on contexts_[0] only
  std::optional<net::steady_timer> accept_retry_timer_;  // used on contexts_[0] only
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::size_t next_context_ = 0;  // round-robin; used on contexts_[0] only
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> in_flight_{0};  // requests handed to the handler, response not written
  std::atomic<bool> stopping_{false};

  std::mutex stop_mutex_;  // serialises Start and Stop
  bool started_ = false;   // guarded by stop_mutex_
  bool stop_done_ = false;  // guarded by stop_mutex_

  std::mutex mutex_;
  std::condition_variable drained_;  // in_flight_ reached 0 while stopping
  bool stopped_ = false;             // guarded by mutex_: the I/O threads are gone

  std::mutex sessions_mutex_;
  std::list<std::weak_ptr<Session>> sessions_;  // guarded by sessions_mutex_
};

// One connection. All members are used on the connection's io_context thread only, except
// Deliver(), which any thread may call.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` must have been opened on `context`, the io_context this connection lives on.
  Session(std::shared_ptr<HttpServerCore> core, net::io_context& context, tcp::socket&& socket)
      : core_(std::move(core)), executor_(context.get_executor()), stream_(std::move(socket)) {}

  ~Session() {
    if (registered_) core_->Unregister(registration_);
    core_->ConnectionClosed();
  }

  // Called once, on any thread, right after construction.
  void Start() {
    registration_ = core_->Register(weak_from_this());
    registered_ = true;
    net::dispatch(executor_, [self = shared_from_this()] { self->BeginRequest(); });
  }

  // Stop, phase 1: closes the connection unless a request is being handled or answered.
  void OnStopRequested() {
    if (state_ == State::kReading || state_ == State::kLingering) Close();
  }

  // Stop, phase 2 (and the final flush): closes the connection whatever it is doing.
  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  net::io_context::executor_type executor() const { return executor_; }

  // The handler's response to the current request; any thread.
  void Deliver(HttpResponse&& response) {
    if (executor_.running_in_this_thread()) {
      OnResponse(std::move(response));
      return;
    }
    core_->IfRunning([&] {
      net::post(executor_, [self = shared_from_this(), response = std::move(response)]() mutable {
        self->OnResponse(std::move(response));
      });
    });
  }

 private:
  enum class State { kReading, kHandling, kWriting, kLingering, kClosed };

  void BeginRequest() {
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

  // Feeds buffered bytes to the parser; reads more, answers 100-continue, dispatches the request
  // or fails it, as the parser asks.
  void ParseBuffered() {
    while (true) {
      if (buffer_.size() == 0) {
        ReadMore();
        return;
      }
      if (!request_started_) {
        // The request deadline runs from its first byte.
        request_started_ = true;
        stream_.expires_after(core_->options().request_timeout);
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

  void ReadMore() {
    if (!request_started_) stream_.expires_after(core_->options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
          self->OnRead(error, bytes);
        });
  }

  void OnRead(beast::error_code error, std::size_t bytes) {
    if (state_ != State::kReading) return;  // closed meanwhile
    if (error) {
      // EOF between requests, a timeout, a reset or our own Close(): nothing to answer.
      Close();
      return;
    }
    buffer_.commit(bytes);
    ParseBuffered();
  }

  void WriteContinue() {
    net::async_write(stream_, net::buffer(kContinueResponse.data(), kContinueResponse.size()),
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       if (self->state_ != State::kReading) return;
                       if (error) {
                         self->Close();
                         return;
                       }
                       self->ParseBuffered();
                     });
  }

  // Answers a request the parser rejected, then closes the connection.
  void FailRequest(beast::error_code error) {
    ApiError api_error;
    if (error == http::error::body_limit) {
      api_error = MakeApiError(http::status::payload_too_large, "payload_too_large",
                               "request body exceeds " +
                                   std::to_string(core_->options().body_bytes_max) + " bytes");
    } else if (error == http::error::header_limit) {
      api_error = MakeApiError(http::status::request_header_fields_too_large,
                               "header_too_large",
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
    OnResponse(MakeErrorResponse(api_error, 11, /*keep_alive=*/false));
  }

  void Dispatch() {
    state_ = State::kHandling;
    HttpRequest request = parser_->release();
    request_keep_alive_ = request.keep_alive();
    request_version_ = request.version();
    counted_in_flight_ = true;
    core_->RequestStarted();
    stream_.expires_never();  // the handler's time is not the client's
    auto pending = std::make_shared<PendingResponse>(shared_from_this());
    Responder respond = [pending](HttpResponse response) { pending->Deliver(std::move(response)); };
    try {
      core_->handler()(std::move(request), std::move(respond));
    } catch (const std::exception& exception) {
      // A handler must not throw; if it dropped its responder, PendingResponse answers 500.
      spdlog::error("HTTP handler threw: {}", exception.what());
    }
  }

  // The one response a request gets. Shared by every copy of its Responder: the first call is
  // delivered, later calls are dropped (a handler bug), and if every copy is destroyed without a
  // call (a handler bug, or a handler that threw) the client still gets a 500, not a hang.
  class PendingResponse {
   public:
    explicit PendingResponse(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~PendingResponse() {
      if (delivered_.load()) return;
      spdlog::error("HTTP handler dropped a request without responding");
      session_->Deliver(MakeErrorResponse(
          MakeApiError(http::status::internal_server_error, "internal", "internal error"),
          /*http_version=*/11, /*keep_alive=*/false));  // OnResponse sets the request's version
    }
    void Deliver(HttpResponse&& response) {
      if (delivered_.exchange(true)) {
        assert(false && "a Responder was called twice");
        return;
      }
      session_->Deliver(std::move(response));
    }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> delivered_{false};
  };

  void OnResponse(HttpResponse&& response) {
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
    stream_.expires_after(core_->options().request_timeout);
    // One gather write of the serialized header and the body: the responses are small and whole,
    // so Beast's incremental serializer would only add work.
    SerializeHeader(response_, &header_bytes_);
    const std::array<net::const_buffer, 2> buffers = {
        net::buffer(header_bytes_), net::buffer(response_.body().data(), response_.body().size())};
    net::async_write(stream_, buffers,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->OnWrite(error);
                     });
  }

  void OnWrite(beast::error_code error) {
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

  void FinishRequest() {
    if (!counted_in_flight_) return;
    counted_in_flight_ = false;
    core_->RequestFinished();
  }

  // Half-closes, then drops what the client still sends until it closes too (bounded).
  void Linger() {
    state_ = State::kLingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    buffer_.clear();
    lingered_bytes_ = 0;
    ReadAndDrop();
  }

  void ReadAndDrop() {
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
          if (self->state_ != State::kLingering) return;
          self->lingered_bytes_ += bytes;
          if (error || self->lingered_bytes_ > kLingerBytesMax) {
            self->Close();
            return;
          }
          self->ReadAndDrop();
        });
  }

  std::shared_ptr<HttpServerCore> core_;
  net::io_context::executor_type executor_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
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

Status HttpServerCore::Listen() {
  beast::error_code error;
  const net::ip::address address = net::ip::make_address(options_.host, error);
  if (error) {
    return Status::InvalidArgument("HTTP host must be an IP address: '" + options_.host + "'");
  }
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  acceptor_->open(endpoint.protocol(), error);
  if (error) {
    return Status::Unavailable("cannot open a socket for " + where + ": " + error.message());
  }
  acceptor_->set_option(net::socket_base::reuse_address(true), error);
  if (error) {
    return Status::Unavailable("cannot set SO_REUSEADDR on " + where + ": " + error.message());
  }
  acceptor_->bind(endpoint, error);
  if (error) {
    return Status::Unavailable("cannot bind " + where + ": " + error.message());
  }
  acceptor_->listen(net::socket_base::max_listen_connections, error);
  if (error) {
    return Status::Unavailable("cannot listen on " + where + ": " + error.message());
  }
  port_ = acceptor_->local_endpoint(error).port();
  return Status::Ok();
}

void HttpServerCore::Start() {
  std::lock_guard lock(stop_mutex_);
  if (started_ || stop_done_) return;
  started_ = true;
  net::post(*contexts_.front(), [self = shared_from_this()] { self->DoAccept(); });
  for (auto& context : contexts_) {
    threads_.emplace_back([context = context.get()] {
      while (true) {
        try {
          context->run();
          return;
        } catch (const std::exception& exception) {
          spdlog::error("HTTP I/O thread: uncaught exception: {}", exception.what());
        }
      }
    });
  }
}

void HttpServerCore::DoAccept() {
  net::io_context& context = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  acceptor_->async_accept(
      context.get_executor(),
      [self = shared_from_this(), &context](beast::error_code error, tcp::socket socket) {
        self->OnAccept(error, context, std::move(socket));
      });
}

void HttpServerCore::OnAccept(beast::error_code error, net::io_context& context,
                              tcp::socket socket) {
  if (!acceptor_->is_open() || stopping()) return;
  if (error) {
    spdlog::warn("HTTP accept failed: {}", error.message());
    accept_retry_timer_->expires_after(kAcceptRetryDelay);
    accept_retry_timer_->async_wait([self = shared_from_this()](beast::error_code wait_error) {
      if (!wait_error) self->DoAccept();
    });
    return;
  }
  if (connections_.load(std::memory_order_relaxed) >= options_.connections_max) {
    beast::error_code ignored;
    socket.close(ignored);  // over the bound: refuse by closing
  } else {
    connections_.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(shared_from_this(), context, std::move(socket))->Start();
  }
  DoAccept();
}

template <typename Function>
void HttpServerCore::ForEachSession(Function&& function) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    live.reserve(sessions_.size());
    for (const auto& weak : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) function(session);
}

void HttpServerCore::Stop(std::chrono::milliseconds drain_timeout) {
  std::lock_guard stop_lock(stop_mutex_);
  if (stop_done_) return;
  stop_done_ = true;
  stopping_.store(true);
  if (!started_) {
    beast::error_code ignored;
    acceptor_->close(ignored);
    std::lock_guard lock(mutex_);
    stopped_ = true;
    return;
  }
  assert(std::none_of(contexts_.begin(), contexts_.end(),
                      [](const auto& context) { return context->get_executor().running_in_this_thread(); }));

  // 1. No new connections; idle connections close; requests being handled go on.
  net::post(*contexts_.front(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
    accept_retry_timer_->cancel();
  });
  ForEachSession([](const std::shared_ptr<Session>& session) {
    net::post(session->executor(), [session] { session->OnStopRequested(); });
  });

  // 2. Wait (bounded) until every request handed to the handler has its response written.
  {
    std::unique_lock lock(mutex_);
    drained_.wait_for(lock, drain_timeout, [this] { return in_flight_.load() == 0; });
  }
  if (in_flight_.load() != 0) {
    spdlog::warn("HTTP stop: {} request(s) still in flight after the drain timeout",
                 in_flight_.load());
  }

  // 3. Close everything left and stop the I/O threads.
  ForEachSession([](const std::shared_ptr<Session>& session) {
    net::post(session->executor(), [session] { session->Close(); });
  });
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;  // responders on other threads now drop their responses
  }
  for (auto& guard : guards_) guard.reset();
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();

  // 4. No thread runs the contexts now: close what is left and run the completions this aborts,
  // so no handler (and no Session it holds) stays queued.
  ForEachSession([](const std::shared_ptr<Session>& session) { session->Close(); });
  for (auto& context : contexts_) {
    context->restart();
    context->poll();
  }
}

}  // namespace http_server_internal

struct HttpServer::Impl {
  std::shared_ptr<http_server_internal::HttpServerCore> core;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       Handler handler) {
  assert(handler);
  auto core = std::make_shared<http_server_internal::HttpServerCore>(options, std::move(handler));
  if (Status status = core->Listen(); !status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::make_unique<Impl>(Impl{std::move(core)})));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->core->port(); }

void HttpServer::Start() { impl_->core->Start(); }

void HttpServer::Stop(std::chrono::milliseconds drain_timeout) { impl_->core->Stop(drain_timeout); }

}  // namespace estoque::api
