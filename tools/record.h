// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm record`: events in their JSON form (JSON Lines, include/ckm/
// event_json.h) into a Store, through the public API only.
//
// All or nothing, as `ckm import`: every line is read, parsed and checked
// with the store's own rules (ckm::Validate, and every identity an event is
// named by is linked in the store or earlier in the input) before anything is
// recorded. Recording the same input again records nothing twice.
//
// Thread safety: as ImportPurchases.

#ifndef CKM_TOOLS_RECORD_H_
#define CKM_TOOLS_RECORD_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/store.h"

namespace ckm::tools {

struct RecordJsonOptions {
  // As ImportOptions::durability: kNone plus one Flush() at the end.
  Durability durability = Durability::kNone;
  std::size_t batch_size = 1000;  // events per Record() call
};

struct RecordJsonSummary {
  std::int64_t lines = 0;   // non-blank lines read
  std::int64_t events = 0;  // events in them (an export line holds many)
  std::int64_t recorded = 0;
  std::int64_t already_recorded = 0;
  std::int64_t merges = 0;  // aliases of exports merged into their survivor
};

// One input: its name for messages ("-" for standard input) and its text.
struct JsonInput {
  std::string name;
  std::istream* in = nullptr;
};

// Records every event of `inputs`. Each non-blank line is one event, or one
// export document (Store::Export) whose events are all recorded. The first
// bad line is an InvalidArgument error "NAME:LINE: <field>: <why>" and
// nothing is written. An error after recording started (I/O, a full disk)
// keeps its code and says how many events were recorded.
[[nodiscard]] absl::StatusOr<RecordJsonSummary> RecordJsonLines(
    Store& store, const std::vector<JsonInput>& inputs,
    const RecordJsonOptions& options);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_RECORD_H_
