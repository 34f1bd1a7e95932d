// BlockingHttpClient: one keep-alive HTTP/1.1 connection to the server, for the command-line
// tools that send a few large requests in order (`estoque import`). Every operation is bounded
// by a timeout.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "load/base_url.h"

namespace estoque::cli {

// Response bodies larger than this are a transport error (the API's are far smaller).
inline constexpr std::size_t kResponseBodyBytesMax = 1024 * 1024;

struct HttpClientOptions {
  load::BaseUrl url;
  // Sent with every request, after Host, Content-Type and User-Agent (an API key, for example).
  std::vector<std::pair<std::string, std::string>> headers;
  // Bound on connecting, and on each request from its first byte sent to its last byte read.
  std::chrono::seconds timeout{60};
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

// Not thread-safe.
class BlockingHttpClient {
 public:
  explicit BlockingHttpClient(HttpClientOptions options);
  ~BlockingHttpClient();
  BlockingHttpClient(const BlockingHttpClient&) = delete;
  BlockingHttpClient& operator=(const BlockingHttpClient&) = delete;

  // Sends `method` `target` (appended to the URL's path prefix) with `body` as application/json
  // (none if empty) and returns the response, whatever its status. Connects first if needed; if a
  // kept-alive connection turns out closed before any byte of the response, reconnects and sends
  // once more. Unavailable (naming the operation) on a transport failure or timeout.
  Result<HttpReply> Send(std::string_view method, std::string_view target, std::string body);

  // Sends GET `target` and, if the answer is 200, hands its body to `sink` piece by piece as it
  // arrives (never whole in memory; the reply's body stays empty); any other answer is returned
  // with its body (up to kResponseBodyBytesMax) and nothing goes to the sink. The timeout bounds
  // connecting and each read, not the whole download. Unavailable on a transport failure or a
  // timeout, also part-way through the body; the sink's first error stops the download and is
  // returned as is. Uses a new connection and closes it afterwards.
  Result<HttpReply> Download(std::string_view target, const std::function<Status(std::string_view)>& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace estoque::cli
