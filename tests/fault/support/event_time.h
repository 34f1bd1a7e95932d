// Event times of the fault tests' requests: Unix seconds written as RFC 3339 UTC.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace estoque::fault {

// "YYYY-MM-DDTHH:MM:SSZ".
inline std::string Rfc3339Utc(int64_t unix_seconds) {
  const std::time_t seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace estoque::fault
