// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A look at the records of a MANIFEST without RocksDB. RocksDB reads a
// MANIFEST that ends in a torn record as if that record had never been
// written (it takes a cut tail for a crash while writing), and its
// read-write open then deletes the table files and logs that the dropped
// record named: acknowledged data is lost without a word. A ckm MANIFEST
// never ends that way after a crash (every one is written whole and synced
// before CURRENT names it; see DbOptions in storage/db.cc), so before a
// read-write open ckm checks the records itself.
//
// The format is RocksDB's log format (db/log_format.h): 32 KiB blocks of
// records, each with a 7-byte header (masked CRC-32C of type and payload,
// 2-byte length, 1-byte type); a logical record is one FULL record or
// FIRST, MIDDLE..., LAST; a block's last 1 to 6 bytes are zero padding.
//
// Thread safety: a pure function over a file.

#ifndef CKM_SRC_STORAGE_MANIFEST_LOG_H_
#define CKM_SRC_STORAGE_MANIFEST_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ckm::storage {

struct LogRecordsCheck {
  // Every byte belongs to a whole record whose checksum matches (or to block
  // padding, or to zeros after the last record).
  bool intact = true;
  // When not intact: the offset where the damage starts, and what it is
  // ("a record cut short at byte 3,112 of 3,113", ...).
  std::uint64_t damaged_at = 0;
  std::string problem;
  // Whole logical records before the damage.
  std::uint64_t records = 0;
};

// Checks the log records held in `bytes` (a whole MANIFEST).
LogRecordsCheck CheckLogRecords(std::string_view bytes);

// Reads the file at `path` and checks it. Unavailable if it cannot be read.
absl::StatusOr<LogRecordsCheck> CheckLogFile(const std::string& path);

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_MANIFEST_LOG_H_
