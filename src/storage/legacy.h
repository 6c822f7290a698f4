// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Read-only access to a store of an older format (1 or 2), for
// MigrateStore(). Those formats keyed everything by external customer id:
//
//   history    customer_id 0x00 BE64(ts_ms + 2^63) BE64(event_id) kind
//   profiles   customer_id
//
// Their history values are the events of today's codec (schemas/events.fbs)
// and their profiles today's profile bytes, merged by the same operator
// (ckm.ProfileJoin.v1): format 2 changed only the breakdowns, which a
// migration recomputes and never reads.
//
// Thread safety: not thread-safe; one migration uses it from one thread.

#ifndef CKM_SRC_STORAGE_LEGACY_H_
#define CKM_SRC_STORAGE_LEGACY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace ckm::storage {

class LegacyStore {
 public:
  // Opens the store in `path` read-only; nothing in it is ever written.
  // FailedPrecondition if it is not a ckm store of format 1 or 2.
  static absl::StatusOr<std::unique_ptr<LegacyStore>> Open(
      std::string_view path);
  ~LegacyStore();
  LegacyStore(const LegacyStore&) = delete;
  LegacyStore& operator=(const LegacyStore&) = delete;

  const std::string& format() const { return format_; }
  const std::string& path() const { return path_; }

  // Calls visit(key, value) for every history entry of every kind, one
  // column family after the other, each in key order.
  absl::Status ForEachHistoryValue(
      const std::function<absl::Status(std::string_view key,
                                       std::string_view value)>& visit) const;

  // The stored profile bytes of `customer_id`, nullopt if it has none.
  absl::StatusOr<std::optional<std::string>> ProfileBytes(
      std::string_view customer_id) const;

 private:
  LegacyStore(std::unique_ptr<rocksdb::DB> db,
              std::vector<rocksdb::ColumnFamilyHandle*> handles,
              std::string format, std::string path);
  rocksdb::ColumnFamilyHandle* Cf(std::string_view name) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string format_;
  std::string path_;
};

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_LEGACY_H_
