// The HTTP request/response types every handler sees, and the shape of a handler.
#pragma once

#include <functional>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace estoque::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Delivers the response for one request. Must be called exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// A request handler: a function from request to (eventually) a response.
using Handler = std::function<void(HttpRequest&& request, Responder respond)>;

}  // namespace estoque::api
