// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/damaged_tables.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "rocksdb/convenience.h"
#include "rocksdb/metadata.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/table_properties.h"
#include "storage/db.h"

namespace ckm::storage {
namespace {

bool Holds(const rocksdb::SstFileMetaData& f, std::string_view key) {
  return f.smallestkey <= key && key <= f.largestkey;
}

bool Within(const rocksdb::SstFileMetaData& f, const DamagedTable& range) {
  return f.smallestkey >= range.smallest_key &&
         f.largestkey <= range.largest_key;
}

// Resumes flushes and compactions when it goes out of scope.
class PausedBackgroundWork {
 public:
  explicit PausedBackgroundWork(rocksdb::DB* db)
      : db_(db), paused_(db->PauseBackgroundWork().ok()) {}
  ~PausedBackgroundWork() {
    if (paused_) db_->ContinueBackgroundWork().PermitUncheckedError();
  }
  PausedBackgroundWork(const PausedBackgroundWork&) = delete;
  PausedBackgroundWork& operator=(const PausedBackgroundWork&) = delete;
  bool paused() const { return paused_; }

 private:
  rocksdb::DB* const db_;
  const bool paused_;
};

// The files of levels 1 and up that lie within `table`'s range: the ones
// DeleteFilesInRanges may remove along with it. Each must hold nothing
// written after `written_after` and no range deletion (removing one would
// bring back what it deleted below it).
absl::Status CheckRemovable(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                            const rocksdb::ColumnFamilyMetaData& meta,
                            const DamagedTable& table,
                            rocksdb::SequenceNumber written_after) {
  const rocksdb::Slice lo(table.smallest_key), hi(table.largest_key);
  const rocksdb::Range range(lo, hi);
  rocksdb::TablePropertiesCollection properties;
  rocksdb::Status s =
      db->GetPropertiesOfTablesInRange(cf, &range, 1, &properties);
  if (!s.ok()) return FromRocks(s, "reading table properties");
  for (const rocksdb::LevelMetaData& level : meta.levels) {
    if (level.level == 0) continue;
    for (const rocksdb::SstFileMetaData& f : level.files) {
      if (!Within(f, table)) continue;
      if (f.largest_seqno > written_after) {
        return absl::FailedPreconditionError(absl::StrCat(
            "table file ", f.relative_filename,
            " in its range holds writes made since the rebuild began"));
      }
      for (const auto& [path, props] : properties) {
        if (path.size() >= f.relative_filename.size() &&
            path.compare(path.size() - f.relative_filename.size(),
                         std::string::npos, f.relative_filename) == 0 &&
            props != nullptr && props->num_range_deletions > 0) {
          return absl::FailedPreconditionError(
              absl::StrCat("table file ", f.relative_filename,
                           " in its range holds range deletions"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<DamagedTable>> FindDamagedTables(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  rocksdb::ColumnFamilyMetaData meta;
  db->GetColumnFamilyMetaData(cf, &meta);
  const rocksdb::Options options = db->GetOptions(cf);
  std::vector<DamagedTable> damaged;
  for (const rocksdb::LevelMetaData& level : meta.levels) {
    for (const rocksdb::SstFileMetaData& f : level.files) {
      if (!Holds(f, key)) continue;
      const std::string path = f.directory + "/" + f.relative_filename;
      rocksdb::SstFileReader reader(options);
      rocksdb::Status s = reader.Open(path);
      if (s.ok()) s = reader.VerifyChecksum();
      if (s.ok()) continue;
      if (!s.IsCorruption())
        return FromRocks(s, absl::StrCat("checking \"", path, "\""));
      damaged.push_back({path, "/" + f.relative_filename, level.level,
                         f.smallestkey, f.largestkey});
    }
  }
  return damaged;
}

absl::Status DropReplacedTable(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                               const DamagedTable& table,
                               rocksdb::SequenceNumber written_after) {
  // No flush or compaction may change the tree between the checks and the
  // removal.
  PausedBackgroundWork paused(db);
  if (!paused.paused())
    return absl::UnavailableError("pausing compactions failed");
  rocksdb::ColumnFamilyMetaData meta;
  db->GetColumnFamilyMetaData(cf, &meta);
  auto live = [&meta, &table] {
    for (const rocksdb::LevelMetaData& level : meta.levels)
      for (const rocksdb::SstFileMetaData& f : level.files)
        if ("/" + f.relative_filename == table.name) return level.level;
    return -1;
  };
  const int level = live();
  if (level < 0) return absl::OkStatus();
  rocksdb::Status s;
  if (level == 0) {
    // Removes exactly this file, if RocksDB allows (the oldest of level 0,
    // nothing below): nothing else to check.
    s = db->DeleteFile(table.name);
  } else {
    if (absl::Status c = CheckRemovable(db, cf, meta, table, written_after);
        !c.ok()) {
      return c;
    }
    const rocksdb::Slice lo(table.smallest_key), hi(table.largest_key);
    const rocksdb::RangePtr range(&lo, &hi);
    s = rocksdb::DeleteFilesInRanges(db, cf, &range, 1, /*include_end=*/true);
  }
  if (!s.ok() && !s.IsInvalidArgument())
    return FromRocks(s, absl::StrCat("removing \"", table.path, "\""));
  db->GetColumnFamilyMetaData(cf, &meta);
  if (live() < 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "RocksDB cannot remove \"", table.path, "\" (level ", level,
      ") on its own", s.ok() ? "" : absl::StrCat(": ", s.ToString())));
}

}  // namespace ckm::storage
