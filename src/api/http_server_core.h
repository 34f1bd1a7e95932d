// Internal to the api module (see http_server.h for the contract): the state HttpServer shares
// with its connections (http_session.h) and their responders.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "api/http_server.h"
#include "common/status.h"

namespace estoque::api::http_server_internal {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// What the server needs of one of its connections (http_session.h), whatever its transport.
class Connection {
 public:
  virtual ~Connection() = default;
  // The connection's io_context executor: the other members run there only.
  virtual net::io_context::executor_type executor() const = 0;
  // Stop, phase 1: closes the connection unless a request is being handled or answered.
  virtual void OnStopRequested() = 0;
  // Stop, phase 2 (and the final flush): closes the connection whatever it is doing. Idempotent.
  virtual void Close() = 0;
};

// State shared by the server, its sessions and their responders. Sessions hold it, so the
// io_contexts outlive every socket even when a responder outlives the HttpServer. Thread-safe
// where noted; the acceptor and its timer are used on contexts_[0]'s thread only.
class HttpServerCore : public std::enable_shared_from_this<HttpServerCore> {
 public:
  // `tls_context`: null for plain HTTP; else every connection is TLS with this context.
  HttpServerCore(const HttpServerOptions& options, Handler handler,
                 std::unique_ptr<net::ssl::context> tls_context);

  const HttpServerOptions& options() const { return options_; }
  net::ssl::context* tls_context() const { return tls_context_.get(); }
  const Handler& handler() const { return handler_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Binds and listens (see HttpServer::Create).
  Status Listen();
  uint16_t port() const { return port_; }
  // See HttpServer::Start and HttpServer::Stop. Thread-safe.
  void Start();
  void Stop(std::chrono::milliseconds drain_timeout);

  // Sessions call these, from any thread.
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished() {
    if (in_flight_.fetch_sub(1) == 1 && stopping_.load()) {
      std::lock_guard lock(mutex_);
      drained_.notify_all();
    }
  }
  std::list<std::weak_ptr<Connection>>::iterator Register(std::weak_ptr<Connection> session) {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.insert(sessions_.end(), std::move(session));
  }
  void Unregister(std::list<std::weak_ptr<Connection>>::iterator position) {
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
  // Calls `function(session)` for every live session (a shared_ptr, so it may be kept).
  template <typename Function>
  void ForEachSession(Function&& function);

  const HttpServerOptions options_;
  const Handler handler_;
  const std::unique_ptr<net::ssl::context> tls_context_;  // outlives every session (they hold us)
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
  std::list<std::weak_ptr<Connection>> sessions_;  // guarded by sessions_mutex_
};

}  // namespace estoque::api::http_server_internal
