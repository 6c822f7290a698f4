// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What an erasure deletes, and which key ranges its scrub rewrites: the one
// place that lists them (docs/privacy.md). Extend PlanErasure when customers
// gain keys of a new kind: nothing else needs to change.
//
// An erasure removes a customer's whole merged group (every customer merged
// into the same root, docs/privacy.md "Merged customers"): a group of one
// for a customer that was never merged.
//
// Pure functions over the store's column family handles; thread-compatible.

#ifndef CKM_SRC_ENGINE_ERASE_PLAN_H_
#define CKM_SRC_ENGINE_ERASE_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/keys.h"

namespace ckm::engine {

struct ErasurePlan {
  struct Point {
    rocksdb::ColumnFamilyHandle* cf;
    std::string key;
  };
  struct Range {
    rocksdb::ColumnFamilyHandle* cf;
    std::string begin, end;  // [begin, end)
  };
  std::vector<Point> points;  // deleted by the erasure's batch
  std::vector<Range> ranges;  // rewritten by the scrub, with the points
  // The scrub rewrites the directory and identity column families whole:
  // the ids and identities erased are no longer known (a scrub that an
  // earlier process did not finish).
  bool whole_directory = false;
};

// One customer of the group an erasure removes.
struct ErasedCustomer {
  keys::CustomerNumber number = 0;
  std::string id;
  // The customer it was merged into (its merge link), if any.
  std::optional<keys::CustomerNumber> merged_into;
  std::int64_t events = 0;        // history events under its number
  std::int64_t newest_ts_ms = 0;  // the newest of them (0 with none)
  std::int64_t identities = 0;    // identity keys that lead to it
};

// What a survey of the group found that its numbers alone do not give.
struct GroupSurvey {
  std::vector<ErasedCustomer> customers;
  // Every history key of every customer of the group. Deleted key by key,
  // not with DeleteRange over each number's prefix: the history column
  // families insert with a per-prefix hint
  // (memtable_insert_with_hint_prefix_extractor), and RocksDB 7.8 hands a
  // point table's hint to the range-deletion table, whose skip list it then
  // corrupts (an assertion in a debug RocksDB, caught by privacy_test).
  std::vector<ErasurePlan::Point> history_keys;
  // `identities` keys that lead to a customer of the group.
  std::vector<std::string> identity_keys;
  // `customers` keys of identity changes: every entry of the group's change
  // logs, and the entries of other customers' logs that name one of them.
  std::vector<std::string> change_keys;
  // `outbox` keys of the group's events still queued for head office
  // (docs/sync.md): published later, they would bring the group back there.
  std::vector<std::string> outbox_keys;
};

// Everything the erasure of the surveyed group deletes: per customer its
// directory entry and reverse, profile, breakdowns, pending marker, merge
// link (both keys) and history; the group's identities and change entries.
ErasurePlan PlanErasure(const storage::Db& db, GroupSurvey survey);

// The scrub of erasures whose ids are not known any more: the history,
// profile, breakdowns and pending ranges of each number, and the directory
// and identity column families whole.
ErasurePlan PlanScrub(const storage::Db& db,
                      const std::vector<keys::CustomerNumber>& numbers);

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_ERASE_PLAN_H_
