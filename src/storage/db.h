// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The RocksDB database under a Store: opening it with ckm's column families
// and options, checking the format it was written with, and the mapping of
// RocksDB statuses onto absl ones.
//
// Thread safety: a Db is safe for concurrent use; its handles are fixed for
// its lifetime.

#ifndef CKM_SRC_STORAGE_DB_H_
#define CKM_SRC_STORAGE_DB_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/options.h"
#include "ckm/version.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "storage/keys.h"

namespace ckm::storage {

// The on-disk format this build reads and writes. Format 3 keys everything by
// customer number (storage/keys.h); formats 1 and 2 keyed by external id and
// are rebuilt with MigrateStore() (`ckm migrate`). Format 3.1 is format 3
// plus encodings that hold line totals and discounts; format 3.2 stores
// breakdowns in the compact encoding of merge operands instead of
// FlatBuffers. Stores of formats 3 and 3.1 are read as they are, and their
// first read-write open marks them 3.2, so that builds that cannot read the
// newer encodings refuse them rather than find them corrupt.
inline constexpr const char* kFormatVersion = kStoreFormat;
inline constexpr char kFormatVersionBeforeDiscounts[] = "3";
inline constexpr char kFormatVersionBeforeCompactBreakdowns[] = "3.1";
// Older formats this build reads as they are (and marks on a read-write open).
inline bool IsOlderReadableFormat(std::string_view version) {
  return version == kFormatVersionBeforeDiscounts ||
         version == kFormatVersionBeforeCompactBreakdowns;
}
inline bool IsReadableFormat(std::string_view version) {
  return version == kFormatVersion || IsOlderReadableFormat(version);
}
inline constexpr char kMetaFormatVersion[] = "ckm.format_version";
// Present while MigrateStore() fills a new store: such a store is refused.
inline constexpr char kMetaMigrating[] = "ckm.migrating";

// RocksDB's status as an absl one: NotFound, DataLoss for corruption,
// ResourceExhausted for a full disk, Unavailable for other I/O errors and
// contention, Internal otherwise. The message is
// "<context>: <RocksDB's text>".
absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

struct OpenParams {
  // RocksDB Env to run on; nullptr: the default one. Fault injection tests
  // pass one that fails on command. REQUIRES: outlives the Db.
  rocksdb::Env* env = nullptr;
  // Open a store that MigrateStore() has not finished (MigrateStore only).
  bool allow_migrating = false;
};

class Db {
 public:
  // Opens or creates the store in `path`, read-write, read-only or as a
  // follower (options.access). FailedPrecondition for a directory that holds
  // another database, a store of another format, or an unfinished
  // migration; NotFound when there is none and options.create_if_missing is
  // false (or access is not read-write); DataLoss naming the file when
  // CURRENT or the MANIFEST is damaged (nothing is created over it);
  // Unavailable when another process holds the store and it cannot be
  // shared.
  static absl::StatusOr<std::unique_ptr<Db>> Open(std::string_view path,
                                                  const StoreOptions& options,
                                                  const OpenParams& params);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  Access access() const { return access_; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const {
    return handles_;
  }
  // The handle of column family `name` (keys::k*Cf), or nullptr.
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;

  rocksdb::ColumnFamilyHandle* customers() const { return customers_; }
  rocksdb::ColumnFamilyHandle* profiles() const { return profiles_; }
  rocksdb::ColumnFamilyHandle* breakdowns() const { return breakdowns_; }
  rocksdb::ColumnFamilyHandle* identities() const { return identities_; }
  rocksdb::ColumnFamilyHandle* pending() const { return pending_; }
  // nullptr for a store without an outbox.
  rocksdb::ColumnFamilyHandle* outbox() const { return outbox_; }
  rocksdb::ColumnFamilyHandle* history(keys::HistoryCf which) const {
    return history_[static_cast<int>(which)];
  }
  const std::array<rocksdb::ColumnFamilyHandle*, keys::kHistoryCfCount>&
  history() const {
    return history_;
  }

 private:
  Db(std::unique_ptr<rocksdb::DB> db,
     std::vector<rocksdb::ColumnFamilyHandle*> handles);
  static absl::StatusOr<std::vector<std::string>> Preflight(
      const rocksdb::Options& db_options, const std::string& dir,
      const StoreOptions& options);
  static absl::StatusOr<std::unique_ptr<Db>> OpenRocks(
      const rocksdb::Options& db_options, const std::string& dir,
      const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors,
      const StoreOptions& options);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  Access access_ = Access::kReadWrite;
  // A follower directory ckm created for this Db, removed on close.
  std::string remove_on_close_;
  rocksdb::ColumnFamilyHandle* customers_ = nullptr;
  rocksdb::ColumnFamilyHandle* profiles_ = nullptr;
  rocksdb::ColumnFamilyHandle* breakdowns_ = nullptr;
  rocksdb::ColumnFamilyHandle* identities_ = nullptr;
  rocksdb::ColumnFamilyHandle* pending_ = nullptr;
  rocksdb::ColumnFamilyHandle* outbox_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, keys::kHistoryCfCount> history_{};
};

rocksdb::WriteOptions WriteOptionsFor(Durability durability);

// Descriptors for opening the column families `names` of a ckm store of any
// format to read it: default options, but the merge column families get
// their operators. Without one, RocksDB's WAL recovery silently drops the
// log from its first merge record on.
std::vector<rocksdb::ColumnFamilyDescriptor> DescriptorsForReading(
    const std::vector<std::string>& names);

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_DB_H_
