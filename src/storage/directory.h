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
// It also holds the merge links (who was merged into whom; all of them in
// memory, loaded at open: one entry per merged customer) and each customer's
// log of identity changes.
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
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ckm/event.h"
#include "ckm/identity.h"
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

  // Adds the removal of an identity link to `batch`.
  rocksdb::Status RemoveIdentity(rocksdb::WriteBatch& batch, IdentityType type,
                                 std::string_view value) const;

  // Merge links. A customer merged into another points at it; the chain of
  // such links from any customer ends at its root, the customer whose
  // profile and breakdowns hold the events of everyone in its group.

  // The customer `number` was merged into; nullopt if none.
  std::optional<keys::CustomerNumber> Parent(keys::CustomerNumber number) const;
  // The end of `number`'s chain of merges (itself if it was never merged).
  keys::CustomerNumber Root(keys::CustomerNumber number) const;
  // `root` and every customer merged into it, directly or through chains,
  // in ascending order.
  std::vector<keys::CustomerNumber> Group(keys::CustomerNumber root) const;
  // How many customers are merged into `root`, directly or through chains.
  std::size_t GroupSize(keys::CustomerNumber root) const;
  // Adds "`absorbed` merged into `survivor`" (or its removal) to `batch`;
  // Link()/Unlink() change the memory once the batch is written.
  rocksdb::Status AddMergeLink(rocksdb::WriteBatch& batch,
                               keys::CustomerNumber absorbed,
                               keys::CustomerNumber survivor) const;
  rocksdb::Status RemoveMergeLink(rocksdb::WriteBatch& batch,
                                  keys::CustomerNumber absorbed,
                                  keys::CustomerNumber survivor) const;
  void Link(keys::CustomerNumber absorbed, keys::CustomerNumber survivor);
  void Unlink(keys::CustomerNumber absorbed);

  // Adds a change to `number`'s log, after every change written before.
  // REQUIRES: one change per number per batch.
  rocksdb::Status AddChange(rocksdb::WriteBatch& batch,
                            keys::CustomerNumber number,
                            const IdentityChange& change) const;
  // `number`'s log, oldest first. DataLoss for an entry that is corrupt.
  absl::StatusOr<std::vector<IdentityChange>> Changes(
      keys::CustomerNumber number) const;

  // Calls visit(number, external id) for every customer, in number order.
  absl::Status ForEach(
      const std::function<absl::Status(keys::CustomerNumber, std::string_view)>&
          visit) const;

 private:
  Directory(const Db& db, keys::CustomerNumber next) : db_(db), next_(next) {}
  absl::Status LoadLinks();

  const Db& db_;
  std::atomic<keys::CustomerNumber> next_;
  mutable std::mutex mu_;  // std::mutex: see engine/breakdowns_buffer.h
  mutable absl::flat_hash_map<std::string, keys::CustomerNumber>
      cached_;  // guarded by mu_
  mutable std::mutex links_mu_;
  // absorbed -> survivor, and survivor -> absorbed; guarded by links_mu_.
  absl::flat_hash_map<keys::CustomerNumber, keys::CustomerNumber> parent_;
  absl::flat_hash_map<keys::CustomerNumber,
                      absl::flat_hash_set<keys::CustomerNumber>>
      children_;
};

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_DIRECTORY_H_
