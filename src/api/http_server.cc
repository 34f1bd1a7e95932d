// HttpServer over Boost.Beast: one io_context per I/O thread (a connection lives on one thread for
// its whole life, so its state needs no locks and inline responses need no thread hop), and an
// acceptor handing connections (http_session.h; plain or TLS, tls_context.h) out round-robin. This
// file holds the server's life cycle: listen, start, accept, and the graceful stop.
#include "api/http_server.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "api/http_server_core.h"
#include "api/http_session.h"
#include "api/tls_context.h"

namespace estoque::api {

namespace http_server_internal {

namespace {

// Pause before accepting again after an accept error (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

}  // namespace

HttpServerCore::HttpServerCore(const HttpServerOptions& options, Handler handler,
                               std::unique_ptr<net::ssl::context> tls_context)
    : options_(options), handler_(std::move(handler)), tls_context_(std::move(tls_context)) {
  const std::size_t thread_count = std::max<std::size_t>(1, options_.io_threads);
  for (std::size_t i = 0; i < thread_count; ++i) {
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(*contexts_.back()));
  }
  acceptor_.emplace(*contexts_.front());
  accept_retry_timer_.emplace(*contexts_.front());
}

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
    auto self = shared_from_this();
    if (tls_context_) {
      std::make_shared<Session<TlsStream>>(std::move(self), context, std::move(socket))->Start();
    } else {
      std::make_shared<Session<PlainStream>>(std::move(self), context, std::move(socket))->Start();
    }
  }
  DoAccept();
}

template <typename Function>
void HttpServerCore::ForEachSession(Function&& function) {
  std::vector<std::shared_ptr<Connection>> live;
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
  ForEachSession([](const std::shared_ptr<Connection>& session) {
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
  ForEachSession([](const std::shared_ptr<Connection>& session) {
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
  ForEachSession([](const std::shared_ptr<Connection>& session) { session->Close(); });
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
  std::unique_ptr<boost::asio::ssl::context> tls_context;
  if (options.tls) {
    auto made = http_server_internal::MakeTlsServerContext(*options.tls);
    if (!made.ok()) return made.status();
    tls_context = std::move(made).value();
  }
  auto core = std::make_shared<http_server_internal::HttpServerCore>(options, std::move(handler),
                                                                     std::move(tls_context));
  if (Status status = core->Listen(); !status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::make_unique<Impl>(Impl{std::move(core)})));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->core->port(); }

void HttpServer::Start() { impl_->core->Start(); }

void HttpServer::Stop(std::chrono::milliseconds drain_timeout) { impl_->core->Stop(drain_timeout); }

}  // namespace estoque::api
