// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Timestamps as retailers' exports write them. Times without a zone are taken
// as UTC. All functions are pure and thread-safe.

#ifndef CKM_TOOLS_TIMESTAMP_H_
#define CKM_TOOLS_TIMESTAMP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ckm::tools {

// How to read a date written A/B/YYYY, whose day and month may be either way
// round.
enum class DateOrder {
  // Only when the text itself says which is the day: a field over 12 is the
  // day ("13/01/2026", "1/13/2026"), and equal fields ("03/03/2026") mean the
  // same date either way. "03/01/2026" is refused as ambiguous.
  kUnambiguous,
  kMonthFirst,  // M/D/YYYY, as US exports and Excel write it
  kDayFirst,    // D/M/YYYY, as European exports write it
};

// Parses `text` into UTC milliseconds since 1970. With an empty `format` it
// accepts, with surrounding ASCII whitespace trimmed:
//   YYYY-MM-DD, YYYY-MM-DD HH:MM, YYYY-MM-DD HH:MM:SS[.fff]
//   ISO 8601: YYYY-MM-DDTHH:MM[:SS[.fff]] with an optional Z or +HH:MM / -HH:MM
//   (also +HHMM); the space-separated forms above take the same zone suffix
//   ("2010-12-01 08:26:00+01:00"), with no space before it
//   M/D/YYYY, M/D/YYYY H:MM, M/D/YYYY H:MM:SS, and M/D/YY with a two-digit
//   year meaning 20YY, read in `order` (D/M/... with kDayFirst)
//   YYYYMMDD
// Fields are range-checked: year 0000-9999, month 1-12, day valid for the
// month including leap years, hour 0-23, minute and second 0-59. The fraction
// ".fff" may have 1 to 9 digits; digits past the millisecond are truncated.
// Times before 1970 are accepted and negative.
// With a `format`, it uses absl::ParseTime's strftime-style format instead
// (e.g. "%d/%m/%Y %H:%M") and absl's range checks, which differ only in
// reading second 60 as :00 of the next minute.
// InvalidArgument, quoting the text, for anything else.
[[nodiscard]] absl::StatusOr<std::int64_t> ParseTimestamp(
    std::string_view text, std::string_view format = {},
    DateOrder order = DateOrder::kUnambiguous);

// ISO 8601 without zone and without milliseconds, as the export writes times:
// 2010-12-01T08:26:00. Milliseconds are dropped by rounding down (towards the
// past, also before 1970).
std::string FormatIsoSeconds(std::int64_t ts_ms);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_TIMESTAMP_H_
