// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Forwards: the customers of one partition that head office has merged
// into a group whose root is served on another partition, and to which
// partitions their events are forwarded (docs/sync.md, "Merges across
// partitions"). Kept in a JetStream stream of its own (<stream>_FORWARDS,
// one message per subject: the last is the state; a forward is a subject
// per customer and target, "1:<reasons>" while it runs, purged once it
// stops), so that a node started again, or a node the partition moved
// to, carries on; with it, the merges
// and unmerges the partition's node has begun and handled, so that a
// change redelivered is handled once, and one begun is carried on.
//
// Thread safety: one partition worker uses a Forwards.

#ifndef CKM_SRC_SYNC_FORWARDS_H_
#define CKM_SRC_SYNC_FORWARDS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

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

  // The customers through whose groups a customer is forwarded to a
  // target: the root of each group that travelled there with it. One
  // customer may go to one partition for several reasons (D in B's group,
  // and in A's, which holds B's: A and B both merged into customers of
  // that partition); a forward stops once it has none. "" stands for the
  // reasons a version before did not record.
  using Vias = std::set<std::string>;

  // The partitions `customer_id`'s events go to as well: one for each
  // group of another partition it is in, through its root here or, at its
  // own partition's node, itself (a customer of one partition merged into
  // a group of a second, which is merged into a group of a third, goes to
  // both). Empty if none.
  std::set<int> TargetsOf(const std::string& customer_id) const;
  Vias ViasOf(const std::string& customer_id, int target) const;
  absl::Status Start(const std::string& customer_id, int target,
                     const Vias& vias);
  // Ends the reasons `ending` (and any unrecorded one) of the forward;
  // once none is left it stops (the customer's copy stays at `target`'s
  // node, unserved, split off its group there).
  absl::Status Stop(const std::string& customer_id, int target,
                    const Vias& ending);
  // Forgets everything kept of an erased customer: its forwards and the
  // place of its last unmerge.
  absl::Status Forget(const std::string& customer_id);

  // How far this node got with the change `change_id`: a merge or unmerge
  // handled is handled once, and one begun (Begin) and not finished (a
  // node killed midway) is carried on, its earlier steps repeated.
  enum class Progress { kNone, kBegun, kDone };
  absl::StatusOr<Progress> ProgressOf(const std::string& change_id) const;
  // Marks the change begun, noting `noted` with it (an unmerge notes the
  // customers its forwards went through, which a repeat may no longer
  // find in the store).
  absl::Status Begin(const std::string& change_id, const Vias& noted = {});
  absl::StatusOr<Vias> NotedWith(const std::string& change_id) const;
  absl::Status Handled(const std::string& change_id);

  // The stream sequence of the last unmerge of `customer_id` handled here
  // (0: none), and noting a later one.
  absl::StatusOr<std::uint64_t> LastUnmerge(
      const std::string& customer_id) const;
  absl::Status Unmerged(const std::string& customer_id, std::uint64_t sequence);

 private:
  Forwards(Connection& connection, const SyncOptions& options, int partition)
      : connection_(connection), options_(options), partition_(partition) {}
  std::string Subject(const std::string& customer_id, int target) const;
  // Publishes `value` to `subject` and waits for the PubAck.
  absl::Status Put(const std::string& subject, const std::string& value);
  // Removes every message of `subject`: a stopped forward leaves nothing.
  absl::Status Purge(const std::string& subject);
  // Purges the subject a version before wrote for this forward, if any.
  absl::Status PurgeSingle(const std::string& customer_id, int target);
  // Purges the forward's subjects and forgets it here.
  absl::Status End(const std::string& customer_id, int target);
  // Whether `subject` holds a message.
  absl::StatusOr<bool> Holds(const std::string& subject) const;
  // The last message of `subject`; nullptr if it holds none.
  absl::StatusOr<MsgPtr> Last(const std::string& subject) const;
  // Writes the forward running for `vias` (not empty) and notes it here.
  absl::Status Keep(const std::string& customer_id, int target, Vias vias);

  Connection& connection_;
  const SyncOptions options_;
  const int partition_;
  // Running forwards, by customer id and target.
  std::map<std::string, std::map<int, Vias>> running_;
  // Forwards written before a customer could have several targets, one
  // subject per customer: stopped, they are purged there too.
  std::set<std::pair<std::string, int>> single_;
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_FORWARDS_H_
