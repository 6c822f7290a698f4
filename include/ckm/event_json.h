// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The JSON form of an event: one JSON object per event, written on one line,
// so that a file of them is JSON Lines. `ckm record` reads it, `ckm history
// --format jsonl` and Store::Export() write it. docs/json.md documents every
// field; in short:
//
//   {"v":1,"id":"7","customer":"c-1","ts":"2026-01-02T10:00:00.000Z",
//    "source":"pos-3","purchase":{"order_id":"A-1","currency":"GBP",
//    "channel":"in_store","store":"leeds","lines":[{"sku":"tea",
//    "category":"","quantity":2,"unit_price":"1.25"}],"total":"2.50"}}
//
// Amounts are exact decimal strings, times ISO 8601 UTC with milliseconds,
// enums the names ToString() gives, event ids decimal strings (a u64 does not
// fit a JSON number that every reader keeps exact).
//
// Thread safety: pure functions; call them from any thread.

#ifndef CKM_EVENT_JSON_H_
#define CKM_EVENT_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/event.h"

namespace ckm {

// The version written in every event's "v" member. A reader refuses other
// versions; a later version will only add members.
inline constexpr int kEventJsonVersion = 1;

// The event as one line of JSON (no newline). Every field is written, except
// optional ones that are unset. EventFromJson(EventToJson(e)) == e.
std::string EventToJson(const Event& event);

// Reads one event. InvalidArgument "<field>: <why>" naming the member
// ("purchase.lines[2].unit_price: not a decimal amount ...") for malformed
// JSON, an unknown or missing member, a value of the wrong type, an unknown
// enum name, an amount that is not an exact decimal, or a time that is not
// ISO 8601 UTC. Members left out take the field's default. It checks the
// form only: Validate() (ckm/validate.h) checks the values as Record() does.
[[nodiscard]] absl::StatusOr<Event> EventFromJson(std::string_view json);

// The events of one JSON text: a single event, or a whole export of one
// customer (Store::Export(), docs/privacy.md), whose "events" it returns in
// order, so that an export can be recorded again. Errors as EventFromJson;
// inside an export they name "events[i].<field>".
[[nodiscard]] absl::StatusOr<std::vector<Event>> EventsFromJson(
    std::string_view json);

// The merges an export holds (its "survivor" and "aliases", version 2 on):
// every alias was merged into the survivor. Empty for a single event, for an
// export of a customer merged with no one, and for a version 1 export.
// Recording an export again means recording its events, then merging each
// alias into the survivor (Store::Merge); `ckm record` does both.
struct ExportedMerges {
  std::string survivor;
  std::vector<std::string> aliases;
};
[[nodiscard]] absl::StatusOr<ExportedMerges> MergesFromJson(
    std::string_view json);

}  // namespace ckm

#endif  // CKM_EVENT_JSON_H_
