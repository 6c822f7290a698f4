// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// RepairStore: recovers a store whose metadata files (CURRENT, the MANIFEST)
// are missing or damaged, after taking a copy of it.
//
// Thread safety: RepairStore may run only while no process has the store
// open; it refuses (Unavailable) a store another process holds.

#ifndef CKM_REPAIR_H_
#define CKM_REPAIR_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/query.h"

namespace ckm {

// What a repair did.
struct RepairReport {
  // The copy of the directory taken before anything was changed:
  // "<path>.backup-<n>", next to it (n counts up from 1 to a free name).
  std::string backup_dir;
  // RebuildAll() of the repaired store: the profiles and breakdowns that
  // differed from the fold of their history, now rebuilt.
  StoreReport rebuilt;
};

// Copies the directory `path` to a backup next to it, then rebuilds the
// store's metadata from the table files and write-ahead logs it holds
// (RocksDB's RepairDB), opens it, and rebuilds every profile that differs
// from the fold of its history. What RocksDB cannot read is lost from the
// repaired store but kept in the backup.
//
// Errors: NotFound (no store files at `path`), Unavailable (another process
// has the store open, or an I/O error), ResourceExhausted (no room for the
// backup), DataLoss (history that cannot be read, after the repair), and
// FailedPrecondition (the repaired directory is not a ckm store).
[[nodiscard]] absl::StatusOr<RepairReport> RepairStore(std::string_view path);

}  // namespace ckm

#endif  // CKM_REPAIR_H_
