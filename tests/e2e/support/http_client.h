// HttpClient: a small blocking HTTP/1.1 keep-alive client (Boost.Beast) for end-to-end tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

namespace estoque::e2e {

struct HttpResult {
  int status = 0;  // 0: transport error (see body)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // The body parsed as JSON (null if it is not JSON).
  boost::json::value json() const;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();

  // Sends one request on the kept-alive connection (reconnecting if the server closed it).
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {{"Content-Type", "application/json"}});
  HttpResult Get(const std::string& target) { return Request("GET", target); }
  HttpResult Post(const std::string& target, const std::string& body) { return Request("POST", target, body); }
  // Writes raw bytes on a fresh connection and returns the parsed response (or status 0).
  HttpResult Raw(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace estoque::e2e
