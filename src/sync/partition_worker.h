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
#include <set>
#include <string>
#include <utility>
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
// Whether `msg` has been through `partition`'s node on its way here: a
// forward never goes back along its path.
bool OnPath(natsMsg* msg, int partition);

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
  // `served`: every partition of the node, `partition` among them.
  PartitionWorker(Store& store, const SyncOptions& options,
                  const NodeOptions& node, int partition,
                  std::vector<int> served, SharedNodeState& shared)
      : store_(store),
        options_(options),
        node_(node),
        partition_(partition),
        served_(std::move(served)),
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
  // Whether the change names a customer erased here: its dead letter
  // keeps neither its body nor the ids.
  bool NamesErased(const OutboxChange& change) const;
  // Why the change does not belong to this partition; empty if it does.
  std::string Misrouted(const OutboxChange& change, natsMsg* msg) const;
  // A merge or unmerge as the till published it to a partition other than
  // the absorbed customer's: that partition handles it, and sends it here
  // if this partition's store is to make it (group_travel.cc).
  bool ForAnother(const OutboxChange& change, natsMsg* msg) const;
  // Applies the change here, or hands a merge or unmerge to HandlePair.
  absl::StatusOr<bool> Apply(const OutboxChange& change, natsMsg* msg);
  // Erases, stops forwarding the customers erased here, and sends the
  // erasure to the partitions of members the till did not name, to the
  // partitions their groups are forwarded to, and from a member's own
  // node to every partition (group_travel.cc).
  absl::StatusOr<bool> Erase(const OutboxChange& change, natsMsg* msg);
  struct Erased {
    std::map<std::string, std::string> root;  // each id, with its root here
    std::set<std::string> known;  // those this store holds and erases
  };
  absl::Status SendErasures(const OutboxChange& change, const Erased& gone,
                            natsMsg* msg);
  // An unlink, applied here and sent on where its customer is forwarded.
  absl::StatusOr<bool> Unlink(const OutboxChange& change, natsMsg* msg);

  // Merges and unmerges across partitions (group_travel.cc, docs/sync.md
  // "Merges across partitions"). Each is handled once per partition
  // (Forwards::Handled); true if something was done now.
  absl::StatusOr<bool> HandlePair(const OutboxChange& change, natsMsg* msg);
  // Whether the merge `change` is older in the stream than an unmerge of
  // its customer handled here; for an unmerge, notes its place.
  absl::StatusOr<bool> Overtaken(const OutboxChange& change, natsMsg* msg);
  // On the absorbed customer's partition, of a survivor of another: sends
  // the absorbed customer's group to the survivor's partition.
  absl::StatusOr<bool> MergeAtSource(const OutboxChange& change);
  // Makes the merge here, and sends the absorbed group on if the
  // survivor's group is forwarded from here.
  absl::StatusOr<bool> MergeHere(const OutboxChange& change, natsMsg* msg);
  // Splits the absorbed customer off here if it is linked here, stops
  // forwarding its group, and sends the unmerge on to where it went.
  // `again`: begun before, by a node killed midway.
  absl::StatusOr<bool> UnmergeHere(const OutboxChange& change, natsMsg* msg,
                                   bool again);
  // Stops forwarding `x`'s group here to `targets` for the reasons
  // `leaving` (X and the customers above it): a member may go on for
  // another.
  absl::Status StopGroup(const std::string& x, const std::set<int>& targets,
                         const Forwards::Vias& leaving);
  // Forwards `customer`'s group to `target` from now on, for the reasons
  // `vias`: each member's stored history, the merges that link them, then
  // `change` itself.
  absl::Status Travel(const OutboxChange& change, const std::string& customer,
                      int target, natsMsg* msg, const Forwards::Vias& vias);
  // Undoes the links of `customer`'s group here that only copied another
  // partition's, which no one keeps up to date once it is split off.
  absl::Status Dissolve(const std::string& customer);
  bool Serves(int partition) const;

  // Forwards the recorded events of forwarded customers (messages[i]
  // carries events[i]) (forwarding.cc).
  absl::Status ForwardRecorded(const std::vector<Event>& events,
                               const std::vector<natsMsg*>& messages);
  // Publishes one event's `payload` to `target`'s subject and waits for
  // the PubAck; `msg` is what made it travel, whose path it extends.
  absl::Status Forward(const Event& event, std::string_view payload, int target,
                       natsMsg* msg);
  absl::Status ForwardChange(const OutboxChange& change, int target,
                             natsMsg* msg);
  absl::Status Publish(std::string_view payload, int target,
                       const std::string& id, natsMsg* msg);
  // Records `events` (from messages[i]) one at a time after their batch was
  // refused: each is acknowledged, kept as a dead letter, or left.
  void HandleOneByOne(const std::vector<Event>& events,
                      const std::vector<natsMsg*>& messages,
                      PartitionNodeStats& delta);
  // Keeps `msg` as a dead letter (without its payload if `withhold_body`)
  // and acknowledges it; leaves it on failure.
  void Reject(natsMsg* msg, absl::string_view reason, PartitionNodeStats& delta,
              bool withhold_body = false);
  void Leave(natsMsg* msg, PartitionNodeStats& delta);

  Store& store_;
  const SyncOptions options_;
  const NodeOptions node_;
  const int partition_;
  const std::vector<int> served_;  // the node's partitions, sharing store_
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
