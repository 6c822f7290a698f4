// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The outbox of a terminal's store (StoreOptions::outbox): the events it
// recorded that head office has not yet confirmed. Record() queues each new
// event in the same atomic write that records it; a sync agent
// (ckm/sync.h) reads the oldest entries, publishes them and removes them
// once the server has acknowledged them. docs/sync.md.
//
// Plain values: copy them freely; they own their bytes.

#ifndef CKM_OUTBOX_H_
#define CKM_OUTBOX_H_

#include <cstdint>
#include <string>

#include "ckm/event.h"

namespace ckm {

// One event waiting in the outbox (Store::ReadOutbox).
struct OutboxEntry {
  // Its place in the outbox: sequences grow in the order events were
  // queued, and are never given out twice by one store.
  std::uint64_t sequence = 0;
  // The event as recorded: its customer by id (an event that named its
  // customer by an identity carries the id the identity led to).
  Event event;
  // The event's wire form: ckm's compact event encoding, the bytes history
  // holds (docs/sync.md says why this form). A ckm partition node decodes
  // and verifies it.
  std::string payload;
};

}  // namespace ckm

#endif  // CKM_OUTBOX_H_
