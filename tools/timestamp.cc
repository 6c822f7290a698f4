// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The fixed forms are parsed by hand, once per CSV row, and turned into days
// with Howard Hinnant's days_from_civil ("chrono-Compatible Low-Level Date
// Algorithms"), which is exact for the proleptic Gregorian calendar and needs
// no time zone database or std::tm.

#include "timestamp.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "quote.h"

namespace ckm::tools {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr std::int64_t kMsPerDay = 24 * 60 * kMsPerMinute;

absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("timestamp ", QuoteForError(text, QuoteStyle::kCEscaped),
                   ": ", AbslView(why)));
}

bool IsLeapYear(std::int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (m 1-12, d 1-31).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;  // Count years from March, so the leap day ends the year.
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;  // [0, 399]
  const std::int64_t day_of_year =
      (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 -
                                  year_of_era / 100 +
                                  day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil.
CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 +
                                    day_of_era / 36524 - day_of_era / 146096) /
                                   365;
  const std::int64_t day_of_year =
      day_of_era -
      (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  const int day =
      static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month = static_cast<int>(
      month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2), month, day};
}

// A cursor over the trimmed text.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  bool AtEnd() const { return i_ == s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  // Reads between `min_digits` and `max_digits` ASCII digits (as many as are
  // there, up to the maximum) into `value`.
  bool Digits(int min_digits, int max_digits, int& value) {
    int n = 0;
    int v = 0;
    while (n < max_digits && !AtEnd() && absl::ascii_isdigit(s_[i_])) {
      v = v * 10 + (s_[i_] - '0');
      ++i_;
      ++n;
    }
    value = v;
    return n >= min_digits;
  }
  std::size_t pos() const { return i_; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct Fields {
  int year = 0;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  int offset_minutes = 0;  // East of UTC.
};

// HH:MM[:SS[.f...]] with `hour_digits_min` 1 (US form) or 2 (ISO).
bool ParseTimeOfDay(Scanner& in, int hour_digits_min, bool allow_fraction,
                    Fields& f) {
  if (!in.Digits(hour_digits_min, 2, f.hour) || !in.Consume(':') ||
      !in.Digits(2, 2, f.minute)) {
    return false;
  }
  if (!in.Consume(':')) return true;
  if (!in.Digits(2, 2, f.second)) return false;
  if (!allow_fraction || !in.Consume('.')) return true;
  // 1 to 9 fraction digits; below a millisecond is truncated.
  int digits = 0;
  int millis = 0;
  while (!in.AtEnd() && absl::ascii_isdigit(in.Peek())) {
    if (digits == 9) return false;
    if (digits < 3) millis = millis * 10 + (in.Peek() - '0');
    in.Consume(in.Peek());
    ++digits;
  }
  if (digits == 0) return false;
  for (int k = digits; k < 3; ++k) millis *= 10;
  f.millis = millis;
  return true;
}

// Z, +HH:MM, -HH:MM, +HHMM or -HHMM; nothing at all is UTC.
bool ParseZone(Scanner& in, Fields& f) {
  if (in.AtEnd() || in.Consume('Z')) return true;
  int sign = 0;
  if (in.Consume('+')) {
    sign = 1;
  } else if (in.Consume('-')) {
    sign = -1;
  } else {
    return false;
  }
  int hours = 0;
  int minutes = 0;
  if (!in.Digits(2, 2, hours)) return false;
  in.Consume(':');
  if (!in.Digits(2, 2, minutes)) return false;
  if (hours > 23 || minutes > 59) return false;
  f.offset_minutes = sign * (hours * 60 + minutes);
  return true;
}

// YYYY-MM-DD[( |T)HH:MM[:SS[.fff]][zone]]
bool ParseIso(Scanner& in, Fields& f) {
  if (!in.Digits(4, 4, f.year) || !in.Consume('-') ||
      !in.Digits(2, 2, f.month) || !in.Consume('-') ||
      !in.Digits(2, 2, f.day)) {
    return false;
  }
  if (in.AtEnd()) return true;
  if (!in.Consume(' ') && !in.Consume('T')) return false;
  return ParseTimeOfDay(in, /*hour_digits_min=*/2, /*allow_fraction=*/true,
                        f) &&
         ParseZone(in, f);
}

// A/B/YYYY or A/B/YY, then optionally " H:MM[:SS]". The caller decides
// which of `first` and `second` is the month.
bool ParseSlashed(Scanner& in, int& first, int& second, Fields& f) {
  if (!in.Digits(1, 2, first) || !in.Consume('/') || !in.Digits(1, 2, second) ||
      !in.Consume('/')) {
    return false;
  }
  const std::size_t year_start = in.pos();
  if (!in.Digits(2, 4, f.year)) return false;
  const std::size_t year_digits = in.pos() - year_start;
  if (year_digits == 2) {
    f.year += 2000;
  } else if (year_digits != 4) {
    return false;
  }
  if (in.AtEnd()) return true;
  if (!in.Consume(' ')) return false;
  return ParseTimeOfDay(in, /*hour_digits_min=*/1, /*allow_fraction=*/false, f);
}

// YYYYMMDD
bool ParseCompact(Scanner& in, Fields& f) {
  return in.Digits(4, 4, f.year) && in.Digits(2, 2, f.month) &&
         in.Digits(2, 2, f.day);
}

absl::StatusOr<std::int64_t> ParseWithFormat(std::string_view text,
                                             std::string_view format) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(AbslView(format), AbslView(text), absl::UTCTimeZone(),
                       &t, &err)) {
    return Invalid(text, absl::StrCat("does not match format \"",
                                      AbslView(format), "\": ", err));
  }
  const absl::CivilSecond civil = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (civil.year() < 0 || civil.year() > 9999)
    return Invalid(text, "year outside 0000-9999");
  return absl::ToUnixMillis(t);
}

}  // namespace

absl::StatusOr<std::int64_t> ParseTimestamp(std::string_view text,
                                            std::string_view format,
                                            DateOrder order) {
  if (!format.empty()) return ParseWithFormat(text, format);

  const absl::string_view trimmed = absl::StripAsciiWhitespace(AbslView(text));
  const std::string_view s(trimmed.data(), trimmed.size());
  if (s.empty()) return Invalid(text, "empty");

  Fields f;
  bool parsed = false;
  if (s.size() >= 5 && s[4] == '-') {
    Scanner in(s);
    parsed = ParseIso(in, f) && in.AtEnd();
  } else if (s.find('/') != std::string_view::npos) {
    Scanner in(s);
    int first = 0;
    int second = 0;
    parsed = ParseSlashed(in, first, second, f) && in.AtEnd();
    DateOrder resolved = order;
    if (parsed && order == DateOrder::kUnambiguous) {
      if (first > 12) {
        resolved = DateOrder::kDayFirst;
      } else if (second > 12 || first == second) {
        resolved = DateOrder::kMonthFirst;
      } else {
        return Invalid(text,
                       "ambiguous: the day and the month could be either way "
                       "round; say which with --date-order dmy (day first) "
                       "or mdy (month first), or --time-format");
      }
    }
    f.month = resolved == DateOrder::kDayFirst ? second : first;
    f.day = resolved == DateOrder::kDayFirst ? first : second;
  } else if (s.size() == 8) {
    Scanner in(s);
    parsed = ParseCompact(in, f) && in.AtEnd();
  }
  if (!parsed) {
    return Invalid(text,
                   "expected YYYY-MM-DD[ HH:MM[:SS[.fff]]], ISO 8601, "
                   "M/D/YYYY[ H:MM[:SS]] (or D/M/YYYY) or "
                   "YYYYMMDD");
  }
  if (f.month < 1 || f.month > 12) return Invalid(text, "month outside 1-12");
  if (f.day < 1 || f.day > DaysInMonth(f.year, f.month)) {
    return Invalid(
        text, absl::StrFormat("day outside 1-%d for %04d-%02d",
                              DaysInMonth(f.year, f.month), f.year, f.month));
  }
  if (f.hour > 23) return Invalid(text, "hour outside 0-23");
  if (f.minute > 59) return Invalid(text, "minute outside 0-59");
  if (f.second > 59) return Invalid(text, "second outside 0-59");

  const std::int64_t days = DaysFromCivil(f.year, f.month, f.day);
  const std::int64_t minutes_of_day =
      std::int64_t{f.hour} * 60 + f.minute - f.offset_minutes;
  return days * kMsPerDay + minutes_of_day * kMsPerMinute +
         std::int64_t{f.second} * kMsPerSecond + f.millis;
}

std::string FormatIsoSeconds(std::int64_t ts_ms) {
  // Floor division, so times before 1970 land on the right day and second.
  std::int64_t days = ts_ms / kMsPerDay;
  std::int64_t ms_of_day = ts_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const std::int64_t seconds_of_day = ms_of_day / kMsPerSecond;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", date.year, date.month,
                         date.day, seconds_of_day / 3600,
                         seconds_of_day / 60 % 60, seconds_of_day % 60);
}

}  // namespace ckm::tools
