// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// SelectSegment: one scan of every profile (Store::ForEachProfile, one
// snapshot), keeping the best `limit` rows after the cursor in a heap whose
// top is the worst row kept, so that memory follows the limit, not the
// store.

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ckm/segment.h"
#include "ckm/store.h"
#include "query/cursor.h"
#include "query/eval.h"

namespace ckm {
namespace {

using query::RowKey;

// The query's total order: by sort value (undefined last either way), then
// by customer id ascending. Negative if `a` comes first.
class RowOrder {
 public:
  RowOrder(bool sorted, bool descending)
      : sorted_(sorted), descending_(descending) {}
  int operator()(const RowKey& a, const RowKey& b) const {
    if (sorted_) {
      const bool a_none = a.value.type == SegmentValue::Type::kNone;
      const bool b_none = b.value.type == SegmentValue::Type::kNone;
      if (a_none != b_none) return a_none ? 1 : -1;
      const int c = CompareValues(a.value, b.value);
      if (c != 0) return descending_ ? -c : c;
    }
    return a.customer_id.compare(b.customer_id) < 0
               ? -1
               : (a.customer_id == b.customer_id ? 0 : 1);
  }

 private:
  bool sorted_, descending_;
};

struct Entry {
  RowKey key;
  SegmentRow row;
};

// What a cursor is bound to: the canonical predicate and sort, and now
// when either reads it.
std::uint64_t QueryFingerprint(const SegmentQuery& q, bool needs_now) {
  return query::Fingerprint(
      absl::StrCat(q.where.ToString(), "\n", q.sort ? q.sort->ToString() : "",
                   "\n", needs_now && q.now_ms ? absl::StrCat(*q.now_ms) : ""));
}

// The first figure of the query that reads now, if any.
std::optional<Figure> FigureNeedingNow(const SegmentQuery& q) {
  for (const Figure& f : q.where.figures()) {
    if (f.needs_now()) return f;
  }
  if (q.sort && q.sort->figure.needs_now()) return q.sort->figure;
  for (const Figure& f : q.columns) {
    if (f.needs_now()) return f;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<SegmentPage> SelectSegment(const Store& store,
                                          const SegmentQuery& q) {
  const std::optional<Figure> needs_now = FigureNeedingNow(q);
  if (needs_now && !q.now_ms) {
    return absl::InvalidArgumentError(absl::StrCat("now_ms: required, since ",
                                                   needs_now->ToString(),
                                                   " is measured against now"));
  }
  const std::int64_t now_ms = q.now_ms.value_or(0);
  const bool where_needs_now =
      q.where.needs_now() || (q.sort && q.sort->figure.needs_now());
  const std::uint64_t fingerprint = QueryFingerprint(q, where_needs_now);
  std::optional<RowKey> after;
  if (!q.cursor.empty()) {
    absl::StatusOr<RowKey> key = query::DecodeCursor(q.cursor, fingerprint);
    if (!key.ok()) return key.status();
    after = *std::move(key);
  }
  const RowOrder order(q.sort.has_value(), q.sort && q.sort->descending);
  // A max-heap under "comes first": its front is the worst row kept.
  auto first = [&](const Entry& a, const Entry& b) {
    return order(a.key, b.key) < 0;
  };
  std::vector<Entry> heap;
  std::int64_t candidates = 0;  // matching rows after the cursor
  SegmentPage page;
  absl::Status s = store.ForEachProfile([&](const Profile& profile) {
    ++page.scanned;
    if (!q.where.Matches(profile, now_ms)) return true;
    ++page.matched;
    RowKey key;
    if (q.sort) key.value = q.sort->figure.Of(profile, now_ms);
    key.customer_id = std::string(profile.customer_id());
    if (after && order(key, *after) <= 0) return true;
    ++candidates;
    if (q.limit != 0 && heap.size() == q.limit &&
        order(key, heap.front().key) >= 0)
      return true;  // no better than the worst row kept
    Entry entry{std::move(key), SegmentRow()};
    entry.row.customer_id = entry.key.customer_id;
    entry.row.sort_value = entry.key.value;
    for (const Figure& column : q.columns)
      entry.row.values.push_back(column.Of(profile, now_ms));
    if (q.with_profiles) entry.row.profile = profile;
    heap.push_back(std::move(entry));
    std::push_heap(heap.begin(), heap.end(), first);
    if (q.limit != 0 && heap.size() > q.limit) {
      std::pop_heap(heap.begin(), heap.end(), first);
      heap.pop_back();
    }
    return true;
  });
  if (!s.ok()) return s;
  std::sort_heap(heap.begin(), heap.end(), first);
  if (q.limit != 0 && candidates > static_cast<std::int64_t>(q.limit))
    page.next_cursor = query::EncodeCursor(fingerprint, heap.back().key);
  page.rows.reserve(heap.size());
  for (Entry& e : heap) page.rows.push_back(std::move(e.row));
  return page;
}

}  // namespace ckm
