// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Table files that hold a block failing its checksum, and their removal once
// every key they may hold has been written again.
//
// Rebuild() writes a profile's fold without reading the damaged value, but
// the damaged block stays in its table file; the compaction that reaches it
// fails, RocksDB counts that as an unrecoverable background error, and the
// store stops taking writes until it is reopened (and fails again at the
// next such compaction). Profiles and breakdowns are folds of history, so
// once every key in such a file's range has a newer value (or deletion),
// nothing in the file is visible to any read, and the file can leave the
// tree without being read: RocksDB's DeleteFilesInRanges (levels 1 and up)
// or DeleteFile (the oldest file of level 0 with no level below it).
//
// Thread safety: safe with concurrent reads and writes of the database.

#ifndef CKM_SRC_STORAGE_DAMAGED_TABLES_H_
#define CKM_SRC_STORAGE_DAMAGED_TABLES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace ckm::storage {

struct DamagedTable {
  std::string path;  // the file, for messages
  std::string name;  // "/000012.sst", as DB::DeleteFile takes it
  int level = 0;
  std::string smallest_key;  // user keys, both included
  std::string largest_key;
};

// The live table files of `cf` whose key range holds `key` and which hold a
// block that fails its checksum.
absl::StatusOr<std::vector<DamagedTable>> FindDamagedTables(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string_view key);

// Removes `table` from the tree of `cf` without reading it. REQUIRES: every
// key in [smallest_key, largest_key] that a read could see was written again
// (a full value or a deletion) at a sequence number above `written_after`.
// Files that hold writes above it, or range deletions, are never removed:
// FailedPrecondition says why `table` stays (so does a level-0 file RocksDB
// cannot remove alone). OK, doing nothing, if the file is gone already.
absl::Status DropReplacedTable(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                               const DamagedTable& table,
                               rocksdb::SequenceNumber written_after);

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_DAMAGED_TABLES_H_
