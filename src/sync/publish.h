// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Publish rounds: the oldest outbox entries to JetStream, and the
// acknowledged ones out of the outbox. The agent (agent.cc) runs rounds on
// its thread, DrainOutbox on the caller's.
//
// Thread safety: a Publisher runs rounds on one thread; libnats delivers
// PubAcks on its own, and the Publisher collects them under a mutex.

#ifndef CKM_SRC_SYNC_PUBLISH_H_
#define CKM_SRC_SYNC_PUBLISH_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

struct RoundResult {
  std::size_t published = 0;   // acknowledged and removed
  std::size_t duplicates = 0;  // of those, dropped as duplicates
  bool outbox_empty = false;   // nothing was left to read
  absl::Status error;          // why some were not acknowledged, if so
};

class Publisher {
 public:
  // Takes `connection`, and opens a JetStream context of its own on it,
  // whose PubAcks come to this Publisher.
  static absl::StatusOr<std::unique_ptr<Publisher>> Create(
      std::unique_ptr<Connection> connection, const SyncOptions& options);
  // Waits up to timeout_ms for PubAcks in flight, then closes the
  // connection before destroying the context. The order matters: the
  // context's PubAck subscription must not be destroyed on a live
  // connection (Connection::Close says why).
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes up to options.batch of the oldest entries at once, each with
  // its event's or change's message id (an erasure: one message per
  // partition of its customers), waits up to timeout_ms for their PubAcks and
  // removes the acknowledged ones (also those of earlier rounds whose
  // PubAcks came late). What was not acknowledged stays, and `error` says
  // why. An error of the store is returned as such.
  absl::StatusOr<RoundResult> Round(Store& store);

  Connection& connection() { return *connection_; }

 private:
  Publisher(std::unique_ptr<Connection> connection, const SyncOptions& options);
  // The PubAck handler. `closure` is this Publisher's number in a registry
  // of live ones, not a pointer to it: libnats may deliver a PubAck after
  // the Publisher is gone (its jsCtx outlives jsCtx_Destroy until the
  // connection closes), and such a late one must find nothing rather than
  // freed memory.
  static void OnAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                    void* closure);
  void Acked(const char* id, const jsPubAck* ack, const jsPubAckErr* error);
  // Publishes one entry's messages without waiting; they are then in
  // flight.
  absl::Status Send(const OutboxEntry& entry);
  absl::Status SendMessage(std::uint64_t sequence, int partition,
                           const std::string& id, const std::string& payload);

  const std::unique_ptr<Connection> connection_;
  const SyncOptions options_;
  const std::uintptr_t number_;  // in the registry of live Publishers
  jsCtx* js_ = nullptr;
  // Message ids sent and not yet acknowledged, with their entries, and
  // each entry's messages not yet acknowledged: an entry leaves the outbox
  // once all of its messages are. Used by the round's thread only.
  std::map<std::string, std::set<std::uint64_t>> in_flight_;
  std::map<std::uint64_t, std::set<std::string>> unacked_;
  absl::Mutex mu_;
  std::vector<std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::size_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status refused_ ABSL_GUARDED_BY(mu_);  // the last negative PubAck
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PUBLISH_H_
