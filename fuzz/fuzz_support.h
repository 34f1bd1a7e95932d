// What every fuzz target shares: the oracle (FUZZ_CHECK), the input as text, and the checks that
// any decoder's error is one of its documented errors and renders as the API's error JSON.
// A failed check prints what broke and aborts; libFuzzer reports that as a crash and saves the
// input (docs/FUZZING.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "api/api_error.h"
#include "domain/timestamp.h"

namespace estoque::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line,
                                     std::string_view message) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::abort();
}

// Aborts with `message` (anything a std::string_view can be made of) unless `condition` holds.
#define FUZZ_CHECK(condition, message)                                           \
  do {                                                                           \
    if (!(condition)) {                                                          \
      ::estoque::fuzz::CheckFailed(#condition, __FILE__, __LINE__, (message));   \
    }                                                                            \
  } while (0)

inline std::string_view AsText(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// True if `text` is one complete JSON value (Boost.JSON: another parser than the decoders'). The
// JSON grammar bounds no number, so Boost.JSON's "exponent overflow" (beyond a double) is no error
// here; nor is nesting deeper than its default bound of 32.
inline bool IsJson(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 1024;
  boost::system::error_code error;
  boost::json::parse(text, error, {}, options);
  return !error || error == boost::json::error::exponent_overflow;
}

// `error` is a 400 whose code is one of `codes`, and its body is valid JSON.
inline void CheckBadRequest(const api::ApiError& error, std::initializer_list<std::string_view> codes) {
  FUZZ_CHECK(error.http_status == boost::beast::http::status::bad_request,
             "status " + std::to_string(static_cast<unsigned>(error.http_status)) + " for " +
                 error.code);
  bool known = false;
  for (std::string_view code : codes) known = known || error.code == code;
  FUZZ_CHECK(known, "undocumented error code " + error.code);
  FUZZ_CHECK(!error.message.empty(), "error " + error.code + " without a message");
  const std::string body = api::RenderApiError(error);
  FUZZ_CHECK(IsJson(body), "error body is not JSON: " + body);
}

// The zones the targets read zone-less times in: the server's default and two others, one
// without DST (America/Manaus) and UTC. Looked up once.
struct Zones {
  domain::TimeZone sao_paulo;
  domain::TimeZone manaus;
  domain::TimeZone utc;

  static const Zones& Get() {
    static const Zones zones{Locate("America/Sao_Paulo"), Locate("America/Manaus"), Locate("UTC")};
    return zones;
  }
  // A branch's zone, as a catalog could hand it out: by the branch's first character.
  domain::TimeZone Of(std::string_view branch) const {
    if (branch.starts_with('M')) return manaus;
    if (branch.starts_with('U')) return utc;
    return sao_paulo;
  }

 private:
  static domain::TimeZone Locate(std::string_view name) {
    Result<domain::TimeZone> zone = domain::TimeZone::Locate(name);
    FUZZ_CHECK(zone.ok(), "time zone " + std::string(name) + " not found (tzdata installed?)");
    return *zone;
  }
};

}  // namespace estoque::fuzz
