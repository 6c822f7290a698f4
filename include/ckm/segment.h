// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Segments: the customers whose profiles satisfy a predicate, such as
//
//   net_spend(GBP) > 1000 and recency_days > 90
//   consent(marketing.email) and tier in ("gold", "silver")
//
// sorted by a figure, cut to a limit and read page by page with a cursor.
// The predicate language is described in docs/segments.md; the figures it
// reads (net spend, orders, recency, AOV, NPS, points, attributes,
// consents, ...) are those of the Profile API, computed the same way.
//
// A segment reads profiles only (Store::ForEachProfile, one consistent
// snapshot per call); it never folds history and never writes.
//
// Thread safety: Predicate, Figure and SortOrder are immutable values, cheap
// to copy (they share their parsed form); const methods may be called from
// many threads at once. SelectSegment() is safe to call concurrently with
// anything the Store allows.

#ifndef CKM_SEGMENT_H_
#define CKM_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/profile.h"

namespace ckm {

class Store;

namespace query {
struct Node;  // the parsed form (src/query/)
}  // namespace query

// A figure's value for one customer.
struct SegmentValue {
  enum class Type : std::uint8_t {
    kNone = 0,    // undefined for this customer (AOV without orders, an
                  // attribute never set, ...)
    kNumber = 1,  // exactly numerator / denominator
    kText = 2,
    kBool = 3,
  };
  // What a number measures, for printing it.
  enum class Unit : std::uint8_t {
    kPlain = 0,  // a count, a score: as many decimals as it needs
    kMoney = 1,  // an amount in the figure's currency: at least 2 decimals
    kDays = 2,   // a duration in days: 6 decimals
  };
  Type type = Type::kNone;
  Unit unit = Unit::kPlain;  // kNumber only
  std::int64_t numerator = 0;
  std::int64_t denominator = 1;  // > 0
  std::string text;
  bool boolean = false;

  // Exact decimal text, rounded half away from zero to at most six
  // decimals, with at least the unit's ("1234.50", "95.041667", "12"); ""
  // for kNone; "true" or "false".
  std::string ToString() const;
  // The number as a double (nearest); 0 unless kNumber.
  double ToDouble() const;
};

// -1, 0 or 1: the order segments sort values in. Numbers compare exactly
// by value, texts bytewise, false before true. Values of different types
// order numbers before texts before booleans, and kNone after everything.
int CompareValues(const SegmentValue& a, const SegmentValue& b);

// One figure of a profile, such as `net_spend(GBP)`, `recency_days` or
// `attr(demographic.city)` (docs/segments.md lists them all).
class Figure {
 public:
  // InvalidArgument "figure, column N: ..." (N counts bytes from 1) for text
  // that is not exactly one figure.
  [[nodiscard]] static absl::StatusOr<Figure> Parse(std::string_view text);

  // The figure's value for `profile`; `now_ms` feeds the figures measured
  // against now (recency_days, ...) and is ignored by the others.
  SegmentValue Of(const Profile& profile, std::int64_t now_ms) const;
  // True if the value depends on now_ms.
  bool needs_now() const;
  // The canonical text: `net_spend(GBP)`, `attr("demographic.city")`.
  std::string ToString() const;

 private:
  friend class Predicate;
  friend struct SortOrder;
  explicit Figure(std::shared_ptr<const query::Node> node)
      : node_(std::move(node)) {}
  std::shared_ptr<const query::Node> node_;
};

// A condition on a profile, in the predicate language of docs/segments.md.
class Predicate {
 public:
  // The predicate that every profile satisfies.
  Predicate() = default;

  // Parses `text`; blank text is the predicate every profile satisfies.
  // InvalidArgument "where, column N: ..." (N counts bytes from 1) naming
  // what was expected and what was found there.
  [[nodiscard]] static absl::StatusOr<Predicate> Parse(std::string_view text);

  // Whether `profile` satisfies the predicate as of `now_ms`. A comparison
  // whose figure is undefined for the profile is false (so `not` of it is
  // true); see docs/segments.md.
  bool Matches(const Profile& profile, std::int64_t now_ms) const;
  bool needs_now() const;
  // The canonical text; "" for the predicate every profile satisfies.
  std::string ToString() const;
  // The figures it reads, each once, in the order they first appear.
  std::vector<Figure> figures() const;

 private:
  std::shared_ptr<const query::Node> node_;  // null: every profile
};

// How to order a segment: by a figure, descending (the default: largest
// first, the way a top-k is asked) or ascending. Customers whose value is
// undefined come last either way; ties go by customer id, ascending.
struct SortOrder {
  Figure figure;
  bool descending = true;

  // "FIGURE", "FIGURE desc" or "FIGURE asc". InvalidArgument
  // "sort, column N: ..." otherwise.
  [[nodiscard]] static absl::StatusOr<SortOrder> Parse(std::string_view text);
  std::string ToString() const;
};

struct SegmentQuery {
  // Which customers. Default: every customer.
  Predicate where;
  // Their order. Unset (default): by customer id, ascending.
  std::optional<SortOrder> sort;
  // Figures computed for each row returned (SegmentRow::values).
  std::vector<Figure> columns;
  // "Now" in UTC milliseconds, for recency and the other figures measured
  // against it. Required (InvalidArgument otherwise) when `where`, `sort` or
  // `columns` need it; nothing reads the clock.
  std::optional<std::int64_t> now_ms;
  // At most this many rows; 0 means no limit. Default: 100. Memory is
  // bounded by the limit, not by the store: the best `limit` rows are kept
  // in a heap during the scan.
  std::size_t limit = 100;
  // Empty for the first page; else a previous page's next_cursor, from a
  // query with the same `where`, `sort` (and `now_ms`, if they need it).
  std::string cursor;
  // Whether each row carries the customer's whole profile.
  bool with_profiles = false;
};

struct SegmentRow {
  std::string customer_id;
  SegmentValue sort_value;           // kNone when the query has no sort
  std::vector<SegmentValue> values;  // one per SegmentQuery::columns
  std::optional<Profile> profile;    // when with_profiles
};

struct SegmentPage {
  std::vector<SegmentRow> rows;  // in the query's order
  // Set when the limit cut the result: pass it as SegmentQuery::cursor for
  // the next page. Empty when this page holds the last row.
  std::string next_cursor;
  std::int64_t scanned = 0;  // profiles read
  std::int64_t matched = 0;  // profiles satisfying `where`, on any page
};

// The page of the segment `query` describes, read from one consistent
// snapshot of `store`.
//
// A cursor is a position in the query's order, not a snapshot: the next
// page lists the matching customers that sort after the previous page's
// last row in the store as it is when the next page is read. When nothing
// was recorded in between, the pages together are exactly the rows of one
// call without a limit. When the store changed in between, a customer whose
// sort value did not change is never listed twice or skipped; a customer
// whose sort value moved across the cursor may be listed twice or not at
// all, and a new or newly matching customer appears if it sorts after the
// cursor.
//
// Errors: InvalidArgument for a missing now_ms or a cursor that is malformed
// or was made by another query ("cursor: ..."); DataLoss if a stored
// profile fails verification; the Store's read errors otherwise.
[[nodiscard]] absl::StatusOr<SegmentPage> SelectSegment(
    const Store& store, const SegmentQuery& query);

}  // namespace ckm

#endif  // CKM_SEGMENT_H_
