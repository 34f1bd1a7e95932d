#include "domain/timestamp.h"

#include <date/tz.h>

#include <chrono>
#include <exception>

namespace estoque::domain {

namespace {

constexpr int kYearMin = 1970;
constexpr int kYearMax = 9999;
constexpr int kFractionDigitsMax = 6;  // microseconds: the stored resolution
constexpr int kOffsetHoursMax = 23;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
// The last second of the accepted instants, 9999-12-31T23:59:59Z (DaysFromCivil(10000, 1, 1) *
// kSecondsPerDay - 1).
constexpr int64_t kLastSecond = 253'402'300'799;

constexpr std::string_view kFormatReason = "expected YYYY-MM-DD HH:MM:SS or RFC 3339 with offset";

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
// REQUIRES: month in 1..12, day valid for the month.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month, day;
};

// Inverse of DaysFromCivil (H. Hinnant's civil_from_days).
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2), month, day};
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(int year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Reads exactly `width` ASCII digits at text[*pos]; false if any is missing or not a digit.
bool ReadFixedDigits(std::string_view text, std::size_t* pos, int width, int* value) {
  if (text.size() - *pos < static_cast<std::size_t>(width)) return false;
  int v = 0;
  for (int k = 0; k < width; ++k) {
    const char c = text[*pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += width;
  *value = v;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// The offset of `zone` in effect at `sys`. Caches the last period per thread: consecutive calls
// nearly always fall in the same DST period, and get_info is a binary search plus a string copy.
std::chrono::seconds OffsetAt(const date::time_zone* zone, date::sys_seconds sys) {
  struct Cache {
    const date::time_zone* zone = nullptr;
    date::sys_seconds begin, end;
    std::chrono::seconds offset{0};
  };
  thread_local Cache cache;
  if (cache.zone != zone || sys < cache.begin || sys >= cache.end) {
    const date::sys_info info = zone->get_info(sys);
    cache = {zone, info.begin, info.end, info.offset};
  }
  return cache.offset;
}

// Resolves a local time in `zone` to UTC seconds: the earlier instant when ambiguous, false when
// the local time does not exist (DST gap).
bool LocalToSys(const date::time_zone* zone, date::local_seconds local, date::sys_seconds* sys) {
  // Per-thread cache of a period whose local times are unambiguous: offsets differ by less than
  // a day, so a local time mapping at least a day inside one period belongs to no other.
  struct Cache {
    const date::time_zone* zone = nullptr;
    date::sys_seconds safe_begin, safe_end;
    std::chrono::seconds offset{0};
  };
  thread_local Cache cache;
  if (cache.zone == zone) {
    const date::sys_seconds candidate{local.time_since_epoch() - cache.offset};
    if (candidate >= cache.safe_begin && candidate < cache.safe_end) {
      *sys = candidate;
      return true;
    }
  }
  const date::local_info info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      return false;
    case date::local_info::ambiguous:
      // `first` is the period that ends at the transition: the earlier of the two instants.
      *sys = date::sys_seconds{local.time_since_epoch() - info.first.offset};
      return true;
    case date::local_info::unique:
    default:
      break;
  }
  *sys = date::sys_seconds{local.time_since_epoch() - info.first.offset};
  const date::days margin{1};
  cache = {zone, info.first.begin + margin, info.first.end - margin, info.first.offset};
  return true;
}

// Writes `value` as exactly `width` zero-padded digits ending at *p (moving *p backwards).
void PutDigitsBackwards(char** p, int64_t value, int width) {
  for (int k = 0; k < width; ++k) {
    *--*p = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

struct LocalFields {
  CivilDate date;
  int64_t second_of_day;
  int64_t micros;
};

LocalFields SplitLocal(int64_t local_micros) {
  int64_t seconds = local_micros / kMicrosPerSecond;
  int64_t micros = local_micros % kMicrosPerSecond;
  if (micros < 0) micros += kMicrosPerSecond, --seconds;
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) second_of_day += kSecondsPerDay, --days;
  return {CivilFromDays(days), second_of_day, micros};
}

// "YYYY-MM-DD?HH:MM:SS" into buffer[0..19), with `separator` between date and time.
void PutDateTime(char* buffer, const LocalFields& f, char separator) {
  char* p = buffer + 19;
  PutDigitsBackwards(&p, f.second_of_day % 60, 2);
  *--p = ':';
  PutDigitsBackwards(&p, f.second_of_day / 60 % 60, 2);
  *--p = ':';
  PutDigitsBackwards(&p, f.second_of_day / 3600, 2);
  *--p = separator;
  PutDigitsBackwards(&p, f.date.day, 2);
  *--p = '-';
  PutDigitsBackwards(&p, f.date.month, 2);
  *--p = '-';
  PutDigitsBackwards(&p, f.date.year, 4);
}

// The UTC offset the formatters write `unix_micros` with: `zone`'s, unless the local time would
// fall after year 9999 (the last hours of 9999 east of UTC), which four year digits cannot
// hold: then 0, UTC.
int64_t WrittenOffset(int64_t unix_micros, const TimeZone& zone) {
  int64_t seconds = unix_micros / kMicrosPerSecond;
  if (unix_micros % kMicrosPerSecond < 0) --seconds;
  const int64_t offset =
      OffsetAt(zone.zone(), date::sys_seconds{std::chrono::seconds{seconds}}).count();
  return seconds + offset > kLastSecond ? 0 : offset;
}

}  // namespace

Result<TimeZone> TimeZone::Locate(std::string_view iana_name) {
  try {
    return TimeZone(date::locate_zone(std::string(iana_name)));
  } catch (const std::exception&) {
    return Status::NotFound("unknown time zone: " + std::string(iana_name));
  }
}

std::string_view TimeZone::name() const { return zone_->name(); }

Result<int64_t> ParseTimestampMicros(std::string_view text, const TimeZone& zone) {
  const auto format_error = [] { return Status::InvalidArgument(std::string(kFormatReason)); };
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixedDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &day)) {
    return format_error();
  }
  if (pos >= text.size()) return format_error();
  const char separator = text[pos++];
  const bool rfc3339_separator = separator == 'T' || separator == 't';
  if (!rfc3339_separator && separator != ' ') return format_error();
  if (!ReadFixedDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &second)) {
    return format_error();
  }
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > kFractionDigitsMax) {
        return Status::InvalidArgument("more than 6 fractional second digits");
      }
      micros = micros * 10 + (text[pos++] - '0');
    }
    if (digits == 0) return format_error();
    for (int k = digits; k < kFractionDigitsMax; ++k) micros *= 10;
  }
  bool has_offset = false;
  int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char designator = text[pos++];
    if (designator == 'Z' || designator == 'z') {
      has_offset = true;
    } else if (designator == '+' || designator == '-') {
      int offset_hours, offset_minutes;
      if (!ReadFixedDigits(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ':') ||
          !ReadFixedDigits(text, &pos, 2, &offset_minutes)) {
        return format_error();
      }
      if (offset_hours > kOffsetHoursMax || offset_minutes > 59) {
        return Status::InvalidArgument("invalid UTC offset");
      }
      has_offset = true;
      offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (designator == '-' ? -1 : 1);
    } else {
      return format_error();
    }
    if (pos != text.size()) return format_error();
  }
  if (rfc3339_separator && !has_offset) return format_error();

  // The range is checked on the instant below; a local date in 1969 may still name an instant of
  // 1970 (our own output for the first hours of 1970 in a zone west of UTC is one).
  const auto year_error = [] { return Status::InvalidArgument("year must be 1970 to 9999"); };
  if (year < kYearMin - 1 || year > kYearMax) return year_error();
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return Status::InvalidArgument("invalid date");
  }
  if (hour > 23 || minute > 59 || second > 59) return Status::InvalidArgument("invalid time of day");

  const int64_t local_seconds =
      DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  int64_t utc_seconds;
  if (has_offset) {
    utc_seconds = local_seconds - offset_seconds;
  } else {
    date::sys_seconds sys;
    if (!LocalToSys(zone.zone(), date::local_seconds{std::chrono::seconds{local_seconds}}, &sys)) {
      return Status::InvalidArgument("time does not exist in " + std::string(zone.name()) +
                                     " (DST gap)");
    }
    utc_seconds = sys.time_since_epoch().count();
  }
  if (utc_seconds < 0) {
    return year < kYearMin ? year_error() : Status::InvalidArgument("before 1970-01-01T00:00:00Z");
  }
  if (utc_seconds > kLastSecond) return year_error();  // e.g. 9999-12-31T23:00:00-03:00
  return utc_seconds * kMicrosPerSecond + micros;
}

std::string FormatSeedLocalTime(int64_t unix_micros, const TimeZone& zone) {
  const LocalFields fields =
      SplitLocal(unix_micros + WrittenOffset(unix_micros, zone) * kMicrosPerSecond);
  char buffer[19];
  PutDateTime(buffer, fields, ' ');
  return std::string(buffer, sizeof(buffer));
}

std::string FormatRfc3339(int64_t unix_micros, const TimeZone& zone) {
  const int64_t offset_seconds = WrittenOffset(unix_micros, zone);
  const LocalFields fields = SplitLocal(unix_micros + offset_seconds * kMicrosPerSecond);
  // "YYYY-MM-DDTHH:MM:SS" + ".ffffff" + "+HH:MM"
  char buffer[19 + 7 + 6];
  PutDateTime(buffer, fields, 'T');
  std::size_t size = 19;
  if (fields.micros != 0) {
    char* p = buffer + size + 7;
    PutDigitsBackwards(&p, fields.micros, 6);
    *--p = '.';
    size += 7;
  }
  const int64_t offset_minutes_total = (offset_seconds < 0 ? -offset_seconds : offset_seconds) / 60;
  buffer[size] = offset_seconds < 0 ? '-' : '+';
  char* p = buffer + size + 6;
  PutDigitsBackwards(&p, offset_minutes_total % 60, 2);
  *--p = ':';
  PutDigitsBackwards(&p, offset_minutes_total / 60, 2);
  size += 6;
  return std::string(buffer, size);
}

}  // namespace estoque::domain
