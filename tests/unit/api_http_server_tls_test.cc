// HttpServer (api/http_server.h) with TLS on 127.0.0.1 port 0, driven by Beast clients, with a
// self-signed certificate made at run time: TLS 1.2 and 1.3 served, older versions refused, plain
// HTTP and silent clients dropped without disturbing others, keep-alive, limits, close_notify on
// close, the graceful drain, and certificate loading errors.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>

#include "api/http_server.h"
#include "support/self_signed_cert.h"
#include "support/temp_dir.h"

namespace estoque::api {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using test_support::CertificateFiles;
using test_support::MakeSelfSignedCertificate;
using test_support::TempDir;

// Every client operation fails with beast::error::timeout after this, so a broken server fails
// the test instead of hanging it.
constexpr auto kClientTimeout = 5s;

tcp::endpoint Loopback(uint16_t port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
}

// A client context trusting only `ca_file`, speaking TLS versions min_version..max_version.
std::unique_ptr<ssl::context> ClientContext(const std::string& ca_file, int min_version,
                                            int max_version) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  EXPECT_EQ(SSL_CTX_set_min_proto_version(native, min_version), 1);
  EXPECT_EQ(SSL_CTX_set_max_proto_version(native, max_version), 1);
  if (max_version < TLS1_2_VERSION) {
    // OpenSSL 3 itself refuses TLS 1.0/1.1 above security level 0: lower it, so the refusal
    // tested is the server's.
    SSL_CTX_set_security_level(native, 0);
    EXPECT_EQ(SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0"), 1);
  }
  context->load_verify_file(ca_file);
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

// Runs one asynchronous operation of `stream` to completion on `io`, bounded by kClientTimeout.
template <typename Lowest, typename Start>
beast::error_code RunBounded(net::io_context& io, Lowest& lowest, Start&& start) {
  beast::error_code result = net::error::would_block;
  lowest.expires_after(kClientTimeout);
  start([&result](beast::error_code error, auto&&...) { result = error; });
  io.restart();
  io.run();
  return result;
}

// A TLS client connection that verifies the server's certificate for 127.0.0.1.
class TlsClient {
 public:
  TlsClient(uint16_t port, ssl::context& context) : stream_(io_, context) {
    stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    connect_error_ = Run([&](auto done) { tcp().async_connect(Loopback(port), done); });
  }

  beast::error_code Handshake() {
    EXPECT_FALSE(connect_error_) << connect_error_.message();
    return Run([&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); });
  }

  // The negotiated protocol version (TLS1_2_VERSION, TLS1_3_VERSION).
  int Version() { return SSL_version(stream_.native_handle()); }

  HttpResponse Get(const std::string& target, bool keep_alive = true) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(keep_alive);
    return RoundTrip(request);
  }

  HttpResponse RoundTrip(HttpRequest& request) {
    request.prepare_payload();
    const beast::error_code written =
        Run([&](auto done) { http::async_write(stream_, request, done); });
    EXPECT_FALSE(written) << written.message();
    HttpResponse response;
    const beast::error_code read =
        Run([&](auto done) { http::async_read(stream_, buffer_, response, done); });
    EXPECT_FALSE(read) << read.message();
    return response;
  }

  // Waits for the next bytes: eof if the server closed with a TLS close_notify,
  // ssl::error::stream_truncated if it dropped the TCP connection without one.
  beast::error_code NextRead() {
    char byte;
    return Run([&](auto done) { stream_.async_read_some(net::buffer(&byte, 1), done); });
  }

 private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  template <typename Start>
  beast::error_code Run(Start&& start) {
    return RunBounded(io_, tcp(), std::forward<Start>(start));
  }

  net::io_context io_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

// A plain TCP client, to send the TLS port what it does not expect.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : stream_(io_) {
    const beast::error_code error =
        RunBounded(io_, stream_, [&](auto done) { stream_.async_connect(Loopback(port), done); });
    EXPECT_FALSE(error) << error.message();
  }

  void Send(std::string_view bytes) {
    const beast::error_code error = RunBounded(io_, stream_, [&](auto done) {
      net::async_write(stream_, net::buffer(bytes.data(), bytes.size()), done);
    });
    EXPECT_FALSE(error) << error.message();
  }

  // Reads until the connection ends; returns what arrived, and how it ended in `*ended`
  // (beast::error::timeout if the server kept it open for kClientTimeout).
  std::string ReadUntilClosed(beast::error_code* ended) {
    std::string received;
    while (true) {
      char chunk[4096];
      std::size_t got = 0;
      const beast::error_code error = RunBounded(io_, stream_, [&](auto done) {
        stream_.async_read_some(net::buffer(chunk),
                                [&got, done](beast::error_code e, std::size_t n) {
                                  got = n;
                                  done(e);
                                });
      });
      received.append(chunk, got);
      if (error) {
        *ended = error;
        return received;
      }
    }
  }

 private:
  net::io_context io_;
  beast::tcp_stream stream_;
};

bool ClosedByPeer(const beast::error_code& error) {
  return error == net::error::eof || error == net::error::connection_reset;
}

HttpResponse Text(std::string body) {
  HttpResponse response{http::status::ok, 11};
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

class HttpServerTlsTest : public ::testing::Test {
 protected:
  HttpServerTlsTest() : certificate_(MakeSelfSignedCertificate(dir_.path())) {}

  ~HttpServerTlsTest() override {
    if (server_) server_->Stop(1s);
    std::lock_guard lock(mutex_);
    for (auto& thread : threads_) thread.join();
  }

  HttpServerOptions TlsServerOptions() const {
    HttpServerOptions options;
    options.port = 0;
    options.tls = TlsOptions{certificate_.certificate, certificate_.private_key};
    return options;
  }

  void StartServer(HttpServerOptions options) {
    auto server = HttpServer::Create(options, [this](HttpRequest&& request, Responder respond) {
      Handle(std::move(request), std::move(respond));
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    server_->Start();
  }

  void Handle(HttpRequest&& request, Responder respond) {
    ++requests_;
    const std::string target(request.target());
    if (target == "/slow") {
      std::lock_guard lock(mutex_);
      threads_.emplace_back([respond = std::move(respond)] {
        std::this_thread::sleep_for(300ms);
        respond(Text("from another thread"));
      });
      return;
    }
    respond(Text(std::string(request.method_string()) + " " + target + " " +
                 std::to_string(request.body().size())));
  }

  // A client context trusting the test certificate.
  std::unique_ptr<ssl::context> Trusting(int min_version, int max_version) const {
    return ClientContext(certificate_.certificate, min_version, max_version);
  }

  // Asserts a fresh TLS 1.3 connection is served.
  void ExpectServed(const std::string& target) {
    auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
    TlsClient client(server_->port(), *context);
    ASSERT_FALSE(client.Handshake());
    EXPECT_EQ(client.Get(target).body(), "GET " + target + " 0");
  }

  TempDir dir_;
  CertificateFiles certificate_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTlsTest, ServesKeepAliveRequestsOverTls12) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_2_VERSION, TLS1_2_VERSION);
  TlsClient client(server_->port(), *context);
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.Version(), TLS1_2_VERSION);
  for (int i = 0; i < 3; ++i) {
    const HttpResponse response = client.Get("/tls12/" + std::to_string(i));
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(response.body(), "GET /tls12/" + std::to_string(i) + " 0");
    EXPECT_EQ(response[http::field::server], "estoque");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(requests_.load(), 3);
}

TEST_F(HttpServerTlsTest, ServesKeepAliveRequestsOverTls13) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_3_VERSION, TLS1_3_VERSION);
  TlsClient client(server_->port(), *context);
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.Version(), TLS1_3_VERSION);
  for (int i = 0; i < 3; ++i) {
    HttpRequest request{http::verb::post, "/tls13", 11};
    request.body() = std::string(100 + i, 'b');
    EXPECT_EQ(client.RoundTrip(request).body(), "POST /tls13 " + std::to_string(100 + i));
  }
}

TEST_F(HttpServerTlsTest, RefusesTls11) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_1_VERSION, TLS1_1_VERSION);
  TlsClient client(server_->port(), *context);
  const beast::error_code error = client.Handshake();
  ASSERT_TRUE(error);
  // The server answered the TLS 1.1 hello with a protocol_version alert.
  EXPECT_EQ(error.category(), net::error::get_ssl_category()) << error.message();
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(error.value())),
            SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
      << error.message();
  EXPECT_EQ(requests_.load(), 0);
  ExpectServed("/after");
}

TEST_F(HttpServerTlsTest, PlainHttpGetsNoHttpResponseAndOthersAreServed) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsClient established(server_->port(), *context);
  ASSERT_FALSE(established.Handshake());
  EXPECT_EQ(established.Get("/before").body(), "GET /before 0");

  for (const std::string& bytes :
       {std::string("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), std::string(300, '\x16')}) {
    RawClient plain(server_->port());
    plain.Send(bytes);
    beast::error_code ended;
    const std::string received = plain.ReadUntilClosed(&ended);
    EXPECT_TRUE(ClosedByPeer(ended)) << ended.message();
    EXPECT_EQ(received.rfind("HTTP/", 0), std::string::npos) << received;
  }
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_EQ(established.Get("/still").body(), "GET /still 0");  // the same kept-alive connection
  ExpectServed("/new");
}

TEST_F(HttpServerTlsTest, ClientThatNeverHandshakesIsDroppedAfterTheRequestTimeout) {
  HttpServerOptions options = TlsServerOptions();
  options.request_timeout = 200ms;
  StartServer(options);
  for (const std::string& bytes : {std::string(), std::string("\x16\x03\x01\x02\x00", 5)}) {
    RawClient silent(server_->port());
    if (!bytes.empty()) silent.Send(bytes);  // the start of a ClientHello, never finished
    const auto started = std::chrono::steady_clock::now();
    beast::error_code ended;
    EXPECT_EQ(silent.ReadUntilClosed(&ended), "");
    EXPECT_TRUE(ClosedByPeer(ended)) << ended.message();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_GE(elapsed, 150ms);
    EXPECT_LT(elapsed, 3s);
  }
  ExpectServed("/after");
}

TEST_F(HttpServerTlsTest, IdleKeepAliveConnectionTimesOut) {
  HttpServerOptions options = TlsServerOptions();
  options.idle_timeout = 200ms;
  StartServer(options);
  auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsClient client(server_->port(), *context);
  ASSERT_FALSE(client.Handshake());
  EXPECT_EQ(client.Get("/1").result(), http::status::ok);
  const auto started = std::chrono::steady_clock::now();
  const beast::error_code ended = client.NextRead();
  EXPECT_TRUE(ended == ssl::error::stream_truncated || ClosedByPeer(ended)) << ended.message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpServerTlsTest, ConnectionCloseEndsWithCloseNotify) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsClient client(server_->port(), *context);
  ASSERT_FALSE(client.Handshake());
  const HttpResponse response = client.Get("/last", /*keep_alive=*/false);
  EXPECT_EQ(response.body(), "GET /last 0");
  EXPECT_FALSE(response.keep_alive());
  // eof, not stream_truncated: the server ended the TLS session before closing.
  const beast::error_code ended = client.NextRead();
  EXPECT_EQ(ended, net::error::eof) << ended.message();
}

TEST_F(HttpServerTlsTest, LimitsHoldOverTls) {
  HttpServerOptions options = TlsServerOptions();
  options.body_bytes_max = 1000;
  StartServer(options);
  auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsClient client(server_->port(), *context);
  ASSERT_FALSE(client.Handshake());
  HttpRequest request{http::verb::post, "/big", 11};
  // The server answers after the header; the client can still write all of this (and then read
  // the 413) because the lingering server drains it below TLS instead of resetting the connection.
  request.body() = std::string(3 * 1024 * 1024, 'x');
  const HttpResponse response = client.RoundTrip(request);
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_NE(response.body().find(R"("code":"payload_too_large")"), std::string::npos);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.NextRead(), net::error::eof);
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTlsTest, ConcurrentClients) {
  HttpServerOptions options = TlsServerOptions();
  options.io_threads = 3;
  StartServer(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&, c] {
      auto context = Trusting(c % 2 == 0 ? TLS1_2_VERSION : TLS1_3_VERSION, TLS1_3_VERSION);
      TlsClient client(server_->port(), *context);
      if (client.Handshake()) return;
      for (int i = 0; i < 20; ++i) {
        const std::string target = "/c" + std::to_string(c) + "/" + std::to_string(i);
        if (client.Get(target).body() == "GET " + target + " 0") ok.fetch_add(1);
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), 120);
}

TEST_F(HttpServerTlsTest, StopDrainsInFlightTlsRequests) {
  StartServer(TlsServerOptions());
  auto context = Trusting(TLS1_2_VERSION, TLS1_3_VERSION);
  TlsClient idle(server_->port(), *context);
  ASSERT_FALSE(idle.Handshake());
  EXPECT_EQ(idle.Get("/warm").result(), http::status::ok);
  TlsClient busy(server_->port(), *context);
  ASSERT_FALSE(busy.Handshake());

  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);  // the request reached the handler
    server_->Stop(5s);
  });
  const HttpResponse response = busy.Get("/slow");
  EXPECT_EQ(response.body(), "from another thread");
  EXPECT_FALSE(response.keep_alive());  // closing after it
  EXPECT_EQ(busy.NextRead(), net::error::eof);
  const beast::error_code idle_end = idle.NextRead();
  EXPECT_TRUE(idle_end == ssl::error::stream_truncated || ClosedByPeer(idle_end))
      << idle_end.message();
  stopper.join();
}

// Writes the key in `key_file` to `path`, encrypted with a passphrase; returns `path`.
std::string WriteEncryptedKey(const std::string& key_file, const std::string& path) {
  struct FileClose { void operator()(std::FILE* f) const { std::fclose(f); } };
  struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
  std::unique_ptr<std::FILE, FileClose> in(std::fopen(key_file.c_str(), "r"));
  EXPECT_NE(in, nullptr);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(key, nullptr);
  std::unique_ptr<std::FILE, FileClose> out(std::fopen(path.c_str(), "w"));
  EXPECT_NE(out, nullptr);
  static unsigned char passphrase[] = "secret";
  EXPECT_EQ(PEM_write_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), passphrase,
                                 sizeof passphrase - 1, nullptr, nullptr),
            1);
  return path;
}

class HttpServerTlsCreateTest : public ::testing::Test {
 protected:
  // The status of Create with these files (the server is dropped at once).
  Status CreateWith(const std::string& certificate, const std::string& key) {
    HttpServerOptions options;
    options.port = 0;
    options.tls = TlsOptions{certificate, key};
    auto server = HttpServer::Create(options, [](HttpRequest&&, Responder respond) {
      respond(Text(""));
    });
    return server.status();
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  TempDir dir_;
};

TEST_F(HttpServerTlsCreateTest, ValidFilesLoad) {
  const CertificateFiles files = MakeSelfSignedCertificate(dir_.path());
  EXPECT_TRUE(CreateWith(files.certificate, files.private_key).ok());
}

TEST_F(HttpServerTlsCreateTest, BadFilesAreInvalidArgumentsNamingTheFile) {
  const CertificateFiles files = MakeSelfSignedCertificate(dir_.path());
  const CertificateFiles other = MakeSelfSignedCertificate(dir_.path(), "other");
  const std::string missing = dir_.path() + "/missing.pem";
  const std::string garbage = Write("garbage.pem", "not a PEM file\n");
  const std::string encrypted = WriteEncryptedKey(files.private_key, dir_.path() + "/enc.key");
  struct Case {
    std::string certificate, key, file_named, reason;
  };
  const std::vector<Case> cases = {
      {missing, files.private_key, missing, "No such file or directory"},
      {files.certificate, missing, missing, "No such file or directory"},
      {garbage, files.private_key, garbage, "not a PEM certificate"},
      {files.certificate, garbage, garbage, "not an unencrypted PEM private key"},
      {files.private_key, files.certificate, files.private_key, "not a PEM certificate"},  // swap
      {files.certificate, encrypted, encrypted, "not an unencrypted PEM private key"},  // no prompt
      {files.certificate, other.private_key, other.private_key, "does not match the certificate"},
  };
  for (const Case& c : cases) {
    const Status status = CreateWith(c.certificate, c.key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_NE(status.message().find(c.file_named), std::string::npos) << status.ToString();
    EXPECT_NE(status.message().find(c.reason), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(ERR_peek_error(), 0u);  // no OpenSSL error left queued for the next user
}

}  // namespace
}  // namespace estoque::api
