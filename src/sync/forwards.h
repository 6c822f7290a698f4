// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Forwards: the customers of one partition that head office has merged
// into a group whose root is served on another partition, and to which
// partition their events are forwarded (docs/sync.md, "Merges across
// partitions"). Kept in a JetStream stream of its own (<stream>_FORWARDS,
// one message per subject: the last is the state), so that a node started
// again, or a node the partition moved to, carries on; with it, the merges
// and unmerges the partition's node has handled, so that a change
// redelivered is handled once.
//
// Thread safety: one partition worker uses a Forwards.

#ifndef CKM_SRC_SYNC_FORWARDS_H_
#define CKM_SRC_SYNC_FORWARDS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

class Forwards {
 public:
  // Reads the partition's forwards. REQUIRES: EnsureStreams() has made
  // the stream, and `connection` outlives the Forwards.
  static absl::StatusOr<std::unique_ptr<Forwards>> Open(
      Connection& connection, const SyncOptions& options, int partition);
  Forwards(const Forwards&) = delete;
  Forwards& operator=(const Forwards&) = delete;

  // The partition `customer_id`'s events go to as well; nullopt if none.
  std::optional<int> TargetOf(const std::string& customer_id) const;
  absl::Status Start(const std::string& customer_id, int target);
  absl::Status Stop(const std::string& customer_id);

  // Whether the change `change_id` was handled here before; Handled()
  // notes that it was.
  absl::StatusOr<bool> WasHandled(const std::string& change_id) const;
  absl::Status Handled(const std::string& change_id);

 private:
  Forwards(Connection& connection, const SyncOptions& options, int partition)
      : connection_(connection), options_(options), partition_(partition) {}
  std::string Subject(const std::string& customer_id) const;
  // Publishes `value` to `subject` and waits for the PubAck.
  absl::Status Put(const std::string& subject, const std::string& value);

  Connection& connection_;
  const SyncOptions options_;
  const int partition_;
  std::map<std::string, int> targets_;  // by customer id
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_FORWARDS_H_
