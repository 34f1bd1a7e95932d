// HttpClient: the transport under the AWS clients. Sends one HTTP request and returns the whole
// response, over libcurl, with:
//   - keep-alive: connections are kept open and reused. The client holds a pool of libcurl
//     handles, each with its own connection cache; a call borrows a handle, so concurrent calls
//     use different connections, and a handle goes back to the pool (up to
//     idle_handles_max) after its call;
//   - a connect timeout and a total timeout on every call;
//   - a bound on the response body;
//   - no proxy: the environment's http_proxy / https_proxy are ignored, so a request goes where
//     the endpoint says (docs/AWS.md).
// It does not retry (retry.h does) and knows nothing of AWS. Thread-safe: any number of threads
// may call Send at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_error.h"
#include "aws/sigv4.h"

namespace estoque::aws {

// DynamoDB's largest response (BatchGetItem) is 16 MB of items plus JSON: a body larger than
// this is refused.
inline constexpr std::size_t kHttpResponseBytesMax = 32u << 20;

struct HttpClientOptions {
  // Time to open a TCP connection (and finish the TLS handshake). The AWS SDKs use 1-2 s.
  std::chrono::milliseconds connect_timeout{2000};
  // Time for the whole call: connect, send, wait, receive. Long enough for a 1 MB Query page
  // under load; short enough that a dead peer is noticed and the call retried.
  std::chrono::milliseconds request_timeout{10000};
  // Idle handles (each holding its open connections) kept between calls. More concurrent calls
  // than this still work; their handles are closed afterwards.
  std::size_t idle_handles_max = 16;
  // Responses larger than this fail with kTransportErrorCode. REQUIRES: > 0.
  std::size_t response_bytes_max = kHttpResponseBytesMax;
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute http(s) URL
  std::vector<HttpHeader> headers;  // sent as given; a Host header replaces curl's own
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // names as received
  std::string body;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and returns the response, whatever its status (a 500 is a response, not an
  // error). An AwsError with http_status 0 when no whole response arrived: kTransportTimeoutCode
  // when a timeout expired, kTransportErrorCode otherwise (refused, reset, DNS, TLS, a response
  // over response_bytes_max, a malformed URL); its message is curl's explanation.
  AwsResult<HttpResponse> Send(const HttpRequest& request);

  // TCP connections opened so far, by every call (a reused connection is not counted): tells a
  // test or a metric whether keep-alive works.
  std::uint64_t connections_opened_total() const { return connections_opened_total_.load(); }

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> Borrow();
  void Return(std::unique_ptr<Handle> handle);

  const HttpClientOptions options_;
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;  // guarded by idle_mutex_
  std::atomic<std::uint64_t> connections_opened_total_{0};
};

}  // namespace estoque::aws
