// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What a Store may do given how it was opened (StoreOptions::access), and
// how its writes carry on after a failed one.

#include <mutex>

#include "absl/strings/str_cat.h"
#include "engine/store_impl.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"

namespace ckm::engine {

absl::Status StoreImpl::CheckWritable(std::string_view call) const {
  if (db_->access() == Access::kReadWrite) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      Av(call), ": the store is open ",
      db_->access() == Access::kReadOnly ? "read-only" : "as a follower",
      "; nothing was written"));
}

absl::Status StoreImpl::CatchUp() {
  switch (db_->access()) {
    case Access::kReadWrite:
      return absl::OkStatus();
    case Access::kReadOnly:
      return absl::FailedPreconditionError(
          "CatchUp: the store is open read-only; open it as a follower to "
          "follow a writer");
    case Access::kFollower:
      break;
  }
  return storage::FromRocks(db_->db()->TryCatchUpWithPrimary(),
                            "catching up with the writer");
}

rocksdb::Status StoreImpl::ResumeIfStopped() {
  std::uint64_t errors = 0;
  db_->db()->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors,
                            &errors);
  if (!write_failed_.load() && errors == resumed_background_errors_.load())
    return rocksdb::Status::OK();
  std::lock_guard<std::mutex> lock(resume_mu_);
  if (!write_failed_.load() && errors == resumed_background_errors_.load())
    return rocksdb::Status::OK();  // another thread resumed meanwhile
  // Is RocksDB still stopped? An empty write without WAL asks: RocksDB
  // refuses it with the error that stopped it, touching nothing.
  rocksdb::WriteOptions probe;
  probe.disableWAL = true;
  rocksdb::WriteBatch empty;
  rocksdb::Status s = db_->db()->Write(probe, &empty);
  // A full disk: a DB::Resume() while there is no room would fail part-way
  // and can leave a write-ahead log RocksDB never resumes from; so resume
  // only once the disk has room for a memtable. RocksDB never resumes by
  // itself (storage/recovery_listener.h): each write tries once, so a
  // caller's retries are the only loop.
  if (s.IsNoSpace()) {
    std::uint64_t free_bytes = 0;
    if (!db_->db()
             ->GetEnv()
             ->GetFreeSpace(db_->db()->GetName(), &free_bytes)
             .ok() ||
        free_bytes < options_.write_buffer_bytes) {
      return s;
    }
  }
  if (!s.ok()) {
    // Resume now: RocksDB flushes the memtables and starts a new WAL.
    const rocksdb::Status resumed = db_->db()->Resume();
    if (!resumed.ok()) return resumed.IsBusy() ? s : resumed;
  }
  write_failed_.store(false);
  resumed_background_errors_.store(errors);
  return rocksdb::Status::OK();
}

rocksdb::Status StoreImpl::Write(const rocksdb::WriteOptions& options,
                                 rocksdb::WriteBatch* batch) {
  if (rocksdb::Status s = ResumeIfStopped(); !s.ok()) return s;
  rocksdb::Status s = db_->db()->Write(options, batch);
  if (!s.ok()) write_failed_.store(true);
  return s;
}

}  // namespace ckm::engine
