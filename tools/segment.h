// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm segment`: a segment query from the command line's flags, and its
// page printed as CSV or JSON lines.

#ifndef CKM_TOOLS_SEGMENT_H_
#define CKM_TOOLS_SEGMENT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/segment.h"

namespace ckm::tools {

// The flags of `ckm segment`, as typed.
struct SegmentFlags {
  std::string where;    // --where; empty: every customer
  std::string sort;     // --sort FIGURE [asc|desc]; empty: by customer id
  std::string columns;  // --columns F1,F2; empty: the figures of --sort and
                        // --where, in that order
  std::string cursor;   // --cursor
  std::size_t limit = 100;
  std::int64_t now_ms = 0;
};

// The query the flags describe. InvalidArgument naming the flag
// ("--where, column 12: ...") when one cannot be parsed.
absl::StatusOr<SegmentQuery> SegmentQueryOf(const SegmentFlags& flags);

// Splits "a, b(c), attr('x,y')" at the commas outside parentheses and
// quotes, trimming spaces.
std::vector<std::string> SplitFigures(std::string_view text);

// A header line and one row per customer (CSV), or one JSON object per
// customer (JSON lines): customer_id, then each column by its canonical
// text. Amounts are exact decimals (strings in JSON, as in the profile
// export); undefined values are empty (CSV) or null (JSON).
void PrintSegment(const SegmentQuery& query, const SegmentPage& page,
                  bool jsonl, std::ostream& out);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_SEGMENT_H_
