// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Dead letters: a message a node cannot record, kept with its reason.

#ifndef CKM_SRC_SYNC_DEAD_LETTER_H_
#define CKM_SRC_SYNC_DEAD_LETTER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sync/nats_client.h"

namespace ckm::sync {

// Publishes `msg`'s payload to the partition's dead-letter subject with
// headers Ckm-Reason (`reason`, on one line) and Ckm-Subject, and waits for
// the PubAck. Its message id is the original's stream sequence, so that a
// redelivered poison message is kept once. The caller acknowledges `msg`
// only if this returns OK. `withhold_body`: the letter carries no payload
// (a replay of erased data, which the dead letters must not keep).
absl::Status SendToDeadLetters(Connection& connection,
                               const SyncOptions& options, int partition,
                               natsMsg* msg, absl::string_view reason,
                               bool withhold_body = false);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_DEAD_LETTER_H_
