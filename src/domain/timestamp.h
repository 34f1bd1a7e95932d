// Event times of stock positions. Stored as a UTC instant in microseconds since the Unix epoch.
//
// Accepted input formats:
//   "YYYY-MM-DD HH:MM:SS[.ffffff]"          zone-less: read in the given IANA zone
//   "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)" RFC 3339 with an offset ('T' or ' ' separator, 't'/'z' ok)
// Field widths are strict (zero-padded). The fraction has 1 to 6 digits: more than 6 (RFC 3339
// allows any number) is rejected rather than silently truncated, since we store microseconds.
// Offsets are -23:59..+23:59 ("-00:00" reads as UTC). Leap seconds (:60) are rejected.
// Zone-less local times that a DST change makes ambiguous resolve to the earlier instant; times
// that a DST gap skips are rejected (they never happened on that branch's clock).
// The whole implementation is hand-written (no iostreams, no regex, no allocation on success):
// ingest parses one timestamp per item.
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
  // Looks up an IANA name ("America/Sao_Paulo", "UTC") in the OS tz database
  // (/usr/share/zoneinfo, loaded once on first use). NotFound if the database lacks it.
  static Result<TimeZone> Locate(std::string_view iana_name);
  const date::time_zone* zone() const { return zone_; }
  std::string_view name() const;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
};

// The server's default zone for zone-less times.
inline constexpr std::string_view kDefaultTimeZoneName = "America/Sao_Paulo";

// Parses `text` in either accepted format into UTC microseconds (>= 0). InvalidArgument with a
// short reason for anything else: bad format ("expected YYYY-MM-DD HH:MM:SS or RFC 3339 with
// offset"), impossible date like 2024-02-30 ("invalid date"), hour/minute/second out of range
// ("invalid time of day"), out-of-range offset ("invalid UTC offset"), more than 6 fraction
// digits, a local time skipped by DST in `zone` ("time does not exist in <zone> (DST gap)"),
// or an instant outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z: "year must be 1970
// to 9999" when the text's year is outside that range or the instant is after it, "before
// 1970-01-01T00:00:00Z" when a 1970 text names an earlier instant (1970-01-01T00:30+01:00).
// A local date of 1969 is fine if it names an instant of 1970 (1969-12-31T21:00:00-03:00, which
// is how FormatRfc3339 writes the epoch in São Paulo). Thread-safe.
Result<int64_t> ParseTimestampMicros(std::string_view text, const TimeZone& zone);

// "YYYY-MM-DD HH:MM:SS" in `zone` (the seed's wire format; sub-second digits are dropped). An
// instant whose local date in `zone` would be in year 10000 is written in UTC instead (as by
// FormatRfc3339). Thread-safe.
std::string FormatSeedLocalTime(int64_t unix_micros, const TimeZone& zone);

// RFC 3339 in `zone` with its offset: "2024-05-27T21:16:31-03:00", with ".ffffff" only when the
// microseconds are non-zero. A zero offset is written "+00:00" (never "Z"). An instant whose local
// date in `zone` would be in year 10000 (the last hours of 9999 east of UTC) is written in UTC.
// Thread-safe. ParseTimestampMicros(FormatRfc3339(t, z), any zone) == t for every t >= 0 before
// year 10000 (UTC).
std::string FormatRfc3339(int64_t unix_micros, const TimeZone& zone);

}  // namespace estoque::domain
