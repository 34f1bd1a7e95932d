// Fuzz target: the request -> handler path. Every input is one HTTP request handed to an
// api::ApiService over the real embedded backend (service_fixture.h); state carries over between
// inputs, as on a server. The input is a request in HTTP/1.1's shape, lines ending in LF:
//
//   METHOD TARGET [HTTP/1.0]      method: GET POST PUT DELETE PATCH HEAD OPTIONS (any other word
//   name: value                   picks one of them by its first byte); target: any bytes, those
//   ...                           an HTTP parser would refuse sent percent-encoded
//   <empty line>
//   body (the rest, as is)
//
// Header lines that are not valid HTTP fields are dropped (the server's parser would refuse
// them). Checks: the service answers exactly once, within seconds, never with 500; the answer is
// well-formed (version and keep-alive of the request, Content-Length, a JSON body with
// Content-Type application/json, an error object on errors, Allow on 405); a body that is not
// JSON (by Boost.JSON) is never accepted by a route that reads it; an accepted (202) write is
// applied by the worker without failure.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "fuzz_support.h"
#include "service_fixture.h"

namespace estoque::fuzz {
namespace {

namespace http = boost::beast::http;

constexpr auto kAnswerBudget = std::chrono::seconds(10);

// The headers a test client adds to every request: the place to give it an API key (x-api-key)
// once the service requires one. An input's own header of the same name wins.
void AddClientHeaders(api::HttpRequest& request) { (void)request; }

constexpr http::verb kMethods[] = {http::verb::get,   http::verb::post, http::verb::put,
                                   http::verb::delete_, http::verb::patch, http::verb::head,
                                   http::verb::options};

std::string_view Std(boost::beast::string_view text) { return {text.data(), text.size()}; }
boost::beast::string_view Beast(std::string_view text) { return {text.data(), text.size()}; }

http::verb MethodOf(std::string_view word) {
  for (http::verb method : kMethods) {
    if (Std(http::to_string(method)) == word) return method;
  }
  return kMethods[word.empty() ? 0 : static_cast<unsigned char>(word[0]) % std::size(kMethods)];
}

bool IsTokenChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A request-target as the server's parser lets it through: bytes it refuses (controls, space,
// DEL) become %XX.
std::string CleanTarget(std::string_view raw) {
  std::string target;
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte != 0x7f) {
      target += c;
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      target += '%';
      target += kHex[byte >> 4];
      target += kHex[byte & 15];
    }
  }
  return target.empty() ? "/" : target;
}

// Takes the next line (without its LF and a CR before it) off *rest.
std::string_view TakeLine(std::string_view* rest) {
  const std::size_t end = rest->find('\n');
  std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

void AddHeader(api::HttpRequest& request, std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return;
  const std::string_view name = line.substr(0, colon);
  for (const char c : name) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return;
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return;
  }
  request.insert(Beast(name), Beast(value));
}

api::HttpRequest ParseRequest(std::string_view input) {
  std::string_view rest = input;
  std::string_view request_line = TakeLine(&rest);
  const std::size_t space = request_line.find(' ');
  const std::string_view method_word = request_line.substr(0, space);
  std::string_view target = space == std::string_view::npos ? "" : request_line.substr(space + 1);
  unsigned version = 11;
  if (target.ends_with(" HTTP/1.0")) {
    version = 10;
    target.remove_suffix(9);
  } else if (target.ends_with(" HTTP/1.1")) {
    target.remove_suffix(9);
  }
  api::HttpRequest request(MethodOf(method_word), CleanTarget(target), version);
  while (!rest.empty()) {
    const std::string_view line = TakeLine(&rest);
    if (line.empty()) break;
    AddHeader(request, line);
  }
  request.body().assign(rest);
  if (!rest.empty() && request.find(http::field::content_length) == request.end() &&
      request.find(http::field::transfer_encoding) == request.end()) {
    request.content_length(rest.size());
  }
  AddClientHeaders(request);
  return request;
}

// True if `body` is neither blank nor one JSON value, by another parser than the decoders'
// (Boost.JSON; a number beyond a double's range is not held against the body).
bool IsBrokenJson(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return false;
  boost::json::parse_options options;
  options.max_depth = 1024;
  boost::system::error_code error;
  boost::json::parse(body, error, {}, options);
  return error && error != boost::json::error::exponent_overflow;
}

// True if the route of `method` `target` reads the request body: POST and PUT, except the two
// reservation steps (their body is ignored).
bool ReadsBody(http::verb method, std::string_view target) {
  if (method != http::verb::post && method != http::verb::put) return false;
  const std::string_view path = target.substr(0, target.find('?'));
  return !path.ends_with("/confirmacao") && !path.ends_with("/liberacao");
}

// One answer, delivered from any thread.
struct Answer {
  std::mutex mutex;
  std::condition_variable answered;
  int calls = 0;
  api::HttpResponse response;
};

void CheckResponse(const api::HttpResponse& response, unsigned version, bool keep_alive,
                   std::string_view request_text) {
  const std::string what = std::to_string(response.result_int()) + " " + response.body() +
                           "\nfor: " + std::string(request_text.substr(0, 400));
  FUZZ_CHECK(response.result_int() >= 200 && response.result_int() <= 599, what);
  FUZZ_CHECK(response.result() != http::status::internal_server_error, what);
  FUZZ_CHECK(response.version() == version, what);
  FUZZ_CHECK(response.keep_alive() == keep_alive, what);
  if (response.result() == http::status::no_content) {
    FUZZ_CHECK(response.body().empty(), what);
    return;
  }
  FUZZ_CHECK(Std(response[http::field::content_type]).starts_with("application/json"), what);
  FUZZ_CHECK(Std(response[http::field::content_length]) == std::to_string(response.body().size()),
             what);
  boost::system::error_code error;
  const boost::json::value body = boost::json::parse(response.body(), error);
  FUZZ_CHECK(!error, "body is not JSON: " + what);
  if (response.result_int() >= 400) {
    const boost::json::object* root = body.if_object();
    const boost::json::value* error_object = root ? root->if_contains("error") : nullptr;
    FUZZ_CHECK(error_object && error_object->is_object() &&
                   error_object->as_object().if_contains("code") &&
                   error_object->as_object().at("code").is_string(),
               "error without an error object: " + what);
  }
  if (response.result() == http::status::method_not_allowed) {
    FUZZ_CHECK(!response[http::field::allow].empty(), "405 without Allow: " + what);
  }
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque;
  using namespace estoque::fuzz;
  ServiceFixture& fixture = ServiceFixture::Get();
  const std::string_view input = AsText(data, size);
  api::HttpRequest request = ParseRequest(input);
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const bool broken_body =
      ReadsBody(request.method(), Std(request.target())) && IsBrokenJson(request.body());

  auto answer = std::make_shared<Answer>();
  fixture.service().Handle(std::move(request), [answer](api::HttpResponse response) {
    std::lock_guard lock(answer->mutex);
    ++answer->calls;
    FUZZ_CHECK(answer->calls == 1, "the service answered twice");
    answer->response = std::move(response);
    answer->answered.notify_all();
  });
  {
    std::unique_lock lock(answer->mutex);
    FUZZ_CHECK(answer->answered.wait_for(lock, kAnswerBudget, [&] { return answer->calls > 0; }),
               "no answer within 10 s");
  }
  // The answer is complete; a late second call would still be caught above.
  CheckResponse(answer->response, version, keep_alive, input);
  const unsigned status = answer->response.result_int();
  FUZZ_CHECK(!broken_body || status < 200 || status >= 300,
             "accepted a body that is not JSON: " + std::to_string(status) + " " +
                 answer->response.body() + "\nfor: " + std::string(input.substr(0, 400)));
  if (answer->response.result() == boost::beast::http::status::accepted) {
    FUZZ_CHECK(fixture.DrainQueue(kAnswerBudget), "an accepted message was not applied in 10 s");
  }
  FUZZ_CHECK(fixture.worker().failures() == 0, "the worker failed to apply an accepted message");
  return 0;
}
