// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/repair.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/info_log.h"
#include "storage/keys.h"

namespace ckm::storage {

absl::StatusOr<std::string> BackUpDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string backup;
  for (int n = 1;; ++n) {
    backup = absl::StrCat(dir, ".backup-", n);
    if (!fs::exists(backup, ec)) break;
  }
  fs::copy(dir, backup, fs::copy_options::recursive, ec);
  if (!ec) return backup;
  fs::remove_all(backup, ec);
  const std::string message = absl::StrCat(
      "copying \"", dir, "\" to \"", backup,
      "\" before the repair: ", ec.message(), "; nothing was changed");
  if (ec == std::errc::no_space_on_device)
    return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

absl::Status RepairFiles(const std::string& dir) {
  rocksdb::Options options;
  options.info_log = NewFileInfoLog(dir + "/LOG");
  options.create_if_missing = false;
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName,
                                    keys::kCustomersCf,
                                    keys::kProfilesCf,
                                    keys::kBreakdownsCf,
                                    keys::kIdentitiesCf,
                                    keys::kPendingCf};
  for (const char* name : keys::kHistoryCfNames) names.push_back(name);
  // The outbox only where there was one: having one turns queuing on.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(options, dir, &existing).ok() &&
      std::find(existing.begin(), existing.end(), keys::kOutboxCf) !=
          existing.end()) {
    names.push_back(keys::kOutboxCf);
  }
  // With the merge operators: RepairDB replays the WALs into tables.
  return FromRocks(
      rocksdb::RepairDB(dir, options, DescriptorsForReading(names)),
      absl::StrCat("repairing \"", dir, "\""));
}

}  // namespace ckm::storage
