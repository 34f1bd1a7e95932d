// The quoted event time of a load item, written straight into a body being built. Shared by the
// position and the sale body builders so that both send the same wire formats.
#pragma once

#include <cstddef>
#include <cstdint>

#include "domain/timestamp.h"

namespace estoque::load {

// How items carry their event time.
enum class TimeFormat {
  // "2024-05-28T00:16:31.123456Z" (UTC, microseconds).
  kRfc3339Micros,
  // The seed's PDVs: "2024-05-27 21:16:31", local time in the given zone, whole seconds.
  kSeedLocal,
};

// Not thread-safe: one per body builder. Caches the formatted second, so consecutive times cost
// a memcpy and six digits.
class EventTimeWriter {
 public:
  // Most chars Write emits: the quotes around "YYYY-MM-DDTHH:MM:SS.ffffffZ".
  static constexpr std::size_t kQuotedCharsMax = 2 + 27;

  // `zone` is used for kSeedLocal only.
  EventTimeWriter(TimeFormat format, const domain::TimeZone& zone);

  TimeFormat format() const { return format_; }

  // Writes the quoted text of `time_us` (UTC microseconds, >= 0) at `p` and returns the end
  // (at most kQuotedCharsMax chars). *stored_us gets the instant the server will read back: the
  // time itself, or its whole second for kSeedLocal.
  char* Write(int64_t time_us, char* p, int64_t* stored_us);

 private:
  const TimeFormat format_;
  const domain::TimeZone zone_;
  const domain::TimeZone utc_;
  // The formatted "YYYY-MM-DDTHH:MM:SS" (or seed "YYYY-MM-DD HH:MM:SS") of cached_second_.
  int64_t cached_second_ = -1;
  char cached_second_text_[19] = {};
};

}  // namespace estoque::load
