// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// RepairStore: back up, rebuild the metadata, rebuild the profiles.

#include "ckm/repair.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ckm/store.h"
#include "storage/repair.h"
#include "storage/store_files.h"

namespace ckm {

absl::StatusOr<RepairReport> RepairStore(std::string_view path) {
  const std::string dir(path);
  const storage::StoreFiles files = storage::ListStoreFiles(dir);
  if (!files.HoldsStoreFiles() && files.manifests.empty())
    return absl::NotFoundError(absl::StrCat("no store files at \"", dir, "\""));
  if (std::optional<long> pid = storage::LockHolder(dir))
    return storage::StoreBusy(dir, *pid);
  RepairReport report;
  absl::StatusOr<std::string> backup = storage::BackUpDirectory(dir);
  if (!backup.ok()) return backup.status();
  report.backup_dir = *backup;
  auto with_backup = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(s.message(),
                                               " (a copy from "
                                               "before the "
                                               "repair is in \"",
                                               report.backup_dir, "\")"));
  };
  if (absl::Status s = storage::RepairFiles(dir); !s.ok())
    return with_backup(s);
  // RepairDB brings back only the column families that hold tables; the
  // open recreates the empty ones (the directory now holds a store, so
  // nothing else is created).
  StoreOptions options;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, options);
  if (!store.ok()) return with_backup(store.status());
  absl::StatusOr<StoreReport> rebuilt = (*store)->RebuildAll();
  if (!rebuilt.ok()) return with_backup(rebuilt.status());
  report.rebuilt = *std::move(rebuilt);
  return report;
}

}  // namespace ckm
