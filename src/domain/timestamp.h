// Event times of stock positions. Stored as a UTC instant in microseconds since the Unix epoch.
//
// Accepted input formats:
//   "YYYY-MM-DD HH:MM:SS[.ffffff]"          zone-less: read in the given IANA zone
//   "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)" RFC 3339 with an offset ('T' or ' ' separator, 't'/'z' ok)
// Zone-less local times that a DST change makes ambiguous resolve to the earlier instant; times
// that a DST gap skips are rejected (they never happened on that branch's clock).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace date {
class time_zone;
}

namespace estoque::domain {

// A resolved IANA time zone. Cheap to copy; the zone data lives for the whole process.
class TimeZone {
 public:
  // Looks up an IANA name ("America/Sao_Paulo", "UTC"). NotFound if the tz database lacks it.
  static Result<TimeZone> Locate(std::string_view iana_name);
  const date::time_zone* zone() const { return zone_; }
  std::string_view name() const;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
};

// The server's default zone for zone-less times.
inline constexpr std::string_view kDefaultTimeZoneName = "America/Sao_Paulo";

// Parses `text` in either accepted format into UTC microseconds. InvalidArgument with a reason
// for anything else (bad format, impossible date like 2024-02-30, out-of-range offset, a local
// time skipped by DST in `zone`, years outside 1970..9999).
Result<int64_t> ParseTimestampMicros(std::string_view text, const TimeZone& zone);

// "YYYY-MM-DD HH:MM:SS" in `zone` (the seed's wire format; sub-second digits are dropped).
std::string FormatSeedLocalTime(int64_t unix_micros, const TimeZone& zone);

// RFC 3339 in `zone` with its offset: "2024-05-27T21:16:31-03:00", with ".ffffff" only when the
// microseconds are non-zero.
std::string FormatRfc3339(int64_t unix_micros, const TimeZone& zone);

}  // namespace estoque::domain
