#include "load/event_time_text.h"

#include <cassert>
#include <cstring>
#include <string>

namespace estoque::load {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr std::size_t kDateTimeChars = 19;  // "YYYY-MM-DDTHH:MM:SS"

domain::TimeZone LocateUtc() {
  Result<domain::TimeZone> utc = domain::TimeZone::Locate("UTC");
  assert(utc.ok());  // the tz database always has UTC
  return *utc;
}

}  // namespace

EventTimeWriter::EventTimeWriter(TimeFormat format, const domain::TimeZone& zone)
    : format_(format), zone_(zone), utc_(LocateUtc()) {}

char* EventTimeWriter::Write(int64_t time_us, char* p, int64_t* stored_us) {
  assert(time_us >= 0);
  const int64_t second = time_us / kMicrosPerSecond;
  if (second != cached_second_) {
    const int64_t second_us = second * kMicrosPerSecond;
    const std::string text = format_ == TimeFormat::kSeedLocal
                                 ? domain::FormatSeedLocalTime(second_us, zone_)
                                 : domain::FormatRfc3339(second_us, utc_);
    assert(text.size() >= kDateTimeChars);
    std::memcpy(cached_second_text_, text.data(), kDateTimeChars);
    cached_second_ = second;
  }
  *p++ = '"';
  std::memcpy(p, cached_second_text_, kDateTimeChars);
  p += kDateTimeChars;
  if (format_ == TimeFormat::kSeedLocal) {
    *p++ = '"';
    *stored_us = second * kMicrosPerSecond;
    return p;
  }
  *p++ = '.';
  auto micros = static_cast<uint32_t>(time_us % kMicrosPerSecond);
  for (int k = 5; k >= 0; --k, micros /= 10) p[k] = static_cast<char>('0' + micros % 10);
  p += 6;
  *p++ = 'Z';
  *p++ = '"';
  *stored_us = time_us;
  return p;
}

}  // namespace estoque::load
