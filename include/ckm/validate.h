// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Validation of events without a store: the same checks, with the same
// messages, that Store::Record() applies before it writes anything.
//
// Thread safety: the functions are pure; call them from any thread.
//
// What they cannot check: that an identity naming an event's customer is
// linked, and that an Identity event's identity is not linked to another
// customer. Those need the store, so Record() may still reject an event that
// passes here, with InvalidArgument naming "customer" or "identity.value".
// An event naming its customer by id that passes here is never rejected by
// Record() as bad input.
//
// Use them to check a whole input (an import, a queue) before recording any
// of it, so that a bad event late in the input cannot leave the earlier part
// recorded and the rest not.

#ifndef CKM_VALIDATE_H_
#define CKM_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ckm/event.h"

namespace ckm {

// OK, or InvalidArgument "events[0].<field>: <why>", as Record(event) would
// say it. Quoted values in the message are cut to a bounded length.
[[nodiscard]] absl::Status Validate(const Event& event);

// OK, or InvalidArgument "events[i].<field>: <why>" for the first bad event,
// as Record(events) would say it.
[[nodiscard]] absl::Status ValidateBatch(absl::Span<const Event> events);

}  // namespace ckm

#endif  // CKM_VALIDATE_H_
