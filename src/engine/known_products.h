// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The products that frequently active customers have ordered, kept in memory
// so that the write path can count a customer's distinct products without
// reading its stored breakdowns on every batch. Reading them costs a
// GetMergeOperands of a value that for a heavy customer holds thousands of
// rows: the benchmark's hottest customers buy in every batch.
//
// Only customers that miss twice within a short window are loaded (Admit).
// Loading every customer that missed made the cache turn over at 1,000,000
// events and reload its heavy customers again and again: the loads cost a
// quarter of ingest.
//
// The cache only ever knows what the store knows: an entry is the complete set
// of the customer's ordered SKUs, loaded from the store or grown by writes
// that succeeded, and the store's set only grows (orders are sums of
// non-negative counts). Rebuild() forgets the customer. The caller holds the
// customer's stripe lock around a lookup, its write and the update after it,
// so no two threads change one customer's entry at once; the internal mutex
// guards only the structure.

#ifndef CKM_SRC_ENGINE_KNOWN_PRODUCTS_H_
#define CKM_SRC_ENGINE_KNOWN_PRODUCTS_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace ckm {

class KnownProducts {
 public:
  // Holds at most `capacity` SKUs over all customers, dropping the least
  // recently used customers first. 0 disables the cache.
  explicit KnownProducts(std::size_t capacity) : capacity_(capacity) {}
  KnownProducts(const KnownProducts&) = delete;
  KnownProducts& operator=(const KnownProducts&) = delete;

  // How many of `skus` the customer has not ordered; nullopt if the customer
  // is not cached.
  std::optional<std::int64_t> CountNew(
      std::string_view customer, const std::vector<std::string_view>& skus);

  // Caches the customer's complete set of ordered SKUs, replacing any.
  void Put(std::string_view customer, const std::vector<std::string>& skus);

  // Adds `skus` to a cached customer's set; does nothing for others.
  void Add(std::string_view customer,
           const std::vector<std::string_view>& skus);

  void Forget(std::string_view customer);

  // Called on a miss: whether the customer missed recently enough that
  // loading its set is worth it. The first miss only remembers the customer
  // (among the last `capacity / 32` that missed); a second miss within that
  // window says yes. Customers seen once in a long while are not loaded: with
  // many of them the cache would turn over and reload its heavy customers
  // again and again.
  bool Admit(std::string_view customer);

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return size_;
  }

 private:
  struct Entry {
    absl::flat_hash_set<std::string> skus;
    std::list<std::string>::iterator lru;
  };
  void EraseLocked(absl::flat_hash_map<std::string, Entry>::iterator it);
  void EvictLocked();

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::size_t size_ = 0;        // SKUs over all entries
  std::list<std::string> lru_;  // customers, most recently used first
  absl::flat_hash_map<std::string, Entry> entries_;
  // Customers that missed once, in two generations (see Admit).
  absl::flat_hash_set<std::string> missed_, missed_before_;
};

}  // namespace ckm

#endif  // CKM_SRC_ENGINE_KNOWN_PRODUCTS_H_
