// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// RocksDB's info log ("LOG"), written without RocksDB's file writer.
//
// Why our own: Debian's RocksDB keeps its assertions, and when a disk fills
// its info-log writer (WritableFileWriter) fails `sync_without_flush_called_`
// and aborts the process from DBImpl::WriteImpl's SetBGError. A log line is
// never worth a crash: this logger writes each line with one write(2) on a
// file descriptor it owns and ignores every error, so a full disk costs log
// lines, nothing else. It also never rotates or deletes files (RocksDB's own
// logger renames LOG to LOG.old.* on every open, a write that read-only
// opens must not make).
//
// Thread safety: safe for concurrent use; RocksDB logs from every thread.

#ifndef CKM_SRC_STORAGE_INFO_LOG_H_
#define CKM_SRC_STORAGE_INFO_LOG_H_

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace ckm::storage {

// A logger that appends to `path` (created if missing). When the file is
// larger than `max_bytes` at open, it is started afresh, so it never grows
// without bound. If the file cannot be opened the logger discards lines.
std::shared_ptr<rocksdb::Logger> NewFileInfoLog(const std::string& path,
                                                long max_bytes = 4 << 20);

// A logger that discards every line: for read-only and follower opens, which
// must not write to the store's directory.
std::shared_ptr<rocksdb::Logger> NewDiscardingInfoLog();

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_INFO_LOG_H_
