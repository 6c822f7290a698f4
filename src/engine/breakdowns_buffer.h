// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Breakdowns deltas held in memory across Record() calls, so that a
// customer's breakdowns value is merged once per buffer flush instead of once
// per batch. A heavy customer's value holds thousands of rows; merging a
// delta into it on every batch (RocksDB merge operands, full merges at the
// merge-depth bound, partial merges at every flush) was most of what
// breakdowns cost the write path.
//
// Durability comes from history, which is written with every event anyway,
// and a small journal: while a customer has a delta here, the store holds a
// pending marker for it (storage keys::kPendingCf), written in the same
// batch as the first event that made the delta, and deleted in the same
// batch that merges the delta into the store. A marker without a delta in
// memory (after a crash) means the stored value lacks some events: the store
// folds that customer's breakdowns from history instead (see StoreImpl).
//
// Thread safety: safe for concurrent use; an internal mutex guards the map.
// A customer's entry changes only under the customer's stripe lock, which
// the caller holds (Record, Rebuild, the flush).

#ifndef CKM_SRC_ENGINE_BREAKDOWNS_BUFFER_H_
#define CKM_SRC_ENGINE_BREAKDOWNS_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "fold/fold.h"

namespace ckm::engine {

class BreakdownsBuffer {
 public:
  // Reports full() once its deltas take about `capacity_bytes`.
  explicit BreakdownsBuffer(std::size_t capacity_bytes)
      : capacity_bytes_(capacity_bytes) {}
  BreakdownsBuffer(const BreakdownsBuffer&) = delete;
  BreakdownsBuffer& operator=(const BreakdownsBuffer&) = delete;

  // Whether customer `number` has a delta here.
  bool Holds(std::uint64_t number) const;

  // Joins `delta` into the customer's; `stripe` is the customer's lock
  // stripe, which the flush takes.
  void Add(std::uint64_t number, std::size_t stripe, fold::Breakdowns delta);

  // A copy of the customer's delta; nullopt if it has none.
  std::optional<fold::Breakdowns> Get(std::uint64_t number) const;

  // The SKUs the customer's delta holds an order of, sorted.
  std::vector<std::string> OrderedSkus(std::uint64_t number) const;

  // Forgets the customer's delta (Rebuild replaces the stored value).
  void Drop(std::uint64_t number);

  struct Held {
    std::uint64_t number;
    std::size_t stripe;
  };
  // Every customer with a delta, in no particular order.
  std::vector<Held> Customers() const;

  // Removes and returns the customer's delta; nullopt if it has none.
  std::optional<fold::Breakdowns> Take(std::uint64_t number);

  // Estimated bytes of the deltas held.
  std::size_t bytes() const;
  bool full() const { return bytes() >= capacity_bytes_; }

 private:
  struct Entry {
    std::size_t stripe = 0;
    std::size_t bytes = 0;
    fold::Breakdowns delta;
  };
  static std::size_t BytesOf(const fold::Breakdowns& b);

  const std::size_t capacity_bytes_;
  // std::mutex, not absl::Mutex, throughout ckm: Debian's Abseil is not
  // built for ThreadSanitizer, which then cannot see how an absl::Mutex
  // orders accesses (see also store_impl.h, stripes_).
  mutable std::mutex mu_;
  absl::flat_hash_map<std::uint64_t, Entry> entries_;  // guarded by mu_
  std::size_t bytes_ = 0;                              // guarded by mu_
};

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_BREAKDOWNS_BUFFER_H_
