// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What a directory holds of a RocksDB store, found without opening it and
// without writing anything: used before every open so that ckm never
// creates a store over the files of an existing one, and names the damaged
// file when CURRENT or the MANIFEST cannot be read.
//
// Thread safety: free functions over the file system; no shared state.

#ifndef CKM_SRC_STORAGE_STORE_FILES_H_
#define CKM_SRC_STORAGE_STORE_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ckm::storage {

struct StoreFiles {
  bool directory_exists = false;
  bool has_current = false;
  std::vector<std::string> manifests;  // MANIFEST-*
  int tables = 0;                      // *.sst
  int logs = 0;                        // *.log (write-ahead logs)
  std::uintmax_t log_bytes = 0;        // their sizes added up
  int options_files = 0;               // OPTIONS-*
  // The first entry (in directory order) that RocksDB does not write, such
  // as a user's own file; empty if there is none.
  std::string foreign;

  // True if the directory holds any file only a created store has. A
  // MANIFEST alone is not one: RocksDB creates a store by writing
  // MANIFEST-000001 and then CURRENT, and a creation interrupted in between
  // holds no data (every store that has data also has a WAL or an SST file,
  // and an OPTIONS file).
  bool HoldsStoreFiles() const {
    return has_current || tables > 0 || logs > 0 || options_files > 0;
  }
  // True if a table file or a non-empty write-ahead log may hold data.
  bool HoldsData() const { return tables > 0 || log_bytes > 0; }
  // "2 MANIFEST, 14 .sst, 1 .log, 2 OPTIONS": for messages.
  std::string Summary() const;
};

StoreFiles ListStoreFiles(const std::string& dir);

// The process that holds the store's LOCK (RocksDB's fcntl lock), if another
// process holds it. Queries the lock without taking it.
std::optional<long> LockHolder(const std::string& dir);

// The path of the MANIFEST that CURRENT names, if that MANIFEST exists and is
// not empty; otherwise DataLoss naming the damaged file and the way to
// repair it. REQUIRES: files.HoldsStoreFiles().
absl::StatusOr<std::string> CheckCurrent(const std::string& dir,
                                         const StoreFiles& files);

// DataLoss: `file` (a path) is damaged (`what`); names `ckm repair`.
absl::Status DamagedStoreFile(const std::string& dir, const std::string& file,
                              const std::string& what);

// Unavailable: another process (`pid`) has the store open.
absl::Status StoreBusy(const std::string& dir, long pid);

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_STORE_FILES_H_
