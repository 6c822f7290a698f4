// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The parts of History() that are not I/O: checking a query's filters,
// applying them to an event, and history cursors (the position of a page's
// last event, in the order history keys sort: time, id, kind).

#ifndef CKM_SRC_ENGINE_HISTORY_PAGE_H_
#define CKM_SRC_ENGINE_HISTORY_PAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/query.h"

namespace ckm::engine {

struct HistoryPosition {
  std::int64_t ts_ms = 0;
  std::uint64_t id = 0;
  EventKind kind = EventKind::kPurchase;
  // The customer number the event is stored under. Members of a merged
  // group may each have an event of the same time, id and kind; the number
  // orders them. Absent in a cursor of the first version, which passes
  // over all of them.
  std::optional<std::uint64_t> member;
};

// An event of a customer's history with the number of the group member it
// is stored under.
struct MemberEvent {
  Event event;
  std::uint64_t member = 0;
};

// InvalidArgument naming the field for filters no event can pass.
absl::Status CheckHistoryQuery(const HistoryQuery& query);

// The one kind the query reads, if it reads one: `kind`, or the kind its
// attribute_key or consent_purpose implies.
std::optional<EventKind> KindOf(const HistoryQuery& query);

// Whether `event` passes the query's kind, key and purpose filters.
bool Passes(const Event& event, const HistoryQuery& query);

// True if `a` comes before `b` in the query's direction: by time, id,
// kind, then member.
bool Before(const MemberEvent& a, const MemberEvent& b, bool newest_first);

std::string EncodeHistoryCursor(const MemberEvent& last, bool newest_first);
// InvalidArgument "cursor: ..." for text EncodeHistoryCursor did not make,
// or made for the other direction.
absl::StatusOr<HistoryPosition> DecodeHistoryCursor(std::string_view cursor,
                                                    bool newest_first);

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_HISTORY_PAGE_H_
