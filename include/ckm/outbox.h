// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The outbox of a terminal's store (StoreOptions::outbox): the events it
// recorded, and the merges, unmerges, unlinks and erasures it made, that
// head office has not yet confirmed. Record(), Merge(), Unmerge(), Unlink()
// and Erase() queue each in the same atomic write that makes it; a sync
// agent (ckm/sync.h) reads the oldest entries, publishes them and removes
// them once the server has acknowledged them. docs/sync.md.
//
// Plain values: copy them freely; they own their bytes.

#ifndef CKM_OUTBOX_H_
#define CKM_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckm/event.h"

namespace ckm {

// A change of customers that travels beside the events: a merge, unmerge,
// unlink or erasure made on a store with an outbox (OutboxEntry::change),
// applied elsewhere with Store::ApplyChange(). docs/sync.md.
struct OutboxChange {
  // Values travel between stores: append only.
  enum class Kind : std::uint8_t {
    kMerge = 1,    // Merge(customer, other)
    kUnmerge = 2,  // Unmerge(customer, other)
    kUnlink = 3,   // Unlink(identity_type, identity_value) of `customer`
    kErase = 4,    // Erase() of every customer in `erased`
  };
  Kind kind = Kind::kMerge;
  // Its identity: 16 random bytes, given when it was queued. A retry of
  // the same entry carries the same id; no two changes share one. A store
  // applies a change at most once (Store::ApplyChange).
  std::string id;
  // When it was made, UTC milliseconds: the time of the identity change
  // record, or the erasure's cutoff (events dated up to it are replays).
  std::int64_t ts_ms = 0;
  std::string actor;   // IdentityChangeOptions::actor (empty for kErase)
  std::string reason;  // as given to the call
  // kMerge, kUnmerge: the survivor. kUnlink: the customer the identity led
  // to (its own id, not its survivor's). kErase: the customer Erase() named.
  std::string customer;
  // kMerge, kUnmerge: the absorbed customer. Empty otherwise.
  std::string other;
  // kMerge, kUnmerge, kUnlink: the root of `customer`'s group where the
  // change was made (the customer it is merged into, following chains),
  // when that is not `customer` itself; empty otherwise. Head office
  // applies the change on the root's partition (docs/sync.md).
  std::string root;
  // kUnlink: the identity, in its normal form (NormalizeIdentity).
  IdentityType identity_type = IdentityType::kEmail;
  std::string identity_value;
  // kErase: every customer the erasure removed (the merged group), sorted.
  std::vector<std::string> erased;
};

// One entry waiting in the outbox (Store::ReadOutbox): an event or, when
// `change` is set, a change of customers.
struct OutboxEntry {
  // Its place in the outbox: sequences grow in the order entries were
  // queued, and are never given out twice by one store.
  std::uint64_t sequence = 0;
  // The event as recorded: its customer by id (an event that named its
  // customer by an identity carries the id the identity led to). A default
  // Event (id 0) when the entry is a change.
  Event event;
  // Set when the entry is a change rather than an event. Code written
  // before changes travelled sees an entry with `event.id == 0`: it should
  // look here.
  std::optional<OutboxChange> change;
  // The wire form: ckm's compact event encoding, the bytes history holds
  // (docs/sync.md says why this form), or the compact change encoding. A
  // ckm partition node decodes and verifies it.
  std::string payload;
};

}  // namespace ckm

#endif  // CKM_OUTBOX_H_
