// HttpsGet: one GET over HTTPS with libcurl, a client independent of the server's Beast code, for
// end-to-end tests. It verifies the server's certificate chain and name the way a real client
// does, against a given CA file only.
#pragma once

#include <string>

#include "e2e/support/test_keys.h"

namespace estoque::e2e {

struct HttpsResult {
  long status = 0;    // 0: no HTTP response (see error)
  std::string body;
  std::string error;  // curl's message when the transfer failed
};

// GETs `url` (https://127.0.0.1:PORT/...), trusting only the certificates in `ca_file`, with TLS
// 1.2 or newer, ignoring any proxy settings, within 10 s, sending `api_key` as x-api-key (the
// e2e servers' admin key by default; "" sends none). Thread-safe.
HttpsResult HttpsGet(const std::string& url, const std::string& ca_file,
                     const std::string& api_key = kTestAdminKey);

}  // namespace estoque::e2e
