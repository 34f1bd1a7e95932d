// HttpServer (api/http_server.h) on 127.0.0.1 port 0, driven by a Beast client: keep-alive,
// limits (413, 431, 400), responders on other threads, connection bounds and graceful stop.
#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

namespace estoque::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// A blocking client connection with a receive timeout, so a broken server fails the test instead
// of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(context_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval timeout{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  void Send(const HttpRequest& request) { http::write(socket_, request); }
  void SendRaw(std::string_view bytes) { net::write(socket_, net::buffer(bytes.data(), bytes.size())); }

  // Reads one response; error set (and an empty response) if the connection ended instead.
  HttpResponse Read(beast::error_code* error = nullptr) {
    HttpResponse response;
    beast::error_code ec;
    http::read(socket_, buffer_, response, ec);
    if (error) *error = ec;
    else EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  HttpResponse RoundTrip(http::verb method, std::string target, std::string body = "") {
    HttpRequest request{method, target, 11};
    request.set(http::field::host, "localhost");
    request.body() = std::move(body);
    request.prepare_payload();
    Send(request);
    return Read();
  }

  // True if the server closed the connection (EOF or reset) within the receive timeout.
  bool ClosedByServer() {
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  tcp::socket& socket() { return socket_; }

 private:
  net::io_context context_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

HttpResponse Text(std::string body) {
  HttpResponse response{http::status::ok, 11};
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// A streamed body of `size` bytes (byte i is PatternByte(i)) that fails after `fail_after` bytes
// if given, and sets *destroyed when destroyed.
char PatternByte(std::size_t i) { return static_cast<char>(i * 7 % 251); }

class PatternBody final : public BodySource {
 public:
  PatternBody(uint64_t size, std::optional<uint64_t> fail_after, std::atomic<bool>* destroyed)
      : size_(size), fail_after_(fail_after), destroyed_(destroyed) {}
  ~PatternBody() override { destroyed_->store(true); }
  uint64_t size() const override { return size_; }
  Result<std::size_t> Read(std::span<char> buffer) override {
    if (fail_after_ && produced_ >= *fail_after_) return Status::Unavailable("disk on fire");
    const std::size_t count = static_cast<std::size_t>(std::min<uint64_t>(buffer.size(), size_ - produced_));
    for (std::size_t i = 0; i < count; ++i) buffer[i] = PatternByte(produced_ + i);
    produced_ += count;
    return count;
  }

 private:
  uint64_t size_;
  std::optional<uint64_t> fail_after_;
  std::atomic<bool>* destroyed_;
  uint64_t produced_ = 0;
};

class HttpServerTest : public ::testing::Test {
 protected:
  ~HttpServerTest() override {
    if (server_) server_->Stop(1s);
    std::lock_guard lock(mutex_);
    for (auto& thread : threads_) thread.join();
  }

  void StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    auto server = HttpServer::Create(options, [this](HttpRequest&& request, Responder respond) {
      Handle(std::move(request), std::move(respond));
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_NE(server_->port(), 0);
    server_->Start();
  }

  void Handle(HttpRequest&& request, Responder respond) {
    ++requests_;
    const std::string target(request.target());
    if (target == "/thread" || target == "/slow") {
      const auto delay = target == "/slow" ? 300ms : 0ms;
      std::lock_guard lock(mutex_);
      threads_.emplace_back([respond = std::move(respond), delay] {
        std::this_thread::sleep_for(delay);
        respond(Text("from another thread"));
      });
      return;
    }
    if (target.starts_with("/stream/")) {  // /stream/<size>[/fail/<after>][/thread]
      const uint64_t size = std::stoull(target.substr(8));
      std::optional<uint64_t> fail_after;
      if (const auto at = target.find("/fail/"); at != std::string::npos) fail_after = std::stoull(target.substr(at + 6));
      HttpResponse head{http::status::ok, 11};
      head.set(http::field::content_type, "application/octet-stream");
      auto body = std::make_unique<PatternBody>(size, fail_after, &stream_destroyed_);
      if (target.ends_with("/thread")) {
        std::lock_guard lock(mutex_);
        threads_.emplace_back([respond = std::move(respond), head = std::move(head), body = std::move(body)]() mutable {
          respond(std::move(head), std::move(body));
        });
        return;
      }
      respond(std::move(head), std::move(body));
      return;
    }
    if (target == "/drop") return;  // a buggy handler: never responds
    if (target == "/throw") throw std::runtime_error("handler bug");
    if (target == "/twice") {
      respond(Text("first"));
      return;  // (calling it again would assert in debug builds)
    }
    if (target == "/hold") {
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(respond));
      held_count_.fetch_add(1);
      return;
    }
    respond(Text(std::string(request.method_string()) + " " + target + " " +
                 std::to_string(request.body().size())));
  }

  void WaitForHeld(std::size_t count) {
    for (int i = 0; i < 500 && held_count_.load() < count; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(held_count_.load(), count);
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<Responder> held_;
  std::atomic<std::size_t> held_count_{0};
  std::atomic<bool> stream_destroyed_{false};
};

// True once `flag` is set (within 5 s).
bool Eventually(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag.load(); ++i) std::this_thread::sleep_for(10ms);
  return flag.load();
}

std::string Pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = PatternByte(i);
  return bytes;
}

TEST_F(HttpServerTest, StreamedBodiesAreSentWholeWithTheirLength) {
  StartServer();
  Client client(server_->port());
  for (const std::string target : {"/stream/3000001", "/stream/3000001/thread", "/stream/0"}) {
    stream_destroyed_ = false;
    const HttpResponse response = client.RoundTrip(http::verb::get, target);
    EXPECT_EQ(response.result(), http::status::ok) << target;
    EXPECT_EQ(response[http::field::content_type], "application/octet-stream");
    const std::size_t size = target == "/stream/0" ? 0 : 3000001;
    EXPECT_EQ(response[http::field::content_length], std::to_string(size));
    EXPECT_TRUE(response.body() == Pattern(size)) << target << ": the body differs";
    EXPECT_TRUE(Eventually(stream_destroyed_)) << target;
  }
  // The connection goes on serving after a streamed response.
  EXPECT_EQ(client.RoundTrip(http::verb::get, "/after").body(), "GET /after 0");
}

TEST_F(HttpServerTest, AFailingStreamClosesTheConnectionShortOfItsLength) {
  StartServer();
  Client client(server_->port());
  HttpRequest request{http::verb::get, "/stream/3000000/fail/1000000", 11};
  request.set(http::field::host, "localhost");
  client.Send(request);
  beast::error_code error;
  client.Read(&error);
  EXPECT_TRUE(error) << "a body short of its Content-Length must not read as a whole response";
  EXPECT_TRUE(Eventually(stream_destroyed_));
  EXPECT_TRUE(client.ClosedByServer());
  // Other connections are unaffected.
  Client other(server_->port());
  EXPECT_EQ(other.RoundTrip(http::verb::get, "/x").body(), "GET /x 0");
}

TEST_F(HttpServerTest, AClientThatGoesAwayReleasesTheStream) {
  StartServer();
  {
    Client client(server_->port());
    // Far more than the sockets' buffers hold: the server is still writing when the client goes.
    HttpRequest request{http::verb::get, "/stream/200000000", 11};
    request.set(http::field::host, "localhost");
    client.Send(request);
    char some[1024];
    client.socket().read_some(net::buffer(some));
  }
  EXPECT_TRUE(Eventually(stream_destroyed_));
  Client other(server_->port());
  EXPECT_EQ(other.RoundTrip(http::verb::get, "/x").body(), "GET /x 0");
}

TEST_F(HttpServerTest, ServesKeepAliveRequestsOnOneConnection) {
  StartServer();
  Client client(server_->port());
  for (int i = 0; i < 3; ++i) {
    const HttpResponse response =
        client.RoundTrip(http::verb::post, "/echo/" + std::to_string(i), "abc");
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(response.body(), "POST /echo/" + std::to_string(i) + " 3");
    EXPECT_EQ(response[http::field::server], "estoque");
    EXPECT_EQ(response[http::field::content_type], "application/json");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(requests_.load(), 3);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client client(server_->port());
  client.SendRaw(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
      "GET /thread HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "GET /a 0");
  EXPECT_EQ(client.Read().body(), "POST /b 2");
  EXPECT_EQ(client.Read().body(), "from another thread");
  EXPECT_EQ(client.Read().body(), "GET /c 0");
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveAsked) {
  StartServer();
  Client client(server_->port());
  client.SendRaw("GET /x HTTP/1.0\r\n\r\n");
  const HttpResponse response = client.Read();
  EXPECT_EQ(response.body(), "GET /x 0");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, ChunkedBodies) {
  StartServer();
  Client client(server_->port());
  client.SendRaw(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "POST /chunked 7");
}

TEST_F(HttpServerTest, BodyOverTheLimitGets413ThenClose) {
  StartServer();
  Client client(server_->port());
  HttpRequest request{http::verb::post, "/big", 11};
  request.body() = std::string(2 * 1024 * 1024, 'x');
  request.prepare_payload();
  // The server answers after the header; the client still gets to write its whole body (the
  // server drains it) and then reads the 413.
  std::thread writer([&] {
    beast::error_code ignored;
    http::write(client.socket(), request, ignored);
  });
  const HttpResponse response = client.Read();
  writer.join();
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_NE(response.body().find(R"("code":"payload_too_large")"), std::string::npos);
  EXPECT_NE(response.body().find(R"("details":[])"), std::string::npos);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitGets413) {
  HttpServerOptions options;
  options.body_bytes_max = 1000;
  StartServer(options);
  Client client(server_->port());
  std::string raw = "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw += "1f4\r\n" + std::string(500, 'y') + "\r\n";
  raw += "0\r\n\r\n";
  client.SendRaw(raw);
  EXPECT_EQ(client.Read().result(), http::status::payload_too_large);
}

TEST_F(HttpServerTest, HeaderOverTheLimitGets431) {
  StartServer();
  Client client(server_->port());
  client.SendRaw("GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'h') +
                 "\r\n\r\n");
  const HttpResponse response = client.Read();
  EXPECT_EQ(response.result(), http::status::request_header_fields_too_large);
  EXPECT_NE(response.body().find(R"("code":"header_too_large")"), std::string::npos);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, MalformedRequestGets400ThenClose) {
  StartServer();
  Client client(server_->port());
  client.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  const HttpResponse response = client.Read();
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_NE(response.body().find(R"("code":"bad_request")"), std::string::npos);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, AnswersExpectContinue) {
  StartServer();
  Client client(server_->port());
  client.SendRaw("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  HttpResponse interim = client.Read();
  EXPECT_EQ(interim.result(), http::status::continue_);
  client.SendRaw("body");
  EXPECT_EQ(client.Read().body(), "POST /e 4");
}

TEST_F(HttpServerTest, ResponderMayRunOnAnotherThread) {
  StartServer();
  Client client(server_->port());
  for (int i = 0; i < 3; ++i) {
    const HttpResponse response = client.RoundTrip(http::verb::get, "/thread");
    EXPECT_EQ(response.body(), "from another thread");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(client.RoundTrip(http::verb::get, "/after").body(), "GET /after 0");
}

TEST_F(HttpServerTest, HandlerBugsGet500NotAHang) {
  StartServer();
  for (const char* target : {"/drop", "/throw"}) {
    Client client(server_->port());
    const HttpResponse response = client.RoundTrip(http::verb::get, target);
    EXPECT_EQ(response.result(), http::status::internal_server_error) << target;
    EXPECT_NE(response.body().find(R"("code":"internal")"), std::string::npos);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.ClosedByServer());
  }
  Client client(server_->port());
  EXPECT_EQ(client.RoundTrip(http::verb::get, "/twice").body(), "first");
  EXPECT_EQ(client.RoundTrip(http::verb::get, "/ok").body(), "GET /ok 0");
}

TEST_F(HttpServerTest, ManyConcurrentClients) {
  HttpServerOptions options;
  options.io_threads = 3;
  StartServer(options);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      Client client(server_->port());
      for (int i = 0; i < 50; ++i) {
        const std::string target = (i % 10 == 0) ? "/thread" : "/c" + std::to_string(c);
        const HttpResponse response = client.RoundTrip(http::verb::get, target);
        if (response.result() == http::status::ok) ok.fetch_add(1);
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST_F(HttpServerTest, ConnectionsOverTheBoundAreClosed) {
  HttpServerOptions options;
  options.connections_max = 1;
  StartServer(options);
  Client first(server_->port());
  EXPECT_EQ(first.RoundTrip(http::verb::get, "/1").result(), http::status::ok);
  Client second(server_->port());
  EXPECT_TRUE(second.ClosedByServer());
  EXPECT_EQ(first.RoundTrip(http::verb::get, "/1").result(), http::status::ok);
}

TEST_F(HttpServerTest, IdleConnectionsTimeOut) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(options);
  Client client(server_->port());
  EXPECT_EQ(client.RoundTrip(http::verb::get, "/1").result(), http::status::ok);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpServerTest, SlowRequestsTimeOut) {
  HttpServerOptions options;
  options.request_timeout = 200ms;
  StartServer(options);
  Client client(server_->port());
  client.SendRaw("GET /slowloris HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, StopDrainsInFlightRequests) {
  StartServer();
  Client busy(server_->port());
  Client idle(server_->port());
  EXPECT_EQ(idle.RoundTrip(http::verb::get, "/warm").result(), http::status::ok);

  HttpRequest request{http::verb::get, "/slow", 11};
  request.set(http::field::host, "x");
  busy.Send(request);
  std::this_thread::sleep_for(50ms);  // the request reached the handler
  const auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->Stop(5s); });

  const HttpResponse response = busy.Read();
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "from another thread");
  EXPECT_FALSE(response.keep_alive());  // closing after it
  EXPECT_TRUE(busy.ClosedByServer());
  EXPECT_TRUE(idle.ClosedByServer());
  stopper.join();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 3s);

  // No longer listening.
  net::io_context context;
  tcp::socket socket(context);
  beast::error_code error;
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()), error);
  EXPECT_TRUE(error);
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, StopGivesUpAfterTheDrainTimeout) {
  StartServer();
  Client client(server_->port());
  HttpRequest request{http::verb::get, "/hold", 11};
  client.Send(request);
  WaitForHeld(1);
  const auto started = std::chrono::steady_clock::now();
  server_->Stop(200ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_TRUE(client.ClosedByServer());
  // A responder called after the server stopped (even after it is gone) is harmless.
  server_.reset();
  std::lock_guard lock(mutex_);
  held_.front()(Text("too late"));
  held_.clear();
}

TEST_F(HttpServerTest, StopBeforeStartAndCreateErrors) {
  auto server = HttpServer::Create(HttpServerOptions{.port = 0}, [](HttpRequest&&, Responder r) {
    r(Text(""));
  });
  ASSERT_TRUE(server.ok());
  (*server)->Stop();
  (*server)->Start();  // after Stop: does nothing

  auto bad_host = HttpServer::Create(HttpServerOptions{.host = "not an address"},
                                     [](HttpRequest&&, Responder) {});
  EXPECT_FALSE(bad_host.ok());

  StartServer();
  HttpServerOptions taken;
  taken.port = server_->port();
  auto conflict = HttpServer::Create(taken, [](HttpRequest&&, Responder) {});
  // SO_REUSEADDR does not allow two listeners on one port.
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace estoque::api
