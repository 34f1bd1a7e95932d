#include "e2e/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/algorithm/string/predicate.hpp>

namespace estoque::e2e {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

boost::json::value HttpResult::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return value;
}

struct HttpClient::Impl {
  explicit Impl(uint16_t p) : port(p) {}
  asio::io_context io;
  uint16_t port;
  std::unique_ptr<tcp::socket> socket;
  beast::flat_buffer buffer;

  bool Connect() {
    socket = std::make_unique<tcp::socket>(io);
    boost::system::error_code ec;
    socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    buffer.clear();
    return !ec;
  }

  static HttpResult FromResponse(http::response<http::string_body>& res) {
    HttpResult result;
    result.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.headers[name] = std::string(field.value());
    }
    result.body = std::move(res.body());
    return result;
  }

  HttpResult Once(http::request<http::string_body>& req, bool* retryable) {
    *retryable = false;
    if (!socket && !Connect()) return {0, {}, "connect failed"};
    boost::system::error_code ec;
    http::write(*socket, req, ec);
    if (ec) {
      socket.reset();
      *retryable = true;
      return {0, {}, "write: " + ec.message()};
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(*socket, buffer, parser, ec);
    if (ec) {
      socket.reset();
      *retryable = (ec == http::error::end_of_stream || ec == asio::error::connection_reset);
      return {0, {}, "read: " + ec.message()};
    }
    auto res = parser.release();
    if (!res.keep_alive()) socket.reset();
    return FromResponse(res);
  }
};

HttpClient::HttpClient(uint16_t port, std::string api_key)
    : impl_(std::make_unique<Impl>(port)), api_key_(std::move(api_key)) {}
HttpClient::~HttpClient() = default;

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(true);
  bool has_credentials = false;
  for (const auto& [name, value] : headers) {
    req.set(name, value);
    if (boost::iequals(name, "x-api-key") || boost::iequals(name, "authorization")) has_credentials = true;
  }
  if (!has_credentials && !api_key_.empty()) req.set("x-api-key", api_key_);
  if (!body.empty() || method == "POST") {
    req.body() = body;
    req.prepare_payload();
  }
  bool retryable = false;
  HttpResult result = impl_->Once(req, &retryable);
  if (result.status == 0 && retryable) result = impl_->Once(req, &retryable);  // server closed an idle connection
  return result;
}

HttpResult HttpClient::Raw(const std::string& bytes) {
  Impl fresh(impl_->port);
  if (!fresh.Connect()) return {0, {}, "connect failed"};
  boost::system::error_code ec;
  asio::write(*fresh.socket, asio::buffer(bytes), ec);
  if (ec) return {0, {}, "write: " + ec.message()};
  http::response_parser<http::string_body> parser;
  http::read(*fresh.socket, fresh.buffer, parser, ec);
  if (ec) return {0, {}, "read: " + ec.message()};
  auto res = parser.release();
  return Impl::FromResponse(res);
}

}  // namespace estoque::e2e
