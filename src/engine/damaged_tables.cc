// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// After a rebuild replaced a value it could not read: the table file that
// holds the damaged block leaves the tree before a compaction meets it
// (storage/damaged_tables.h explains why that compaction would stop the
// store).

#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/store_impl.h"
#include "rocksdb/env.h"
#include "rocksdb/write_batch.h"

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
  absl::Status s = RetireTablesOf(noted);
  if (!s.ok()) {  // tried again after the next rebuild
    std::lock_guard<std::mutex> lock(damaged_mu_);
    damaged_blocks_.insert(damaged_blocks_.end(), noted.begin(), noted.end());
  }
  return s;
}

absl::Status StoreImpl::RetireTablesOf(
    const std::vector<std::pair<rocksdb::ColumnFamilyHandle*, std::string>>&
        noted) {
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

// Every key the file may hold is a customer number in its range, and
// numbers are dense: a newer entry for each hides everything in the file,
// which can then go. Copying values forward, rather than refolding every
// customer, leaves each profile exactly as it reads now; only values that
// cannot be read are refolded. Erased and merged customers' numbers get a
// deletion, so that removing the file (and files it overlaps that hold
// their older deletions) brings back nothing.
absl::Status StoreImpl::RetireTable(rocksdb::ColumnFamilyHandle* cf,
                                    const storage::DamagedTable& table) {
  const rocksdb::SequenceNumber before = db_->db()->GetLatestSequenceNumber();
  const std::optional<keys::CustomerNumber> first =
      keys::NumberOf(table.smallest_key);
  const std::optional<keys::CustomerNumber> last =
      keys::NumberOf(table.largest_key);
  absl::Status s;
  if (!first || !last) {
    s = absl::FailedPreconditionError("its keys are not customer numbers");
  } else {
    for (keys::CustomerNumber n = *first; n <= *last && s.ok(); ++n)
      s = CarryForward(cf, n);
    if (!s.ok()) return s;
    // The copies are in the WAL, not yet synced: synced before the file goes.
    if (rocksdb::Status w = db_->db()->FlushWAL(/*sync=*/true); !w.ok())
      return storage::FromRocks(w, "syncing a damaged table's replacements");
    s = storage::DropReplacedTable(db_->db(), cf, table, before);
  }
  if (!absl::IsFailedPrecondition(s)) return s;
  // The profiles are repaired; the file stays until `ckm repair` (RepairDB
  // sets aside a table with a damaged block) or a compaction meets it.
  rocksdb::Warn(db_->db()->GetOptions().info_log,
                "ckm: damaged table %s stays: %s", table.path.c_str(),
                std::string(s.message()).c_str());
  return absl::OkStatus();
}

absl::Status StoreImpl::CarryForward(rocksdb::ColumnFamilyHandle* cf,
                                     keys::CustomerNumber number) {
  std::optional<StripeLocks> locks;
  std::optional<Resolved> who;  // none: erased, or never given out
  absl::StatusOr<std::string> id = directory_->NameOf(number);
  if (id.ok()) {
    absl::StatusOr<std::vector<Resolved>> r = LockResolved({*id}, {}, locks);
    if (r.ok()) {
      who = r->front();
    } else if (!absl::IsNotFound(r.status())) {
      return r.status();
    }
  } else if (!absl::IsNotFound(id.status())) {
    return id.status();
  }
  // A logged write must not build on unlogged events (SettleUnlogged).
  if (absl::Status s = SettleUnlogged(); !s.ok()) return s;
  const std::string key = keys::CustomerKey(number);
  std::string bytes;
  const rocksdb::Status read =
      db_->db()->Get(rocksdb::ReadOptions(), cf, key, &bytes);
  if (read.IsCorruption() && who && who->root == number)
    return RebuildLocked(*id, *who, /*note_damage=*/false).status();
  if (!read.ok() && !read.IsNotFound() && !read.IsCorruption())
    return storage::FromRocks(read, "reading a damaged table's range");
  // Not found, or unreadable where nothing should be: a deletion.
  rocksdb::WriteBatch batch;
  rocksdb::Status s =
      read.ok() ? batch.Put(cf, key, bytes) : batch.Delete(cf, key);
  if (s.ok()) s = Write(rocksdb::WriteOptions(), &batch);
  return storage::FromRocks(s, "replacing a damaged table's values");
}

}  // namespace ckm::engine
