// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// One partition of a node: its durable pull consumer, and what it does
// with each message it fetches.
//
// Thread safety: a PartitionWorker runs on one thread (Run); the
// SharedNodeState its node's workers share is safe from any thread.

#ifndef CKM_SRC_SYNC_PARTITION_WORKER_H_
#define CKM_SRC_SYNC_PARTITION_WORKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "sync/forwards.h"
#include "sync/nats_client.h"
#include "sync/profile_requests.h"
#include "sync/pull_consumer.h"

namespace ckm::sync {

// Whether `msg` was forwarded from another partition (forwarding.cc).
bool IsForwarded(natsMsg* msg);

// The counters of a node, and its stop flag.
class SharedNodeState {
 public:
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  bool stopping() const {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }
  // Waits `ms`, or less once stopping; false once stopping.
  bool Pause(std::int64_t ms) const;
  PartitionNodeStats Get() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }
  void Add(const PartitionNodeStats& delta);
  void NoteError(const absl::Status& error);

 private:
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  PartitionNodeStats stats_ ABSL_GUARDED_BY(mu_);
};

class PartitionWorker {
 public:
  PartitionWorker(Store& store, const SyncOptions& options,
                  const NodeOptions& node, int partition,
                  SharedNodeState& shared)
      : store_(store),
        options_(options),
        node_(node),
        partition_(partition),
        shared_(shared),
        service_{&store, options, partition} {}
  ~PartitionWorker() { Disconnect(); }
  PartitionWorker(const PartitionWorker&) = delete;
  PartitionWorker& operator=(const PartitionWorker&) = delete;

  // Fetches and records until the node stops; reconnects and subscribes
  // again as needed.
  void Run();

 private:
  absl::Status Subscribe();
  // Drains the profile requests' subscription, waiting up to timeout_ms:
  // no callback runs after it.
  void StopServingProfiles();
  // Drops the connection and everything on it.
  void Disconnect();
  // Records the fetched messages' events and applies their changes, in
  // order, acknowledging each once it is recorded or applied, or kept as a
  // dead letter.
  void Handle(const std::vector<natsMsg*>& messages);
  // Records a run of decoded events (from the messages `decoded`).
  void RecordEvents(const std::vector<Event>& events,
                    const std::vector<natsMsg*>& decoded,
                    PartitionNodeStats& delta);
  // Applies one change, or lets it wait, or keeps it as a dead letter.
  void HandleChange(natsMsg* msg, PartitionNodeStats& delta);
  // Why the change does not belong to this partition; empty if it does.
  std::string Misrouted(const OutboxChange& change) const;
  // Whether this partition is the absorbed customer's of a merge or
  // unmerge applied on another (the group's) partition.
  bool IsSource(const OutboxChange& change) const;
  // Applies the change here, or handles it as its source.
  absl::StatusOr<bool> Apply(const OutboxChange& change, natsMsg* msg);
  // A merge or unmerge across partitions as the till published it, on the
  // group's partition: applied only once its source forwards it, behind
  // the absorbed customer's history (so after the events it needs, and in
  // the source partition's order of changes).
  bool AwaitsItsSource(const OutboxChange& change, natsMsg* msg) const;
  // FailedPrecondition unless `customer` is alone here: neither merged
  // into another nor with others merged into it. NotFound if unknown.
  absl::Status CheckAlone(const std::string& customer) const;
  // A merge or unmerge whose absorbed customer is this partition's and
  // whose group is another's: starts or stops forwarding its events.
  // True if handled now, false if before (or by a follower: nothing to do).
  absl::StatusOr<bool> HandleAtSource(const OutboxChange& change,
                                      std::string_view payload);
  // Forwards the recorded events of forwarded customers (messages[i]
  // carries events[i]).
  absl::Status ForwardRecorded(const std::vector<Event>& events,
                               const std::vector<natsMsg*>& messages);
  // Publishes one event's `payload` to `target`'s subject and waits for
  // the PubAck.
  absl::Status Forward(const Event& event, std::string_view payload,
                       int target);
  absl::Status ForwardChange(const OutboxChange& change,
                             std::string_view payload, int target);
  absl::Status Publish(std::string_view payload, int target,
                       const std::string& id);
  // Records `events` (from messages[i]) one at a time after their batch was
  // refused: each is acknowledged, kept as a dead letter, or left.
  void HandleOneByOne(const std::vector<Event>& events,
                      const std::vector<natsMsg*>& messages,
                      PartitionNodeStats& delta);
  // Keeps `msg` as a dead letter and acknowledges it; leaves it on failure.
  void Reject(natsMsg* msg, absl::string_view reason,
              PartitionNodeStats& delta);
  void Leave(natsMsg* msg, PartitionNodeStats& delta);

  Store& store_;
  const SyncOptions options_;
  const NodeOptions node_;
  const int partition_;
  SharedNodeState& shared_;
  const ProfileService service_;
  std::unique_ptr<Connection> connection_;
  SubscriptionPtr profiles_;  // answers FetchProfile for the partition
  // Notified once no answer of profiles_ runs any more (ServeProfiles).
  std::unique_ptr<absl::Notification> profiles_done_;
  std::unique_ptr<PullConsumer> consumer_;
  // Head office only (a follower forwards nothing); on connection_.
  std::unique_ptr<Forwards> forwards_;
  // Stream sequences of the changes waiting to be delivered again, in
  // order (a later change waits behind the first), with the times each
  // found a customer it names unknown.
  std::map<std::uint64_t, int> waiting_;
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PARTITION_WORKER_H_
