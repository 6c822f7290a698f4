// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Who resumes a store's writes after a background error: the store itself,
// at its next write (engine/access.cc, StoreImpl::ResumeIfStopped), never
// RocksDB on its own.
//
// RocksDB 7.8 starts its own recovery after a full disk (its SstFileManager
// polls free space every 5 seconds) and after retryable I/O errors (a
// thread that retries DB::Resume). While either runs, a DB::Resume() of the
// store's answers Busy, so a write after space was freed kept failing for
// up to 5 seconds, and a recovery racing a close or a failed resume could
// keep the store stopped (docs/reliability.md). With this listener, and
// max_bgerror_resume_count = 0, the store alone decides when to resume:
// at the next write, and only once the disk has room.
//
// Thread safety: stateless; RocksDB calls it from any thread.

#ifndef CKM_SRC_STORAGE_RECOVERY_LISTENER_H_
#define CKM_SRC_STORAGE_RECOVERY_LISTENER_H_

#include <memory>

#include "rocksdb/listener.h"

namespace ckm::storage {

std::shared_ptr<rocksdb::EventListener> NewNoAutoRecoveryListener();

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_RECOVERY_LISTENER_H_
