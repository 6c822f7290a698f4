// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// After a rebuild replaced a value it could not read: the table file that
// holds the damaged block leaves the tree before a compaction meets it
// (storage/damaged_tables.h explains why that compaction would stop the
// store).

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "engine/store_impl.h"
#include "rocksdb/env.h"

namespace ckm::engine {

void StoreImpl::NoteDamagedBlock(rocksdb::ColumnFamilyHandle* cf,
                                 std::string key) {
  std::lock_guard<std::mutex> lock(damaged_mu_);
  damaged_blocks_.emplace_back(cf, std::move(key));
}

absl::Status StoreImpl::RetireDamagedTables() {
  std::vector<std::pair<rocksdb::ColumnFamilyHandle*, std::string>> noted;
  {
    std::lock_guard<std::mutex> lock(damaged_mu_);
    noted.swap(damaged_blocks_);
  }
  // One damaged file usually holds many of the noted keys: retire each once.
  std::map<std::string,
           std::pair<rocksdb::ColumnFamilyHandle*, storage::DamagedTable>>
      tables;
  for (const auto& [cf, key] : noted) {
    bool known = false;
    for (const auto& [path, entry] : tables) {
      known = known || (entry.first == cf && entry.second.smallest_key <= key &&
                        key <= entry.second.largest_key);
    }
    if (known) continue;
    absl::StatusOr<std::vector<storage::DamagedTable>> found =
        storage::FindDamagedTables(db_->db(), cf, key);
    if (!found.ok()) return found.status();
    for (storage::DamagedTable& t : *found)
      tables.emplace(t.path, std::make_pair(cf, std::move(t)));
  }
  for (const auto& [path, entry] : tables) {
    if (absl::Status s = RetireTable(entry.first, entry.second); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

// Every key the file may hold is a customer number in its range: rebuilding
// the root of each such customer writes a newer full value or deletion for
// every one of them (a merged customer's keys are deleted by its root's
// rebuild; an erased customer's are under a range deletion). Then nothing
// in the file is visible any more, and it can go.
absl::Status StoreImpl::RetireTable(rocksdb::ColumnFamilyHandle* cf,
                                    const storage::DamagedTable& table) {
  const rocksdb::SequenceNumber before = db_->db()->GetLatestSequenceNumber();
  std::set<std::string> in_range;
  absl::Status s = directory_->ForEach(
      [&](keys::CustomerNumber number, std::string_view id) {
        const std::string key = keys::CustomerKey(number);
        if (table.smallest_key <= key && key <= table.largest_key)
          in_range.emplace(id);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  for (const std::string& id : in_range) {
    std::optional<StripeLocks> locks;
    absl::StatusOr<std::vector<Resolved>> who = LockResolved({id}, {}, locks);
    if (!who.ok()) return who.status();
    absl::StatusOr<CustomerReport> rebuilt =
        RebuildLocked(id, who->front(), /*note_damage=*/false);
    if (!rebuilt.ok()) return rebuilt.status();
  }
  s = storage::DropReplacedTable(db_->db(), cf, table, before);
  if (!absl::IsFailedPrecondition(s)) return s;
  // The profiles are repaired; the file stays until `ckm repair` (RepairDB
  // sets aside a table with a damaged block) or a compaction meets it.
  rocksdb::Warn(db_->db()->GetOptions().info_log,
                "ckm: damaged table %s stays: %s", table.path.c_str(),
                std::string(s.message()).c_str());
  return absl::OkStatus();
}

}  // namespace ckm::engine
