#include "cli/http_client.h"

#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace estoque::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ErrorCode = boost::system::error_code;

namespace {

// Bytes of a downloaded body handed to the sink at a time.
constexpr std::size_t kDownloadChunkBytes = 256 * 1024;

}  // namespace

struct BlockingHttpClient::Impl {
  explicit Impl(HttpClientOptions options_in) : options(std::move(options_in)), stream(io) {}

  // Runs the asynchronous operation started by `start` (which stores its result in `*error`) to
  // completion: Beast's timeouts apply to asynchronous operations only.
  template <typename Start>
  ErrorCode Run(Start start) {
    ErrorCode error;
    start(&error);
    io.restart();
    io.run();
    return error;
  }

  Status Connect() {
    ErrorCode error;
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(options.url.host, options.url.port, error);
    if (error) return Status::Unavailable("resolve " + options.url.host + ": " + error.message());
    stream.expires_after(options.timeout);
    error = Run([&](ErrorCode* result) {
      stream.async_connect(endpoints, [result](ErrorCode e, const auto&) { *result = e; });
    });
    if (error) {
      return Status::Unavailable("connect to " + options.url.host_header + ": " + error.message());
    }
    connected = true;
    return Status::Ok();
  }

  void Close() {
    ErrorCode ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
    buffer.clear();
  }

  // One exchange on the current connection. *nothing_read is set when the failure happened before
  // any byte of the response (a stale kept-alive connection).
  Result<HttpReply> Exchange(const http::request<http::string_body>& request, bool* nothing_read) {
    *nothing_read = true;
    stream.expires_after(options.timeout);
    ErrorCode error = Run([&](ErrorCode* result) {
      http::async_write(stream, request, [result](ErrorCode e, std::size_t) { *result = e; });
    });
    if (error) return Status::Unavailable("send: " + error.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyBytesMax);
    error = Run([&](ErrorCode* result) {
      http::async_read(stream, buffer, parser, [result](ErrorCode e, std::size_t) { *result = e; });
    });
    if (error) {
      *nothing_read = parser.got_some() == false && (error == http::error::end_of_stream ||
                                                     error == asio::error::connection_reset ||
                                                     error == asio::error::eof);
      return Status::Unavailable("receive: " + error.message());
    }
    const auto& response = parser.get();
    HttpReply reply;
    reply.status = response.result_int();
    reply.body = response.body();
    if (auto header = response.find(http::field::retry_after); header != response.end()) {
      reply.retry_after = std::string(header->value());
    }
    if (!response.keep_alive()) Close();
    return reply;
  }

  HttpClientOptions options;
  asio::io_context io;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

Result<HttpReply> BlockingHttpClient::Download(std::string_view target,
                                               const std::function<Status(std::string_view)>& sink) {
  Impl& impl = *impl_;
  if (impl.connected) impl.Close();
  http::request<http::empty_body> request;
  request.method(http::verb::get);
  request.target(impl.options.url.path_prefix + std::string(target));
  request.version(11);
  request.set(http::field::host, impl.options.url.host_header);
  request.set(http::field::user_agent, "estoque-cli");
  for (const auto& [name, value] : impl.options.headers) request.set(name, value);
  request.keep_alive(false);
  if (Status connected = impl.Connect(); !connected.ok()) return connected;
  struct Closer {
    Impl& impl;
    ~Closer() { impl.Close(); }
  } closer{impl};

  impl.stream.expires_after(impl.options.timeout);
  ErrorCode error = impl.Run([&](ErrorCode* result) {
    http::async_write(impl.stream, request, [result](ErrorCode e, std::size_t) { *result = e; });
  });
  if (error) return Status::Unavailable("send: " + error.message());
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  impl.stream.expires_after(impl.options.timeout);
  error = impl.Run([&](ErrorCode* result) {
    http::async_read_header(impl.stream, impl.buffer, parser, [result](ErrorCode e, std::size_t) { *result = e; });
  });
  if (error) return Status::Unavailable("receive: " + error.message());
  HttpReply reply;
  reply.status = parser.get().result_int();
  if (auto header = parser.get().find(http::field::retry_after); header != parser.get().end()) {
    reply.retry_after = std::string(header->value());
  }
  std::vector<char> chunk(kDownloadChunkBytes);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    impl.stream.expires_after(impl.options.timeout);
    error = impl.Run([&](ErrorCode* result) {
      http::async_read_some(impl.stream, impl.buffer, parser, [result](ErrorCode e, std::size_t) { *result = e; });
    });
    if (error == http::error::need_buffer) error = {};
    if (error) return Status::Unavailable("receive: " + error.message());
    const std::string_view piece(chunk.data(), chunk.size() - parser.get().body().size);
    if (piece.empty()) continue;
    if (reply.status == 200) {
      if (Status s = sink(piece); !s.ok()) return s;
    } else if (reply.body.size() < kResponseBodyBytesMax) {
      reply.body.append(piece.substr(0, kResponseBodyBytesMax - reply.body.size()));
    }
  }
  return reply;
}

BlockingHttpClient::BlockingHttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

BlockingHttpClient::~BlockingHttpClient() {
  if (impl_->connected) impl_->Close();
}

Result<HttpReply> BlockingHttpClient::Send(std::string_view method, std::string_view target,
                                           std::string body) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(impl_->options.url.path_prefix + std::string(target));
  request.version(11);
  request.set(http::field::host, impl_->options.url.host_header);
  request.set(http::field::user_agent, "estoque-cli");
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : impl_->options.headers) request.set(name, value);
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();

  const bool reused = impl_->connected;
  if (!impl_->connected) {
    if (Status connected = impl_->Connect(); !connected.ok()) return connected;
  }
  bool nothing_read = false;
  Result<HttpReply> reply = impl_->Exchange(request, &nothing_read);
  if (reply.ok()) return reply;
  impl_->Close();
  if (!reused || !nothing_read) return reply;
  // The server closed the idle connection: nothing was processed; send again on a new one.
  if (Status connected = impl_->Connect(); !connected.ok()) return connected;
  reply = impl_->Exchange(request, &nothing_read);
  if (!reply.ok()) impl_->Close();
  return reply;
}

}  // namespace estoque::cli
