// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/partition_worker.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "codec/change_codec.h"
#include "codec/event_codec.h"
#include "sync/dead_letter.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

// Errors that the same message would meet again: the event is wrong, not
// the store's state. Everything else (a full disk, I/O) may pass.
// Events from the stream are never queued again: they travel one way.
RecordOptions FromHeadOffice() {
  RecordOptions options;
  options.outbox = false;
  return options;
}

// An error PullConsumer::Fetch returns about the consumer, not the
// connection (see its comment).
bool OfTheConsumer(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsFailedPrecondition(s) ||
         absl::IsNotFound(s) || absl::IsDeadlineExceeded(s);
}

constexpr char kErasedReplay[] =
    "an event of an erased customer, dated up to its erasure: a replay of "
    "erased data, not kept (docs/privacy.md)";

constexpr char kNamesErased[] =
    "a change naming a customer erased here: not kept (docs/privacy.md)";

bool Refused(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsFailedPrecondition(s);
}

}  // namespace

bool SharedNodeState::Pause(std::int64_t ms) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(ms));
  return !stopping_;
}

void SharedNodeState::Add(const PartitionNodeStats& d) {
  absl::MutexLock lock(&mu_);
  stats_.recorded += d.recorded;
  stats_.already_recorded += d.already_recorded;
  stats_.changes_applied += d.changes_applied;
  stats_.changes_already_applied += d.changes_already_applied;
  stats_.dead_letters += d.dead_letters;
  stats_.redeliveries += d.redeliveries;
  if (!d.last_error.empty()) stats_.last_error = d.last_error;
}

void SharedNodeState::NoteError(const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  stats_.last_error = std::string(error.message());
}

void PartitionWorker::StopServingProfiles() {
  if (profiles_ == nullptr) return;
  if (natsSubscription_Drain(profiles_.get()) == NATS_OK)
    natsSubscription_WaitForDrainCompletion(profiles_.get(),
                                            options_.timeout_ms);
}

// Profile requests drain first, so that none is cut off; then the
// connection closes before any subscription on it is destroyed, even one
// whose drain did not finish (Connection::Close says why).
void PartitionWorker::Disconnect() {
  StopServingProfiles();
  if (connection_ != nullptr) connection_->Close();
  // Closing does not wait for an answer under way (a slow store read):
  // service_ must outlive it.
  if (profiles_done_ != nullptr) profiles_done_->WaitForNotification();
  profiles_done_.reset();
  profiles_.reset();
  consumer_.reset();
  forwards_.reset();
  connection_.reset();
}

absl::Status PartitionWorker::Subscribe() {
  waiting_.clear();  // what it held comes again, unacknowledged
  if (connection_ == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(options_);
    if (!c.ok()) return c.status();
    connection_ = *std::move(c);
  }
  if (profiles_ == nullptr && node_.follower.empty()) {
    auto done = std::make_unique<absl::Notification>();
    absl::StatusOr<SubscriptionPtr> served =
        ServeProfiles(*connection_, &service_, done.get());
    if (!served.ok()) return served.status();
    profiles_ = *std::move(served);
    profiles_done_ = std::move(done);
  }
  if (absl::Status s = EnsureStreams(*connection_, options_); !s.ok()) return s;
  if (forwards_ == nullptr && node_.follower.empty()) {
    absl::StatusOr<std::unique_ptr<Forwards>> f =
        Forwards::Open(*connection_, options_, partition_);
    if (!f.ok()) return f.status();
    forwards_ = *std::move(f);
  }
  absl::StatusOr<std::unique_ptr<PullConsumer>> consumer = PullConsumer::Open(
      *connection_, options_, EventSubject(options_, partition_),
      ConsumerName(options_, partition_, node_.follower));
  if (!consumer.ok()) return consumer.status();
  consumer_ = *std::move(consumer);
  return absl::OkStatus();
}

void PartitionWorker::Run() {
  while (!shared_.stopping()) {
    if (consumer_ == nullptr) {
      if (absl::Status s = Subscribe(); !s.ok()) {
        shared_.NoteError(s);
        Disconnect();  // the only place subscriptions are destroyed
        shared_.Pause(options_.retry_ms);
        continue;
      }
    }
    absl::StatusOr<std::vector<MsgPtr>> fetched =
        consumer_->Fetch(static_cast<int>(options_.batch), options_.poll_ms);
    if (!fetched.ok()) {
      // The consumer's errors leave the subscription usable (its next
      // Fetch binds again); a connection's is mended by connecting and
      // subscribing again (Disconnect, Subscribe).
      shared_.NoteError(fetched.status());
      if (!connection_->connected() || !OfTheConsumer(fetched.status()))
        Disconnect();
      shared_.Pause(options_.retry_ms);
      continue;
    }
    std::vector<natsMsg*> messages;
    for (const MsgPtr& msg : *fetched) messages.push_back(msg.get());
    Handle(messages);
  }
}

// In the stream's order: the events before a change are recorded before it
// is applied.
void PartitionWorker::Handle(const std::vector<natsMsg*>& messages) {
  PartitionNodeStats delta;
  std::vector<Event> events;
  std::vector<natsMsg*> decoded;
  for (natsMsg* msg : messages) {
    if (codec::IsEncodedChange(Payload(msg))) {
      RecordEvents(events, decoded, delta);
      events.clear();
      decoded.clear();
      HandleChange(msg, delta);
      continue;
    }
    absl::StatusOr<Event> event = DecodeEvent(Payload(msg));
    if (!event.ok()) {
      Reject(msg, absl::StrCat("undecodable: ", event.status().message()),
             delta);
    } else if (const int p =
                   PartitionOf(event->customer.id, options_.partitions);
               p != partition_ && !IsForwarded(msg)) {
      Reject(msg, absl::StrCat("customer belongs to partition ", p), delta);
    } else {
      events.push_back(*std::move(event));
      decoded.push_back(msg);
    }
  }
  RecordEvents(events, decoded, delta);
  shared_.Add(delta);
}

void PartitionWorker::RecordEvents(const std::vector<Event>& events,
                                   const std::vector<natsMsg*>& decoded,
                                   PartitionNodeStats& delta) {
  if (events.empty()) return;
  absl::StatusOr<RecordResult> r = store_.Record(events, FromHeadOffice());
  absl::Status forwarded;
  if (r.ok()) forwarded = ForwardRecorded(events, decoded);
  if (r.ok() && !forwarded.ok()) {
    delta.last_error = std::string(forwarded.message());
    for (natsMsg* msg : decoded) Leave(msg, delta);  // forwarded again
  } else if (r.ok()) {
    delta.recorded += r->recorded;
    delta.already_recorded += r->already_recorded;
    for (natsMsg* msg : decoded) consumer_->Ack(msg);
  } else if (Refused(r.status())) {
    HandleOneByOne(events, decoded, delta);
  } else {
    delta.last_error = std::string(r.status().message());
    for (natsMsg* msg : decoded) Leave(msg, delta);
  }
}

// A forwarded change came from the node of a partition whose customer is
// merged into a group of this one, whatever partitions its till named.
std::string PartitionWorker::Misrouted(const OutboxChange& change,
                                       natsMsg* msg) const {
  if (IsForwarded(msg)) return "";
  if (change.kind == OutboxChange::Kind::kErase) {
    for (const std::string& id : change.erased)
      if (PartitionOf(id, options_.partitions) == partition_) return "";
    return absl::StrCat("no erased customer belongs to partition ", partition_);
  }
  const std::vector<int> to = ChangePartitions(change, options_.partitions);
  if (std::find(to.begin(), to.end(), partition_) != to.end()) return "";
  return absl::StrCat("the change belongs to partition ",
                      TargetPartition(change, options_.partitions));
}

// A change waits (waiting_) while a customer it names is unknown, and
// later changes wait behind it, so that changes apply in their order;
// events go on meanwhile, and are what it waits for. Only the tries a
// change makes itself count towards change_deliveries, not its waits
// behind another.
void PartitionWorker::HandleChange(natsMsg* msg, PartitionNodeStats& delta) {
  absl::StatusOr<OutboxChange> change = codec::DecodeChange(Payload(msg));
  if (!change.ok())
    return Reject(msg, absl::StrCat("undecodable: ", change.status().message()),
                  delta);
  if (std::string why = Misrouted(*change, msg); !why.empty())
    return Reject(msg, why, delta);
  const std::uint64_t sequence = PlaceOf(msg).sequence;
  if (sequence == 0) return Leave(msg, delta);
  if (!waiting_.empty() && sequence > waiting_.begin()->first) {
    waiting_.emplace(sequence, 0);
    return Leave(msg, delta);
  }
  if (ForAnother(*change, msg)) {
    consumer_->Ack(msg);  // it comes forwarded if this store is to make it
    return;
  }
  absl::StatusOr<bool> applied = Apply(*change, msg);
  if (applied.ok()) {
    waiting_.erase(sequence);
    consumer_->Ack(msg);
    ++(*applied ? delta.changes_applied : delta.changes_already_applied);
    return;
  }
  const absl::Status& s = applied.status();
  const bool unknown = absl::IsNotFound(s);
  int& tries = waiting_[sequence];
  if (unknown && ++tries < node_.change_deliveries) return Leave(msg, delta);
  if (unknown || Refused(s)) {
    waiting_.erase(sequence);
    if (NamesErased(*change)) {
      return Reject(msg, kNamesErased, delta, /*withhold_body=*/true);
    }
    return Reject(msg,
                  unknown ? absl::StrCat("after ", node_.change_deliveries,
                                         " deliveries: ", s.message())
                          : std::string(s.message()),
                  delta);
  }
  delta.last_error = std::string(s.message());  // the store's: try again
  Leave(msg, delta);
}

// A store error reads as "erased": a letter without its body is the safe
// side.
bool PartitionWorker::NamesErased(const OutboxChange& change) const {
  std::vector<std::string> named = change.erased;
  for (const std::string* id : {&change.customer, &change.other, &change.root})
    if (!id->empty()) named.push_back(*id);
  for (const std::string& id : named) {
    absl::StatusOr<std::optional<std::int64_t>> erased = store_.ErasedUpTo(id);
    if (!erased.ok() || erased->has_value()) return true;
  }
  return false;
}

void PartitionWorker::HandleOneByOne(const std::vector<Event>& events,
                                     const std::vector<natsMsg*>& messages,
                                     PartitionNodeStats& delta) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<RecordResult> r = store_.Record(events[i], FromHeadOffice());
    if (r.ok()) {
      if (absl::Status f = ForwardRecorded({events[i]}, {messages[i]});
          !f.ok()) {
        delta.last_error = std::string(f.message());
        Leave(messages[i], delta);
        continue;
      }
      delta.recorded += r->recorded;
      delta.already_recorded += r->already_recorded;
      consumer_->Ack(messages[i]);
    } else if (IsErasedReplay(r.status())) {
      // Neither the event nor its customer's id may stay: the reason says
      // what it was, and nothing of it.
      Reject(messages[i], kErasedReplay, delta, /*withhold_body=*/true);
    } else if (Refused(r.status())) {
      Reject(messages[i], r.status().message(), delta);
    } else {
      delta.last_error = std::string(r.status().message());
      Leave(messages[i], delta);
    }
  }
}

void PartitionWorker::Reject(natsMsg* msg, absl::string_view reason,
                             PartitionNodeStats& delta, bool withhold_body) {
  const absl::Status s = SendToDeadLetters(*connection_, options_, partition_,
                                           msg, reason, withhold_body);
  if (!s.ok()) {
    delta.last_error = std::string(s.message());
    Leave(msg, delta);
    return;
  }
  consumer_->Ack(msg);
  ++delta.dead_letters;
}

// Not acknowledged: the server delivers it again after retry_ms.
void PartitionWorker::Leave(natsMsg* msg, PartitionNodeStats& delta) {
  consumer_->Nak(msg, options_.retry_ms);
  ++delta.redeliveries;
}

}  // namespace ckm::sync
