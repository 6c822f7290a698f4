// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The file-level half of RepairStore: a backup copy of a store's directory,
// and RocksDB's RepairDB over it with ckm's column families and operators.
//
// Thread safety: free functions; the caller makes sure no process has the
// store open.

#ifndef CKM_SRC_STORAGE_REPAIR_H_
#define CKM_SRC_STORAGE_REPAIR_H_

#include <string>

#include "absl/status/statusor.h"

namespace ckm::storage {

// Copies `dir` to a fresh "<dir>.backup-<n>" next to it; returns its path.
absl::StatusOr<std::string> BackUpDirectory(const std::string& dir);

// Rebuilds CURRENT and the MANIFEST of the store in `dir` from its table
// files and write-ahead logs (rocksdb::RepairDB).
absl::Status RepairFiles(const std::string& dir);

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_REPAIR_H_
