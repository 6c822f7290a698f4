// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Tests of tools/timestamp.h. Expected milliseconds were computed outside ckm
// (Python's calendar.timegm), and the hand-written calendar arithmetic is
// cross-checked against absl's civil-time code day by day.

#include "timestamp.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "catch2/catch.hpp"
#include "test_util.h"

namespace {

using ckm::tools::DateOrder;
using ckm::tools::FormatIsoSeconds;
using ckm::tools::ParseTimestamp;

struct Accepted {
  const char* text;
  std::int64_t ts_ms;
};

TEST_CASE("ParseTimestamp accepts every documented form", "[timestamp]") {
  // 2010-12-01 08:26:00 UTC, the first row of the UCI Online Retail export.
  constexpr std::int64_t k0826 = 1291191960000;
  constexpr std::int64_t kMidnight = 1291161600000;  // 2010-12-01 00:00:00
  const Accepted cases[] = {
      // YYYY-MM-DD[ HH:MM[:SS[.fff]]]
      {"2010-12-01", kMidnight},
      {"2010-12-01 08:26", k0826},
      {"2010-12-01 08:26:00", k0826},
      {"2010-12-01 08:26:05", k0826 + 5000},
      {"2010-12-01 08:26:00.123", k0826 + 123},
      {"2010-12-01 08:26:00.5", k0826 + 500},
      {"2010-12-01 08:26:00.12", k0826 + 120},
      {"2010-12-01 08:26:00.123999", k0826 + 123},  // Truncated, not rounded.
      {"2010-12-01 08:26:00.123456789", k0826 + 123},  // Nine digits at most.
      {"2011-12-09 12:50:59", 1323435059000},
      // ISO 8601
      {"2010-12-01T08:26", k0826},
      {"2010-12-01T08:26:00", k0826},
      {"2010-12-01T08:26:00.123", k0826 + 123},
      {"2010-12-01T08:26:00Z", k0826},
      {"2010-12-01T08:26Z", k0826},
      {"2010-12-01T08:26:00.123Z", k0826 + 123},
      {"2010-12-01T08:26:00+00:00", k0826},
      {"2010-12-01T08:26:00-00:00", k0826},
      {"2010-12-01T08:26:00+01:00", 1291188360000},  // 07:26 UTC
      {"2010-12-01T08:26:00+0100", 1291188360000},
      {"2010-12-01T08:26:00-05:30", 1291211760000},  // 13:56 UTC
      {"2010-12-01T08:26:00-0530", 1291211760000},
      {"2010-12-01T08:26+01:00", 1291188360000},
      {"2010-12-01 08:26:00+01:00",
       1291188360000},  // Space form takes a zone too.
      {"2010-12-01T00:30:00+01:00",
       kMidnight - 30 * 60000},  // Crosses back a day.
      // M/D/YYYY, M/D/YY (20YY), US month-first
      {"12/1/2010", kMidnight},
      {"12/01/2010", kMidnight},
      {"12/1/2010 8:26", k0826},
      {"12/1/2010 08:26", k0826},
      {"12/1/2010 8:26:00", k0826},
      {"12/1/2010 8:26:05", k0826 + 5000},
      {"12/1/10", kMidnight},
      {"12/1/10 8:26", k0826},
      {"1/18/2011 10:01", 1295344860000},
      {"7/4/24 9:05", 1720083900000},
      // YYYYMMDD
      {"20101201", kMidnight},
      // Surrounding whitespace is trimmed.
      {"  2010-12-01 08:26:00  ", k0826},
      {"\t12/1/2010 8:26\r\n", k0826},
      // Leap days and range edges.
      {"2012-02-29", 1330473600000},
      {"2/29/2012", 1330473600000},
      {"20120229", 1330473600000},
      {"2000-02-29 23:59:59", 951868799000},  // 2000 is divisible by 400.
      {"1970-01-01", 0},
      {"1970-01-01T00:00:00.001Z", 1},
      {"1969-12-31 23:59:59", -1000},  // Before 1970: negative, accepted.
      {"1970-01-01T00:30:00+01:00", -30 * 60000},
      {"1900-03-01", -2203891200000},
      {"0001-01-01", -62135596800000},
      {"0000-01-01", -62167219200000},
      {"9999-12-31 23:59:59", 253402300799000},
  };
  for (const Accepted& c : cases) {
    INFO(c.text);
    const absl::StatusOr<std::int64_t> ts =
        ParseTimestamp(c.text, {}, DateOrder::kMonthFirst);
    REQUIRE_OK(ts);
    CHECK(*ts == c.ts_ms);
  }
}

TEST_CASE(
    "Without a date order, A/B/YYYY is read only when the text says which "
    "field is the day",
    "[timestamp]") {
  constexpr std::int64_t k20260113 = 1768262400000;   // 2026-01-13
  CHECK(*ParseTimestamp("13/01/2026") == k20260113);  // day first
  CHECK(*ParseTimestamp("1/13/2026") == k20260113);   // month first
  CHECK(*ParseTimestamp("13/1/2026 00:00") == k20260113);
  CHECK(*ParseTimestamp("03/03/2026") == 1772496000000);  // same either way
  CHECK(*ParseTimestamp("2026-01-03") == 1767398400000);  // ISO never asks

  const absl::StatusOr<std::int64_t> ambiguous = ParseTimestamp("03/01/2026");
  CHECK(absl::IsInvalidArgument(ambiguous.status()));
  CHECK(ambiguous.status().message().find("ambiguous") != std::string::npos);
  CHECK(ambiguous.status().message().find("--date-order") != std::string::npos);
  CHECK(!ParseTimestamp("12/1/2010 8:26").ok());
  CHECK(!ParseTimestamp("13/13/2026").ok());

  // Told the order, the same text is read either way.
  CHECK(*ParseTimestamp("03/01/2026", {}, DateOrder::kDayFirst) ==
        1767398400000);  // 3 January
  CHECK(*ParseTimestamp("03/01/2026", {}, DateOrder::kMonthFirst) ==
        1772323200000);  // 1 March
  CHECK(!ParseTimestamp("1/13/2026", {}, DateOrder::kDayFirst).ok());
  CHECK(!ParseTimestamp("13/1/2026", {}, DateOrder::kMonthFirst).ok());
  // A --time-format decides by itself.
  CHECK(*ParseTimestamp("03/01/2026", "%d/%m/%Y") == 1767398400000);
}

TEST_CASE("ParseTimestamp rejects malformed and out-of-range text",
          "[timestamp]") {
  const char* const cases[] = {
      // Garbage and empties.
      "",
      "   ",
      "hello",
      "2010",
      "2010-12",
      "2010-12-1",
      "10-12-01",
      "2010/12/01",
      "12-01-2010",
      "2010-12-01T",
      "2010-12-01 8:26",
      "2010-12-01 08:6",
      "2010-12-01 08:26:0",
      "2010-12-01 08:26:00.",
      "2010-12-01 08:26:00.1234567890",  // Ten fraction digits.
      "2010-12-01  08:26",
      "2010-12-01t08:26",
      "12/1/2010 8:26:00.5",  // No fractions in the US form.
      "12/1/2010 8:26 PM",
      "12/1/201",
      "12/1/20100",
      "12/1/2 8:26",
      "12//2010",
      "/1/2010",
      "2010120",
      "201012011",
      "2010120a",
      "-2010-12-01",
      "+2010-12-01",
      "12010-12-01",
      // Trailing text.
      "2010-12-01 08:26:00 UTC",
      "2010-12-01 08:26:00x",
      "2010-12-01x",
      "12/1/2010x",
      "12/1/2010 8:26:00 x",
      "2010-12-01T08:26:00Zx",
      "2010-12-01T08:26:00+01:00:00",
      // Bad zones.
      "2010-12-01T08:26:00+1",
      "2010-12-01T08:26:00+01",
      "2010-12-01T08:26:00+01:0",
      "2010-12-01T08:26:00+24:00",
      "2010-12-01T08:26:00+01:60",
      "2010-12-01T08:26:00 +01:00",
      "2010-12-01T08:26:00z",
      "2010-12-01Z",
      // Bad months, days, hours, minutes, seconds.
      "2010-00-01",
      "2010-13-01",
      "2010-12-00",
      "2010-12-32",
      "2010-04-31",
      "2011-02-29",  // 2011 is not a leap year.
      "1900-02-29",  // Nor is 1900.
      "2/29/2011",
      "20110229",
      "13/1/2010",
      "0/1/2010",
      "12/0/2010",
      "12/32/2010",
      "2010-12-01 24:00",
      "2010-12-01 23:60",
      "2010-12-01 23:59:60",
      "12/1/2010 24:00",
      "12/1/2010 8:60",
  };
  for (const char* text : cases) {
    INFO(text);
    const absl::StatusOr<std::int64_t> ts =
        ParseTimestamp(text, {}, DateOrder::kMonthFirst);
    REQUIRE_FALSE(ts.ok());
    CHECK(ts.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseTimestamp's error quotes the text and names the field",
          "[timestamp]") {
  absl::StatusOr<std::int64_t> ts = ParseTimestamp("2011-02-29");
  REQUIRE_FALSE(ts.ok());
  const std::string message(ts.status().message());
  CHECK(message.find("\"2011-02-29\"") != std::string::npos);
  CHECK(message.find("day") != std::string::npos);

  ts = ParseTimestamp("bogus\n");
  REQUIRE_FALSE(ts.ok());
  CHECK(std::string(ts.status().message()).find("\"bogus\\n\"") !=
        std::string::npos);

  ts = ParseTimestamp("2010-13-01");
  REQUIRE_FALSE(ts.ok());
  CHECK(std::string(ts.status().message()).find("month") != std::string::npos);
}

TEST_CASE("ParseTimestamp with a custom format uses absl::ParseTime",
          "[timestamp]") {
  const Accepted accepted[] = {
      {"01/12/2010 08:26", 1291191960000},  // Day-first, as European exports
                                            // write it.
      {"1/12/2010 8:26", 1291191960000},
      {" 01/12/2010 08:26 ", 1291191960000},
      {"29/02/2012 00:00", 1330473600000},
      {"01/01/1970 00:00", 0},
  };
  for (const Accepted& c : accepted) {
    INFO(c.text);
    const absl::StatusOr<std::int64_t> ts =
        ParseTimestamp(c.text, "%d/%m/%Y %H:%M");
    REQUIRE_OK(ts);
    CHECK(*ts == c.ts_ms);
  }

  const absl::StatusOr<std::int64_t> with_zone =
      ParseTimestamp("2010-12-01 08:26:00 +0100", "%Y-%m-%d %H:%M:%S %z");
  REQUIRE_OK(with_zone);
  CHECK(*with_zone == 1291188360000);

  // absl reads a leap second as the next minute's :00.
  const absl::StatusOr<std::int64_t> leap =
      ParseTimestamp("2010-12-01 08:25:60", "%Y-%m-%d %H:%M:%S");
  REQUIRE_OK(leap);
  CHECK(*leap == 1291191960000);

  const absl::StatusOr<std::int64_t> seconds =
      ParseTimestamp("1291191960", "%s");
  REQUIRE_OK(seconds);
  CHECK(*seconds == 1291191960000);

  const char* const rejected[] = {
      "2010-12-01 08:26",    // The default forms are not tried with a format.
      "12/01/2010",          // Missing time.
      "32/12/2010 08:26",    // Day out of range.
      "29/02/2011 08:26",    // Not a leap year.
      "01/13/2010 08:26",    // Month out of range.
      "01/12/2010 25:00",    // Hour out of range.
      "01/12/2010 08:26 x",  // Trailing text.
      "01/12/10000 08:26",   // Year past 9999.
      "infinite-future",     // absl's special string.
  };
  for (const char* text : rejected) {
    INFO(text);
    const absl::StatusOr<std::int64_t> ts =
        ParseTimestamp(text, "%d/%m/%Y %H:%M");
    REQUIRE_FALSE(ts.ok());
    CHECK(ts.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(ts.status().message()).find(text) != std::string::npos);
  }
}

TEST_CASE("FormatIsoSeconds writes the export's ISO form", "[timestamp]") {
  const Accepted cases[] = {
      {"2010-12-01T08:26:00", 1291191960000},
      {"2010-12-01T08:26:00", 1291191960999},  // Milliseconds are dropped.
      {"1970-01-01T00:00:00", 0},
      {"1969-12-31T23:59:59", -1},  // Floors, also before 1970.
      {"1969-12-31T23:59:59", -1000},
      {"1969-12-31T23:59:58", -1001},
      {"2012-02-29T00:00:00", 1330473600000},
      {"1900-03-01T00:00:00", -2203891200000},
      {"0000-01-01T00:00:00", -62167219200000},
      {"9999-12-31T23:59:59", 253402300799000},
  };
  for (const Accepted& c : cases) {
    INFO(c.ts_ms);
    CHECK(FormatIsoSeconds(c.ts_ms) == c.text);
  }
}

TEST_CASE("FormatIsoSeconds and ParseTimestamp round-trip", "[timestamp]") {
  // Every day from 1600 to 2400 at a time that moves through the clock,
  // checked against absl's independent civil-time arithmetic.
  const absl::CivilDay first(1600, 1, 1);
  const absl::CivilDay last(2400, 12, 31);
  std::int64_t step = 0;
  for (absl::CivilDay day = first; day <= last; ++day, ++step) {
    const absl::CivilSecond civil(day.year(), day.month(), day.day(), step % 24,
                                  step % 60, (step * 7) % 60);
    const std::int64_t expected_ms =
        absl::ToUnixMillis(absl::FromCivil(civil, absl::UTCTimeZone())) +
        step % 1000;
    const std::string iso = FormatIsoSeconds(expected_ms);
    const std::string want = absl::FormatCivilTime(civil);
    if (iso != want) {
      INFO(expected_ms);
      REQUIRE(iso == want);
    }
    const absl::StatusOr<std::int64_t> parsed = ParseTimestamp(iso);
    if (!parsed.ok() || *parsed != expected_ms - step % 1000) {
      INFO(iso);
      REQUIRE_OK(parsed);
      REQUIRE(*parsed == expected_ms - step % 1000);
    }
  }
}

}  // namespace
