// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What the duplicate check need not ask RocksDB. A customer this process
// numbered has, in history, only events this process wrote; if the process
// remembers the greatest of their names, an event named above it is
// certainly not recorded yet. Everyone else's events are looked up.
//
// The one invariant: for a customer it tracks, the remembered name is at
// least every name in that customer's history. So a customer is tracked from
// the write that numbered it, raised after every later write that succeeds,
// and forgotten after a write that fails (it may still have reached the
// store). A name too high only costs a lookup.
//
// Thread safety: none. The store keeps one per lock stripe and uses it under
// the stripe's lock.

#ifndef CKM_SRC_ENGINE_LATEST_EVENTS_H_
#define CKM_SRC_ENGINE_LATEST_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "storage/keys.h"

namespace ckm::engine {

class LatestEvents {
 public:
  // An event's name within its customer, in the order of history keys.
  struct Name {
    std::int64_t ts_ms = 0;
    std::uint64_t id = 0;
    std::uint8_t kind = 0;
    friend bool operator<(const Name& a, const Name& b) {
      return std::tie(a.ts_ms, a.id, a.kind) < std::tie(b.ts_ms, b.id, b.kind);
    }
  };

  static constexpr std::size_t kDefaultCapacity = 64;

  // Tracks up to `capacity` customers; later ones are not tracked.
  explicit LatestEvents(std::size_t capacity) : capacity_(capacity) {}
  LatestEvents() : LatestEvents(kDefaultCapacity) {}

  // Whether `name` is certainly not in `customer`'s history.
  bool CertainlyNew(keys::CustomerNumber customer, const Name& name) const {
    const auto it = latest_.find(customer);
    return it != latest_.end() && it->second < name;
  }

  // After the write that gave `customer` its number and its first events,
  // the greatest of them `latest`.
  void Track(keys::CustomerNumber customer, const Name& latest) {
    if (latest_.size() < capacity_) latest_[customer] = latest;
  }

  // After a write that added events up to `latest` to `customer`.
  void Raise(keys::CustomerNumber customer, const Name& latest) {
    const auto it = latest_.find(customer);
    if (it != latest_.end() && it->second < latest) it->second = latest;
  }

  // After a write for `customer` failed.
  void Forget(keys::CustomerNumber customer) { latest_.erase(customer); }

 private:
  std::size_t capacity_;
  absl::flat_hash_map<keys::CustomerNumber, Name> latest_;
};

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_LATEST_EVENTS_H_
