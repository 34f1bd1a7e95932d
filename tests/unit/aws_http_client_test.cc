// The AWS transport (src/aws/http_client.h) against peers on 127.0.0.1 that the test controls:
// a server that accepts and never answers (timeouts), a closed port (refused), and a keep-alive
// server that counts its connections (reuse, concurrency, the body bound).
#include "aws/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/loopback_http_server.h"

namespace estoque::aws {
namespace {

using test_support::LoopbackHttpServer;
using test_support::LoopbackRequest;
using test_support::LoopbackResponse;

LoopbackResponse Echo(const LoopbackRequest& request) {
  return {200, {{"X-Seen-Target", request.headers.count("x-amz-target") ? request.headers.at("x-amz-target") : ""}},
          request.body};
}

HttpRequest Post(const std::string& url, std::string body) {
  HttpRequest request;
  request.url = url;
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "DynamoDB_20120810.ListTables"}};
  request.body = std::move(body);
  return request;
}

TEST(AwsHttpClient, PostsHeadersAndBodyAndReadsTheResponse) {
  LoopbackHttpServer server(Echo);
  HttpClient client;
  AwsResult<HttpResponse> response = client.Send(Post(server.url(), R"({"a":1})"));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"a":1})");
  EXPECT_EQ(response->Header("x-seen-target"), "DynamoDB_20120810.ListTables");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].request_line, "POST / HTTP/1.1");
  EXPECT_EQ(server.requests()[0].headers.count("expect"), 0u) << "no 100-continue round trip";
}

TEST(AwsHttpClient, AnErrorStatusIsAResponseNotAnError) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse{503, {}, "busy"};
  });
  HttpClient client;
  AwsResult<HttpResponse> response = client.Send(Post(server.url(), "{}"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "busy");
}

TEST(AwsHttpClient, ReusesOneKeepAliveConnectionForSequentialCalls) {
  LoopbackHttpServer server(Echo);
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    AwsResult<HttpResponse> response = client.Send(Post(server.url(), std::to_string(i)));
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    EXPECT_EQ(response->body, std::to_string(i));
  }
  EXPECT_EQ(server.connections_accepted(), 1);
  EXPECT_EQ(client.connections_opened_total(), 1u);
}

TEST(AwsHttpClient, ConcurrentCallsUseSeparateConnectionsAndAllSucceed) {
  LoopbackHttpServer server(Echo);
  HttpClient client;
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 10;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        AwsResult<HttpResponse> response = client.Send(Post(server.url(), body));
        if (response.ok() && response->body == body) ++succeeded;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kThreads * kCallsPerThread);
  // Each thread holds at most one handle at a time: never more connections than threads.
  EXPECT_LE(server.connections_accepted(), kThreads);
  EXPECT_EQ(client.connections_opened_total(),
            static_cast<std::uint64_t>(server.connections_accepted()));
}

TEST(AwsHttpClient, TimesOutOnAPeerThatAcceptsAndNeverAnswers) {
  LoopbackHttpServer silent(Echo, /*answer=*/false);
  HttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  HttpClient client(options);
  const auto started = std::chrono::steady_clock::now();
  AwsResult<HttpResponse> response = client.Send(Post(silent.url(), "{}"));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kTransportTimeoutCode) << response.error().ToString();
  EXPECT_TRUE(response.error().is_transport());
  EXPECT_EQ(response.error().ToStatus().code(), StatusCode::kUnavailable);
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_EQ(silent.requests().size(), 1u) << "the request was sent; the answer never came";
}

TEST(AwsHttpClient, ARefusedConnectionIsATransportError) {
  // A port that was free a moment ago and has no listener.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  close(fd);

  HttpClient client;
  AwsResult<HttpResponse> response =
      client.Send(Post("http://127.0.0.1:" + std::to_string(port) + "/", "{}"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kTransportErrorCode) << response.error().ToString();
  EXPECT_EQ(response.error().http_status, 0);
}

TEST(AwsHttpClient, RefusesAResponseOverTheBodyBound) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse{200, {}, std::string(4096, 'x')};
  });
  HttpClientOptions options;
  options.response_bytes_max = 1000;
  HttpClient client(options);
  AwsResult<HttpResponse> response = client.Send(Post(server.url(), "{}"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kTransportErrorCode);
  EXPECT_NE(response.error().message.find("larger than 1000 bytes"), std::string::npos)
      << response.error().message;
}

TEST(AwsHttpClient, IgnoresTheEnvironmentsProxy) {
  LoopbackHttpServer server(Echo);
  // A proxy that does not exist: a call through it would fail.
  setenv("http_proxy", "http://127.0.0.1:1", 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  HttpClient client;
  AwsResult<HttpResponse> response = client.Send(Post(server.url(), "{}"));
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(server.connections_accepted(), 1);
}

}  // namespace
}  // namespace estoque::aws
