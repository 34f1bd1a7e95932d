// The HTTP request/response types every handler sees, and the shape of a handler.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/result.h"

namespace estoque::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A response body too large to hold in memory (a backup), produced piece by piece by the
// connection that sends it. The connection calls it on its own I/O thread only, so a Read must
// be short (a bounded read of a local file); it is destroyed once the body was sent, or when the
// connection failed or closed first.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Bytes the body has in all (sent as Content-Length). Constant.
  virtual uint64_t size() const = 0;
  // Writes the next bytes into `buffer` (not empty) and returns how many: more than 0 until
  // size() bytes were produced. An error ends the response: the connection is closed, so the
  // client sees a body shorter than its Content-Length.
  virtual Result<std::size_t> Read(std::span<char> buffer) = 0;
};

// Delivers the response for one request: call it exactly once, from any thread, with a whole
// response, or with a response's status and header fields and a BodySource for its body.
// Copyable (copies share the one delivery). Built from either
//   - a callable taking (HttpResponse, std::unique_ptr<BodySource>) (Responder::Streaming): what
//     a connection passes, and wrappers that must see both forms; or
//   - a callable taking just HttpResponse (tests): a streamed body is then read whole into the
//     response's body first.
class Responder {
 public:
  using Deliver = std::function<void(HttpResponse, std::unique_ptr<BodySource>)>;

  Responder() = default;
  Responder(std::nullptr_t) {}  // NOLINT: implicit, as for std::function
  template <typename Function>
    requires(!std::same_as<std::decay_t<Function>, Responder> && std::invocable<Function&, HttpResponse>)
  Responder(Function function)  // NOLINT: implicit, as for std::function
      : deliver_([function = std::move(function)](HttpResponse response,
                                                  std::unique_ptr<BodySource> body) mutable {
          if (body != nullptr) ReadWhole(*body, response);
          function(std::move(response));
        }) {}
  static Responder Streaming(Deliver deliver) {
    Responder responder;
    responder.deliver_ = std::move(deliver);
    return responder;
  }

  void operator()(HttpResponse response) const { deliver_(std::move(response), nullptr); }
  // `head`'s body must be empty: the source's bytes are the body. A null `body`: `head` is the
  // whole response.
  void operator()(HttpResponse head, std::unique_ptr<BodySource> body) const {
    deliver_(std::move(head), std::move(body));
  }
  explicit operator bool() const { return static_cast<bool>(deliver_); }

 private:
  // For callables that take whole responses: the source's bytes become the body (or, on a read
  // error, the response becomes a 500).
  static void ReadWhole(BodySource& body, HttpResponse& response);

  Deliver deliver_;
};

// A request handler: a function from request to (eventually) a response.
using Handler = std::function<void(HttpRequest&& request, Responder respond)>;

}  // namespace estoque::api
