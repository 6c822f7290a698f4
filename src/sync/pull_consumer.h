// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A durable JetStream pull consumer, read with pull requests of ckm's own
// rather than libnats' natsSubscription_Fetch.
//
// Why: libnats 3.4 (Debian 12's) has a heap buffer overflow in Fetch. A
// Fetch that starts with more than half a batch already waiting on its
// subscription (messages that answered an earlier request after it timed
// out) goes on collecting past the end of its array of `batch` pointers,
// until its timeout (nats.c #749, fixed upstream in 3.9.0). It corrupted
// partition workers' heaps. Here the messages come to a plain subscription
// on an inbox of our own and are collected into a vector, so that any
// number of them arriving late is simply taken by the next Fetch.
//
// The protocol: one request per Fetch to $JS.API.CONSUMER.MSG.NEXT, for up
// to `batch` messages, answered at once with what the consumer has (the
// server then ends it with a 408 status) or, if it has nothing, as soon as
// something comes within the wait. Each request has a reply subject of its
// own, so that the status ending an earlier request, come late, does not
// end a later fetch. Acknowledgements are published to each message's
// reply subject, as libnats' own are.
//
// Leftovers come back first, in the stream's order. What the server holds
// delivered and not acknowledged when the consumer is opened, bound again,
// its connection mended or libnats dropped messages (a node killed or cut
// off mid-batch, changes it was letting wait, messages lost on the wire or
// dropped as a slow consumer) would otherwise come back
// only when due: after newer messages, which the server sends at once,
// and in the order they fall due rather than the stream's. A node would
// then apply one customer's changes out of their order. So until the
// leftovers are back, Fetch asks for one message at a time and keeps
// whatever comes, leftovers and newer ones alike; once every leftover is
// back (counted, or because the server holds nothing unacknowledged that
// is not here), or at the latest the consumer's ack wait plus 2 s after
// arming (but never while cut off), it returns everything kept at once,
// sorted by stream sequence; what it keeps for half an ack wait has its
// ack wait restarted ("+WPI").
// See pull_consumer_leftovers.cc.
//
// Thread safety: one thread. The connection must be closed before a
// PullConsumer is destroyed (Connection::Close says why).

#ifndef CKM_SRC_SYNC_PULL_CONSUMER_H_
#define CKM_SRC_SYNC_PULL_CONSUMER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

// What a PullConsumer keeps while its leftovers come back (its rules are
// in pull_consumer_leftovers.cc). At namespace scope, not nested: clang
// cannot default-construct a nested class with member initializers inside
// std::optional before the enclosing class is complete.
struct PullLeftovers {
  struct Kept {
    MsgPtr msg;
    absl::Time since;  // delivered, or its ack wait restarted
  };
  // How many leftovers to wait for: those back, and those the server
  // held unacknowledged when armed that were not kept here yet.
  std::int64_t count = 0;
  std::int64_t back = 0;    // how many came back (delivered before)
  std::uint64_t below = 0;  // each has a stream sequence up to this
  absl::Time until;         // when to stop waiting for the rest
  absl::Duration ack_wait;  // the consumer's
  // Everything fetched meanwhile, by stream sequence; `unplaced`: the
  // messages whose sequence could not be read, which go last.
  std::map<std::uint64_t, Kept> kept;
  std::vector<MsgPtr> unplaced;
};

class PullConsumer {
 public:
  // Binds to the durable consumer `durable` of options.stream, creating it
  // (explicit acks, options.ack_wait_ms, unlimited deliveries, from the
  // stream's start, on `subject` only) if it does not exist yet;
  // FailedPrecondition if one of that name exists with other settings (a
  // push consumer, another subject or ack policy, a redelivery back-off).
  static absl::StatusOr<std::unique_ptr<PullConsumer>> Open(
      Connection& connection, const SyncOptions& options,
      const std::string& subject, const std::string& durable);
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `batch` messages in the stream's order: those already here, or
  // else what one request brings within `wait_ms` (none is not an error;
  // while libnats reconnects, none after `wait_ms`); the leftovers, once
  // back, all at once however many they are. Errors leave the
  // subscription usable: Unavailable while nothing serves the consumer (a
  // leader election; the next Fetch binds again, making the consumer again
  // if the server lost it), FailedPrecondition when the server refuses the
  // request (a limit an operator set), or the connection's own error.
  absl::StatusOr<std::vector<MsgPtr>> Fetch(int batch, std::int64_t wait_ms);

  // Asks for up to `batch` messages within `wait_ms` without waiting for
  // them: they are the next Fetch calls', however many there are. Fetch
  // sends one itself when nothing is here yet.
  absl::Status Request(int batch, std::int64_t wait_ms);

  // Acknowledges `msg`: the server will not deliver it again.
  void Ack(natsMsg* msg);
  // Asks for `msg` again after `delay_ms`.
  void Nak(natsMsg* msg, std::int64_t delay_ms);

 private:
  PullConsumer(Connection& connection, const SyncOptions& options,
               std::string subject, std::string durable, std::string inbox,
               SubscriptionPtr subscription);
  // Fetch without the leftovers' rules: the pull protocol.
  absl::StatusOr<std::vector<MsgPtr>> FetchNow(int batch, std::int64_t wait_ms);
  // Looks the consumer up again (making it if the server lost it), and
  // arms the leftovers' rules if it holds messages unacknowledged.
  absl::Status Bind();
  // Takes the messages already on the subscription, up to `batch`.
  absl::Status TakeWaiting(int batch, std::vector<MsgPtr>& out);
  // Reads what the last request brings into `out`, until its end, `batch`
  // messages or `deadline`.
  absl::Status Collect(int batch, absl::Time deadline,
                       std::vector<MsgPtr>& out);
  // What a status message on the subscription means for a fetch holding
  // `got` messages: go on, end it, or an error.
  absl::StatusOr<bool> Ended(natsMsg* status, bool got);

  // The leftovers' rules (pull_consumer_leftovers.cc).
  using Kept = PullLeftovers::Kept;
  using Leftovers = PullLeftovers;
  // Starts (or extends) the leftovers' rules for what `info` holds.
  void Arm(const jsConsumerInfo& info);
  // Arms them again if libnats has reconnected since the last look.
  absl::Status NoteReconnect();
  absl::StatusOr<std::vector<MsgPtr>> FetchLeftovers(std::int64_t wait_ms);
  // Whether every leftover is back.
  bool AllBack();
  // Restarts the ack wait of what has been kept half of it.
  void KeepKept();
  // Everything kept, in the stream's order; ends the rules.
  std::vector<MsgPtr> Release();

  Connection& connection_;
  const SyncOptions options_;
  const std::string subject_;  // the partition's subject
  const std::string durable_;
  const std::string next_;   // the consumer's pull request subject
  const std::string inbox_;  // its messages come to <inbox>.<request>
  SubscriptionPtr subscription_;
  bool bound_ = true;  // false after "no responders": look it up again
  std::uint64_t requests_ = 0;
  std::string reply_;                   // the last request's reply subject
  std::optional<Leftovers> leftovers_;  // set while they may come back
  std::uint64_t reconnects_ = 0;        // as last looked at
  bool dropped_ = false;  // libnats dropped messages (a slow consumer)
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PULL_CONSUMER_H_
