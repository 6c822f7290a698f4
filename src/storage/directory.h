// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The customer directory: each customer's number, looked up by external id or
// by identity, and each number's external id (storage/keys.h has the keys).
//
// Numbers are given out by Allocate(), counting up from one more than the
// highest number in the directory when it was opened. A number whose batch
// was never written is simply never used; none is given out twice.
//
// The numbers of recently seen ids are kept in memory (up to
// kCachedNumbers; the cache starts over when full): a customer's number never
// changes once written, and most batches name customers seen before.
// Remember() a new customer's number only once its batch is written.
//
// Thread safety: safe for concurrent use. Whether a customer already has a
// number is a question only the caller can make race-free: the engine asks
// it, and writes the answer, under the customer's lock.

#ifndef CKM_SRC_STORAGE_DIRECTORY_H_
#define CKM_SRC_STORAGE_DIRECTORY_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ckm/event.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/keys.h"

namespace ckm::storage {

class Directory {
 public:
  // REQUIRES: `db` outlives the Directory.
  static absl::StatusOr<std::unique_ptr<Directory>> Open(const Db& db);

  static constexpr std::size_t kCachedNumbers = 1 << 16;

  // The number of each of `ids`, nullopt for ids that have none. One
  // MultiGet for those not in memory. DataLoss names an id whose entry is
  // not a number.
  absl::StatusOr<std::vector<std::optional<keys::CustomerNumber>>> Find(
      const std::vector<std::string_view>& ids) const;
  absl::StatusOr<std::optional<keys::CustomerNumber>> Find(
      std::string_view id) const;

  // The number an identity is linked to, nullopt if it is not linked.
  absl::StatusOr<std::optional<keys::CustomerNumber>> FindIdentity(
      IdentityType type, std::string_view value) const;

  // The external id of `number`: NotFound if the directory has none.
  absl::StatusOr<std::string> NameOf(keys::CustomerNumber number) const;

  // A number never given out before.
  keys::CustomerNumber Allocate() { return next_.fetch_add(1); }

  // Keeps in memory that each id has its number, which the store now holds.
  void Remember(
      const std::vector<std::pair<std::string_view, keys::CustomerNumber>>&
          entries) const;

  // Forgets the cached number of `id` (an erased customer).
  void Forget(std::string_view id) const;

  // Adds a new customer's two directory entries to `batch`.
  rocksdb::Status AddCustomer(rocksdb::WriteBatch& batch, std::string_view id,
                              keys::CustomerNumber number) const;
  // Adds an identity link to `batch`.
  rocksdb::Status AddIdentity(rocksdb::WriteBatch& batch, IdentityType type,
                              std::string_view value,
                              keys::CustomerNumber number) const;

  // Calls visit(number, external id) for every customer, in number order.
  absl::Status ForEach(
      const std::function<absl::Status(keys::CustomerNumber, std::string_view)>&
          visit) const;

 private:
  Directory(const Db& db, keys::CustomerNumber next) : db_(db), next_(next) {}

  const Db& db_;
  std::atomic<keys::CustomerNumber> next_;
  mutable std::mutex mu_;  // std::mutex: see engine/breakdowns_buffer.h
  mutable absl::flat_hash_map<std::string, keys::CustomerNumber>
      cached_;  // guarded by mu_
};

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_DIRECTORY_H_
