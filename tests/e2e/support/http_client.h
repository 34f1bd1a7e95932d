// HttpClient: a small blocking HTTP/1.1 keep-alive client (Boost.Beast) for end-to-end tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "e2e/support/test_keys.h"

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
  // Sends `api_key` as x-api-key on every request (kTestAdminKey by default; "" sends none)
  // unless a request sets x-api-key or Authorization itself.
  explicit HttpClient(uint16_t port, std::string api_key = kTestAdminKey);
  ~HttpClient();

  // Sends one request on the kept-alive connection (reconnecting if the server closed it).
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {{"Content-Type", "application/json"}});
  HttpResult Get(const std::string& target) { return Request("GET", target); }
  HttpResult Post(const std::string& target, const std::string& body) { return Request("POST", target, body); }
  // Writes raw bytes on a fresh connection and returns the parsed response (or status 0). The
  // bytes are sent as given: no key is added.
  HttpResult Raw(const std::string& bytes);
  void set_api_key(std::string api_key) { api_key_ = std::move(api_key); }
  const std::string& api_key() const { return api_key_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string api_key_;
};

}  // namespace estoque::e2e
