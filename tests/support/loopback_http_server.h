// LoopbackHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for transport tests, where the test
// must control the peer (answer slowly, never, or with a scripted status) in ways no real
// service can be made to. Keeps connections alive, serves each on its own thread, counts the
// connections it accepted, and records every request. Stops in its destructor.
// Header-only so the unit tests link nothing more.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace estoque::test_support {

struct LoopbackRequest {
  std::string request_line;                    // "POST / HTTP/1.1"
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct LoopbackResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class LoopbackHttpServer {
 public:
  // `handler` answers each request (called on the connection's thread); `answer` false: accept
  // connections and read, but never answer (a hung peer).
  explicit LoopbackHttpServer(std::function<LoopbackResponse(const LoopbackRequest&)> handler,
                              bool answer = true)
      : handler_(std::move(handler)), answer_(answer) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("LoopbackHttpServer: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~LoopbackHttpServer() {
    stopping_ = true;
    acceptor_.join();
    close(listen_fd_);
    std::vector<std::thread> connections;
    {
      std::lock_guard lock(mutex_);
      connections.swap(connection_threads_);
    }
    for (std::thread& connection : connections) connection.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int connections_accepted() const { return connections_accepted_.load(); }
  std::vector<LoopbackRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  // Waits up to 20 ms for `fd` to be readable; false on timeout (so loops see stopping_).
  static bool Readable(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return poll(&entry, 1, 20) > 0;
  }

  void AcceptLoop() {
    while (!stopping_) {
      if (!Readable(listen_fd_)) continue;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_accepted_;
      std::lock_guard lock(mutex_);
      connection_threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buffer;
    char chunk[4096];
    while (!stopping_) {
      if (!Readable(fd)) continue;
      const ssize_t got = read(fd, chunk, sizeof(chunk));
      if (got <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(got));
      LoopbackRequest request;
      while (TakeRequest(buffer, &request)) {
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(request);
        }
        if (!answer_) continue;
        const std::string wire = Encode(handler_(request));
        if (write(fd, wire.data(), wire.size()) != static_cast<ssize_t>(wire.size())) break;
      }
    }
    close(fd);
  }

  // Moves one whole request (headers and Content-Length body) from `buffer` into *request.
  static bool TakeRequest(std::string& buffer, LoopbackRequest* request) {
    const std::size_t head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    LoopbackRequest parsed;
    std::size_t line_start = 0;
    bool first = true;
    while (line_start < head_end) {
      const std::size_t line_end = buffer.find("\r\n", line_start);
      const std::string line = buffer.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      if (first) {
        parsed.request_line = line;
        first = false;
        continue;
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t value_start = colon + 1;
      while (value_start < line.size() && line[value_start] == ' ') ++value_start;
      parsed.headers[name] = line.substr(value_start);
    }
    std::size_t body_bytes = 0;
    if (auto it = parsed.headers.find("content-length"); it != parsed.headers.end()) {
      body_bytes = std::stoul(it->second);
    }
    if (buffer.size() < head_end + 4 + body_bytes) return false;
    parsed.body = buffer.substr(head_end + 4, body_bytes);
    buffer.erase(0, head_end + 4 + body_bytes);
    *request = std::move(parsed);
    return true;
  }

  static std::string Encode(const LoopbackResponse& response) {
    std::string wire = "HTTP/1.1 " + std::to_string(response.status) + " Status\r\n";
    for (const auto& [name, value] : response.headers) wire += name + ": " + value + "\r\n";
    wire += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
    wire += response.body;
    return wire;
  }

  const std::function<LoopbackResponse(const LoopbackRequest&)> handler_;
  const bool answer_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_accepted_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> connection_threads_;  // guarded by mutex_
  std::vector<LoopbackRequest> requests_;        // guarded by mutex_
};

}  // namespace estoque::test_support
