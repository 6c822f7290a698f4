// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What a Store may do given how it was opened (StoreOptions::access), and
// how its writes carry on after a failed one.

#include "absl/strings/str_cat.h"
#include "engine/store_impl.h"
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
  absl::MutexLock lock(&resume_mu_);
  if (!write_failed_.load() && errors == resumed_background_errors_.load())
    return rocksdb::Status::OK();  // another thread resumed meanwhile
  // OK at once when RocksDB holds no error (or recovered by itself);
  // otherwise it flushes the memtables and starts a new WAL, which fails
  // again while the disk is still full.
  rocksdb::Status s = db_->db()->Resume();
  // Busy: RocksDB is recovering by itself. After a full disk it polls for
  // free space and resumes when there is some (its SstFileManager); the
  // write then reports whether the store is still stopped.
  if (s.IsBusy()) return rocksdb::Status::OK();
  if (!s.ok()) return s;
  write_failed_.store(false);
  resumed_background_errors_.store(errors);
  return s;
}

rocksdb::Status StoreImpl::Write(const rocksdb::WriteOptions& options,
                                 rocksdb::WriteBatch* batch) {
  if (rocksdb::Status s = ResumeIfStopped(); !s.ok()) return s;
  rocksdb::Status s = db_->db()->Write(options, batch);
  if (!s.ok()) write_failed_.store(true);
  return s;
}

}  // namespace ckm::engine
