// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// One publish round: the oldest outbox entries to JetStream, and the
// acknowledged ones out of the outbox. The agent (agent.cc) runs rounds on
// its thread, DrainOutbox on the caller's.

#ifndef CKM_SRC_SYNC_PUBLISH_H_
#define CKM_SRC_SYNC_PUBLISH_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

struct RoundResult {
  std::size_t published = 0;   // acknowledged and removed
  std::size_t duplicates = 0;  // of those, dropped as duplicates
  bool outbox_empty = false;   // nothing was left to read
  absl::Status error;          // why the round stopped early, if it did
};

// Publishes up to options.batch of the oldest entries, each with its
// event's message id, waiting for each PubAck; removes the acknowledged
// ones. Stops at the first entry the server does not acknowledge, having
// removed those before it, and says why in `error`. An error of the store
// is returned as such.
absl::StatusOr<RoundResult> PublishRound(Store& store, Connection& connection,
                                         const SyncOptions& options);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PUBLISH_H_
