// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Sync between terminals and head office over NATS JetStream
// (docs/sync.md). A terminal's store queues every new event in its outbox
// (StoreOptions::outbox); a SyncAgent publishes the outbox to the stream,
// one subject per partition of customers; a PartitionNode records the
// partitions it serves into a head-office store. ckm's fold is order-free
// and exactly-once by event identity, so the stream's at-least-once
// delivery gives every node the profiles the events fold to, byte for byte.
//
// Built only where libnats is (scripts/setup.sh installs it); link
// ckm::ckm_sync. Nothing here throws: errors are absl::Status values.

#ifndef CKM_SYNC_H_
#define CKM_SYNC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ckm/access.h"
#include "ckm/event.h"
#include "ckm/profile.h"
#include "ckm/store.h"

namespace ckm {

// The deployment's settings. Every terminal and node of a deployment uses
// the same nats_url, partitions, stream and subject_prefix. Plain struct.
struct SyncOptions {
  // NATS server URL, or several separated by commas (a cluster). A URL
  // may name a user, "nats://user:password@host:4222" (docs/sync.md says
  // which permissions a till needs; the password cannot hold a comma);
  // errors show "***" for the password.
  // Default: "nats://127.0.0.1:4222".
  std::string nats_url = "nats://127.0.0.1:4222";
  // Partitions of the event stream: customers are spread over them by a
  // hash of their id (PartitionOf). Fixed for the life of a deployment,
  // like a Kafka topic's: changing it would move customers between
  // partitions, so the stream records the count it was created with and
  // an agent or node given another is refused (FailedPrecondition).
  // Choose it for the most nodes you will ever run. Default: 16.
  int partitions = 16;
  // The JetStream stream of events; dead letters go to stream + "_DEAD".
  // Default: "CKM_EVENTS".
  std::string stream = "CKM_EVENTS";
  // Events go to "<prefix>.events.<p>", dead letters to
  // "<prefix>.dead.<p>", and node p's durable consumer is "<prefix>-p<p>".
  // Default: "ckm".
  std::string subject_prefix = "ckm";
  // Copies of each stream when it is created (3 in a three-server
  // cluster). Default: 1.
  int replicas = 1;
  // JetStream's duplicate window when the stream is created, in ms: a
  // message whose id was seen within it is acknowledged and dropped. A
  // retry after it is dropped by the node's Record instead. Default: 2 min.
  std::int64_t duplicate_window_ms = 120'000;
  // How long to wait for the server (a PubAck, an API call), in ms.
  // Default: 5000.
  std::int64_t timeout_ms = 5000;
  // Pause before trying again while offline, in ms. Default: 200.
  std::int64_t retry_ms = 200;
  // How often an agent looks at an empty outbox, and how long a node
  // waits for messages per fetch, in ms. Default: 100.
  std::int64_t poll_ms = 100;
  // How long the server waits for a node's acknowledgement before it
  // delivers a message again, in ms: after a node crash, its unacknowledged
  // messages come again after this long. A node started again while its
  // consumer holds such messages waits up to this long for them before it
  // takes newer ones, so that the partition's order holds (docs/sync.md,
  // section 3). Longer than a Record of one batch takes; a node's consumers
  // keep the value they were created with. Default: 30 s.
  std::int64_t ack_wait_ms = 30'000;
  // Outbox entries per publish round; messages per fetch. Default: 256.
  std::size_t batch = 256;
};

// The partition of a customer: FNV-1a (64 bits) of the id's bytes, modulo
// `partitions`. Stable across builds, machines and languages.
// REQUIRES: partitions >= 1.
int PartitionOf(std::string_view customer_id, int partitions);

// The JetStream message id (Nats-Msg-Id) of an event: hex SHA-256 of its
// identity, the customer id, kind, ts_ms and id that make it the same
// event for Record. A retry, or the same event queued by two terminals,
// gets the same id. REQUIRES: event.customer names the customer by id.
std::string EventMessageId(const Event& event);

// What a SyncAgent has done since it started. Plain struct.
struct SyncAgentStats {
  std::uint64_t published = 0;   // acknowledged and removed from the outbox
  std::uint64_t duplicates = 0;  // of those, dropped by the duplicate window
  bool connected = false;
  std::string last_error;  // empty after a successful round
};

// Publishes a store's outbox, from a thread of its own, until stopped.
// Offline is normal: it tries again every retry_ms, the outbox grows
// meanwhile, and drains once the server is back. An entry is removed only
// after the server's PubAck, so a crash between publish and PubAck
// publishes it again, and the duplicate window (or the node's Record) drops
// it.
//
// Thread safety: stats() and Stop() may be called from any thread.
// Ownership: the caller keeps the Store, which must outlive the agent.
class SyncAgent {
 public:
  // Starts the agent's thread. InvalidArgument for bad options; being
  // offline is not an error.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SyncAgent>> Start(
      Store& store, const SyncOptions& options);
  virtual ~SyncAgent() = default;  // stops the thread
  SyncAgent(const SyncAgent&) = delete;
  SyncAgent& operator=(const SyncAgent&) = delete;

  // Stops after the round in progress. Idempotent.
  virtual void Stop() = 0;
  virtual SyncAgentStats stats() const = 0;

 protected:
  SyncAgent() = default;
};

// Publishes the outbox until it is empty, once, on the calling thread (for
// `ckm sync --once`). Returns how many entries were published. Unavailable
// or DeadlineExceeded when the server cannot be reached; FailedPrecondition
// when the stream was created with another partition count.
[[nodiscard]] absl::StatusOr<SyncAgentStats> DrainOutbox(
    Store& store, const SyncOptions& options);

// Options of one PartitionNode. Plain struct.
struct NodeOptions {
  // Empty: a head-office node, with consumers "<prefix>-p<p>", answering
  // FetchProfile for its partitions. Otherwise the node is a follower, for
  // a terminal that follows some partitions so that its own store
  // converges with head office's: its consumers are
  // "<prefix>-<follower>-p<p>", its own, so it gets every event of those
  // partitions beside head office, and it answers no profile requests.
  // Name each follower uniquely: 1 to 64 of A-Z, a-z, 0-9, '-' and '_'.
  // Default: empty.
  std::string follower;
  // How many times a change naming a customer or identity the store does
  // not know yet is tried (once every SyncOptions::retry_ms) before it goes
  // to the dead letters: its events are normally just behind it. Waiting
  // behind an earlier change does not count. At least 1. Default: 100
  // (20 s at the default retry_ms).
  int change_deliveries = 100;
};

// Whether PartitionNode::Start accepts these: InvalidArgument naming the
// field otherwise. For checking before a store is opened (`ckm node`).
[[nodiscard]] absl::Status CheckNodeOptions(const std::vector<int>& partitions,
                                            const SyncOptions& options,
                                            const NodeOptions& node);

// What a PartitionNode has done since it started. Plain struct.
struct PartitionNodeStats {
  std::uint64_t recorded = 0;          // events recorded now
  std::uint64_t already_recorded = 0;  // redeliveries and retries skipped
  // Merges, unmerges, unlinks and erasures applied now (ApplyChange, or
  // forwarded from the absorbed customer's partition), and those handled
  // before (redeliveries, a follower's own changes).
  std::uint64_t changes_applied = 0;
  std::uint64_t changes_already_applied = 0;
  std::uint64_t dead_letters = 0;  // messages sent to the dead letters
  std::uint64_t redeliveries = 0;  // left unacknowledged after an error
  std::string last_error;
};

// Records the events of some partitions into a head-office store, and
// applies their merges, unmerges, unlinks and erasures (Store::ApplyChange),
// in the stream's order: one durable pull consumer per partition, a thread
// each. A message is acknowledged only after Record or ApplyChange returned
// OK for it, so a crash redelivers it and exactly-once skips it, and what
// a crash left unacknowledged comes back before newer messages. A change
// naming a customer or identity the store does not know yet (its events
// may be behind it) waits: it is delivered again every retry_ms, later
// changes of the partition wait behind it while events go on, and after
// NodeOptions::change_deliveries tries it is a dead letter. A merge or
// unmerge is handled on the absorbed customer's partition: for a survivor
// of another partition, that partition's head-office node forwards the
// customer's whole merged group there (each member's history, the merges
// linking them, then the merge) and every later event of a member; the
// survivor's node makes the merge and sends the group on if the
// survivor's own root is forwarded further. A stream of its own,
// <stream>_FORWARDS, remembers what is forwarded, so a node started again
// carries on. A customer already merged into another at its partition's
// node is not merged elsewhere: a dead letter, as a store would refuse it
// (docs/sync.md, "Merges across partitions"). A message that cannot be
// decoded, fails validation or
// belongs to another partition is published to the
// dead-letter subject with its reason (header Ckm-Reason) and then
// acknowledged: it never blocks the partition and is never dropped
// silently. A store error (full disk, I/O) acknowledges nothing: the
// message comes again.
//
// Events a node records are never queued in its store's outbox
// (RecordOptions::outbox false): what came from head office does not travel
// back. Serve each partition from one head-office node at a time, and give
// each follower its own name: two nodes sharing a consumer would each get
// some of its events.
//
// Thread safety: stats() and Stop() may be called from any thread.
// Ownership: the caller keeps the Store, which must outlive the node.
class PartitionNode {
 public:
  // InvalidArgument (CheckNodeOptions) for no partition, one outside
  // 0..options.partitions-1, a follower name that does not fit or
  // change_deliveries below 1.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PartitionNode>> Start(
      Store& store, const std::vector<int>& partitions,
      const SyncOptions& options, const NodeOptions& node = {});
  virtual ~PartitionNode() = default;  // stops the threads
  PartitionNode(const PartitionNode&) = delete;
  PartitionNode& operator=(const PartitionNode&) = delete;

  virtual void Stop() = 0;
  virtual PartitionNodeStats stats() const = 0;

 protected:
  PartitionNode() = default;
};

// Asks head office for a customer's profile, by request and reply on
// "<prefix>.profile.<p>", answered by the node serving the customer's
// partition p from its store. The node reads with the access context
// `read` under head office's policy (StoreOptions::access_policy): the
// copy is redacted as a read there would be, Profile::redacted() lists
// what it lacks, and head office's access audit keeps the read when that
// is on. The role is the one the application asserts, as for a local
// read; who may ask at all is for the NATS server's users and permissions
// (docs/sync.md).
//
// For a terminal that does not hold the customer: the Profile owns its
// bytes, verified like any stored profile, so the terminal may keep it as
// a cached copy and read it offline. The copy is head office's profile as
// of the answer; it does not change when either side records more (ask
// again to refresh), and head office's erasure of the customer cannot
// reach it: the application drops it.
//
// NotFound when head office does not know the customer; PermissionDenied
// when head office's policy refuses the read, or the NATS server refused
// this user the profile subject; InvalidArgument for a malformed id, or a
// role or purpose a header could not carry unchanged (more than 128
// bytes, a control character, a space at either end; the message names
// read.role or read.purpose); Unavailable or DeadlineExceeded when no
// node answers within timeout_ms; DataLoss when the answer fails
// verification.
[[nodiscard]] absl::StatusOr<Profile> FetchProfile(
    const SyncOptions& options, std::string_view customer_id,
    const ReadOptions& read = {});

// A terminal following a partition (NodeOptions::follower), and the
// messages it has not acknowledged yet, counted as PartitionStatus::lag is.
struct FollowerLag {
  std::string follower;
  std::uint64_t lag = 0;
};

// One partition as the server sees it.
struct PartitionStatus {
  int partition = 0;
  std::uint64_t messages = 0;  // in the stream, on the partition's subject
  bool has_consumer = false;   // a head-office node has served it
  // Messages not yet acknowledged by head office: pending plus delivered
  // but unacknowledged; all its messages while it has no consumer.
  std::uint64_t lag = 0;
  std::uint64_t dead_letters = 0;  // in the dead-letter stream
  // Each follower that has followed the partition, by name.
  std::vector<FollowerLag> followers;
};

struct SyncStatus {
  int partitions = 0;  // as the stream was created
  std::vector<PartitionStatus> per_partition;
};

// Reads the streams' and consumers' state from the server. NotFound when
// the stream does not exist yet; Unavailable when the server cannot be
// reached. A terminal's outbox depth is Store::OutboxDepth().
[[nodiscard]] absl::StatusOr<SyncStatus> ReadSyncStatus(
    const SyncOptions& options);

// Parses "0-3", "5" or "0,2,5-7" into partitions, each below `partitions`.
// InvalidArgument naming the part that is wrong.
[[nodiscard]] absl::StatusOr<std::vector<int>> ParsePartitions(
    std::string_view text, int partitions);

}  // namespace ckm

#endif  // CKM_SYNC_H_
