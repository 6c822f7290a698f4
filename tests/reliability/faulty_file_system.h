// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A RocksDB file system that fails writes on command, for the fault
// injection and full-disk suites.

#ifndef CKM_TESTS_RELIABILITY_FAULTY_FILE_SYSTEM_H_
#define CKM_TESTS_RELIABILITY_FAULTY_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ckm_test {

// Operations that can be made to fail.
enum FaultOp : unsigned {
  kAppend = 1,  // Append, PositionedAppend
  kSync = 2,    // Sync, Fsync, RangeSync
  kFlush = 4,   // Flush
  kCreate = 8,  // NewWritableFile, ReopenWritableFile, ReuseWritableFile
};

// A file system that fails writes on command. Thread-safe: RocksDB calls it
// from its write path and from background flushes at once.
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "ckm.FaultyFileSystem"; }

  // From now on, calls in `ops` on files whose name contains `file_part`
  // ("" for every file) fail after `after` more of them succeed. A failed
  // Append writes the first half of its data when `torn` is set.
  void FailAfter(unsigned ops, std::string file_part, int after,
                 bool torn = false) {
    absl::MutexLock lock(&mu_);
    Arm(ops, std::move(file_part), torn);
    countdown_ = after;
    probability_ = 0;
  }

  // From now on, each such call fails with probability `p`.
  void FailRandomly(unsigned ops, std::string file_part, double p,
                    std::uint64_t seed, bool torn = false) {
    absl::MutexLock lock(&mu_);
    Arm(ops, std::move(file_part), torn);
    probability_ = p;
    rng_.seed(seed);
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    armed_ = false;
  }

  // Injected errors are "no space left on device" (IOStatus::NoSpace, as
  // RocksDB's POSIX file system reports ENOSPC) instead of a plain IOError.
  void SetNoSpace(bool no_space) {
    absl::MutexLock lock(&mu_);
    no_space_ = no_space;
  }

  // Faults injected so far.
  int injected() const {
    absl::MutexLock lock(&mu_);
    return injected_;
  }

  // OK, or the injected error for this call.
  rocksdb::IOStatus Check(FaultOp op, const std::string& fname, bool* torn) {
    absl::MutexLock lock(&mu_);
    if (!armed_ || (ops_ & op) == 0 ||
        fname.find(file_part_) == std::string::npos) {
      return rocksdb::IOStatus::OK();
    }
    bool fail;
    if (probability_ > 0) {
      fail = std::uniform_real_distribution<double>(0, 1)(rng_) < probability_;
    } else {
      fail = countdown_-- <= 0;
    }
    if (!fail) return rocksdb::IOStatus::OK();
    ++injected_;
    if (torn != nullptr) *torn = torn_;
    if (no_space_) {
      rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace(
          "injected: no space left on device", fname);
      s.SetRetryable(true);  // as RocksDB's POSIX file system does
      return s;
    }
    return rocksdb::IOStatus::IOError("injected fault", fname);
  }

  // While failing with NoSpace, the disk also reports no free space, as a
  // full disk does: RocksDB's recovery waits for room before it resumes.
  rocksdb::IOStatus GetFreeSpace(const std::string& path,
                                 const rocksdb::IOOptions& options,
                                 std::uint64_t* free_space,
                                 rocksdb::IODebugContext* dbg) override {
    {
      absl::MutexLock lock(&mu_);
      if (armed_ && no_space_) {
        *free_space = 0;
        return rocksdb::IOStatus::OK();
      }
    }
    return target()->GetFreeSpace(path, options, free_space, dbg);
  }

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Check(kCreate, fname, nullptr);
    if (s.ok()) s = target()->NewWritableFile(fname, options, result, dbg);
    return Wrap(s, fname, result);
  }
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Check(kCreate, fname, nullptr);
    if (s.ok()) s = target()->ReopenWritableFile(fname, options, result, dbg);
    return Wrap(s, fname, result);
  }
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& fname, const std::string& old_fname,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Check(kCreate, fname, nullptr);
    if (s.ok()) {
      s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    }
    return Wrap(s, fname, result);
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FaultyFileSystem* fs,
         std::string name)
        : FSWritableFileOwnerWrapper(std::move(file)),
          fs_(fs),
          name_(std::move(name)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      bool torn = false;
      rocksdb::IOStatus s = fs_->Check(kAppend, name_, &torn);
      if (!s.ok()) {
        if (torn) {
          target()
              ->Append(rocksdb::Slice(data.data(), data.size() / 2), options,
                       dbg)
              .PermitUncheckedError();
        }
        return s;
      }
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       std::uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(kAppend, name_, nullptr); !s.ok())
        return s;
      return target()->PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       std::uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo&,
                                       rocksdb::IODebugContext* dbg) override {
      return PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(kFlush, name_, nullptr); !s.ok())
        return s;
      return target()->Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(kSync, name_, nullptr); !s.ok())
        return s;
      return target()->Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(kSync, name_, nullptr); !s.ok())
        return s;
      return target()->Fsync(options, dbg);
    }
    rocksdb::IOStatus RangeSync(std::uint64_t offset, std::uint64_t nbytes,
                                const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Check(kSync, name_, nullptr); !s.ok())
        return s;
      return target()->RangeSync(offset, nbytes, options, dbg);
    }

   private:
    FaultyFileSystem* const fs_;
    const std::string name_;
  };

  void Arm(unsigned ops, std::string file_part, bool torn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    armed_ = true;
    ops_ = ops;
    file_part_ = std::move(file_part);
    torn_ = torn;
  }

  rocksdb::IOStatus Wrap(rocksdb::IOStatus s, const std::string& fname,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (s.ok())
      *result = std::make_unique<File>(std::move(*result), this, fname);
    return s;
  }

  mutable absl::Mutex mu_;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  unsigned ops_ ABSL_GUARDED_BY(mu_) = 0;
  std::string file_part_ ABSL_GUARDED_BY(mu_);
  bool torn_ ABSL_GUARDED_BY(mu_) = false;
  bool no_space_ ABSL_GUARDED_BY(mu_) = false;
  int countdown_ ABSL_GUARDED_BY(mu_) = 0;
  double probability_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  int injected_ ABSL_GUARDED_BY(mu_) = 0;
};

// A FaultyFileSystem and an Env on it. Declare it before the stores that use
// it: it must outlive them.
struct FaultyEnv {
  std::shared_ptr<FaultyFileSystem> fs = std::make_shared<FaultyFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

}  // namespace ckm_test

#endif  // CKM_TESTS_RELIABILITY_FAULTY_FILE_SYSTEM_H_
