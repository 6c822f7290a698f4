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
// What was delivered and not acknowledged when a consumer is opened (by a
// node killed or cut off mid-batch, or messages it was holding back) comes
// back first, in the stream's order, before anything published after it:
// the server would otherwise send newer messages at once and those only
// after its ack wait, so that a node restarted mid-change would apply the
// changes of one customer out of their order. Until the leftovers are back,
// a Fetch that meets a newer message hands it back (a NAK due just after
// the leftovers are) and brings nothing more until they are due: at most
// the consumer's ack wait after opening, and only after a stop that left
// messages unacknowledged.
//
// Thread safety: one thread. The connection must be closed before a
// PullConsumer is destroyed (Connection::Close says why).

#ifndef CKM_SRC_SYNC_PULL_CONSUMER_H_
#define CKM_SRC_SYNC_PULL_CONSUMER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

class PullConsumer {
 public:
  // What the consumer held delivered and not acknowledged when opened.
  struct Leftovers {
    std::int64_t count = 0;  // how many
    std::uint64_t last = 0;  // the last delivered message's stream sequence
    absl::Time until;        // by when they are all due again, with slack
  };

  // Binds to the durable consumer `durable` of options.stream, creating it
  // (explicit acks, options.ack_wait_ms, unlimited deliveries, from the
  // stream's start, on `subject` only) if it does not exist yet;
  // FailedPrecondition if one of that name exists with other settings (a
  // push consumer, another subject or ack policy).
  static absl::StatusOr<std::unique_ptr<PullConsumer>> Open(
      Connection& connection, const SyncOptions& options,
      const std::string& subject, const std::string& durable);
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `batch` messages in the stream's order: those already here, or
  // else what one request brings within `wait_ms` (none is not an error;
  // while libnats reconnects, none after `wait_ms`). Errors leave the
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
  // Fetch, but for leftovers.
  absl::StatusOr<std::vector<MsgPtr>> FetchNow(int batch, std::int64_t wait_ms);
  // Takes the messages already on the subscription, up to `batch`.
  absl::Status TakeWaiting(int batch, std::vector<MsgPtr>& out);
  // Reads what the last request brings into `out`, until its end, `batch`
  // messages or `deadline`.
  absl::Status Collect(int batch, absl::Time deadline,
                       std::vector<MsgPtr>& out);
  // What a status message on the subscription means for a fetch holding
  // `got` messages: go on, end it, or an error.
  absl::StatusOr<bool> Ended(natsMsg* status, bool got);
  // While leftovers are not all back: counts those in `out`, and hands back
  // the first newer message and everything after it.
  void HoldBackNewer(std::vector<MsgPtr>& out);
  // Whether every leftover is acknowledged, by the server's ack floor.
  bool LeftoversDone();
  void EndLeftovers();

  Connection& connection_;
  const SyncOptions options_;
  const std::string subject_;  // the partition's subject
  const std::string durable_;
  const std::string next_;   // the consumer's pull request subject
  const std::string inbox_;  // its messages come to <inbox>.<request>
  SubscriptionPtr subscription_;
  bool bound_ = true;  // false after "no responders": look it up again
  std::uint64_t requests_ = 0;
  std::string reply_;  // the last request's reply subject
  // Set while leftovers from before Open may still come back.
  std::optional<Leftovers> leftovers_;
  std::set<std::uint64_t> returned_;  // leftovers back, by stream sequence
  bool holding_back_ = false;         // newer ones handed back until due
};

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PULL_CONSUMER_H_
