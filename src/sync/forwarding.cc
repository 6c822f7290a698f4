// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A partition worker's part in merges across partitions (docs/sync.md,
// "Merges across partitions"): on the absorbed customer's partition it
// forwards the customer's history, its later events and the change itself
// to the group's partition, which applies the change from there.

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "sync/names.h"
#include "sync/partition_worker.h"

namespace ckm::sync {

bool IsForwarded(natsMsg* msg) {
  const char* from = nullptr;
  return natsMsgHeader_Get(msg, kForwardedHeader, &from) == NATS_OK;
}

bool PartitionWorker::IsSource(const OutboxChange& change) const {
  return (change.kind == OutboxChange::Kind::kMerge ||
          change.kind == OutboxChange::Kind::kUnmerge) &&
         TargetPartition(change, options_.partitions) != partition_;
}

// Only a customer alone crosses partitions: the links inside a group
// would not travel with its events.
absl::Status PartitionWorker::CheckAlone(const std::string& customer) const {
  absl::StatusOr<CustomerIdentities> who = store_.Identities(customer);
  if (!who.ok()) return who.status();
  if (who->aliases.empty() && who->survivor == customer)
    return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("customer \"", customer, "\" is merged with others here: ",
                   "a group does not travel across partitions yet "
                   "(docs/sync.md)"));
}

bool PartitionWorker::AwaitsItsSource(const OutboxChange& change,
                                      natsMsg* msg) const {
  return (change.kind == OutboxChange::Kind::kMerge ||
          change.kind == OutboxChange::Kind::kUnmerge) &&
         !IsSource(change) &&
         PartitionOf(change.other, options_.partitions) != partition_ &&
         !IsForwarded(msg);
}

absl::StatusOr<bool> PartitionWorker::Apply(const OutboxChange& change,
                                            natsMsg* msg) {
  if (IsSource(change)) return HandleAtSource(change, Payload(msg));
  absl::StatusOr<bool> applied = store_.ApplyChange(change);
  // An erased customer's events are forwarded no more.
  if (applied.ok() && change.kind == OutboxChange::Kind::kErase &&
      forwards_ != nullptr) {
    for (const std::string& id : change.erased) {
      if (absl::Status s = forwards_->Stop(id); !s.ok()) return s;
    }
  }
  return applied;
}

// The absorbed customer's events go to the group's partition from now on
// (a merge) or no longer (an unmerge), and then the change itself; its
// own profile here stays its own. A redelivery forwards again, which the
// message ids, or the group's node's exactly-once, make harmless.
absl::StatusOr<bool> PartitionWorker::HandleAtSource(const OutboxChange& change,
                                                     std::string_view payload) {
  if (forwards_ == nullptr) return false;
  absl::StatusOr<bool> handled = forwards_->WasHandled(change.id);
  if (!handled.ok()) return handled.status();
  if (*handled) return false;
  const int target = TargetPartition(change, options_.partitions);
  if (change.kind == OutboxChange::Kind::kUnmerge) {
    if (absl::Status s = forwards_->Stop(change.other); !s.ok()) return s;
  } else {
    // NotFound: its events come first.
    if (absl::Status s = CheckAlone(change.other); !s.ok()) return s;
    if (absl::Status s = forwards_->Start(change.other, target); !s.ok())
      return s;
    HistoryQuery all;
    all.limit = 0;
    absl::StatusOr<Events> history = store_.History(change.other, all);
    if (!history.ok()) return history.status();
    for (Event& e : *history) {
      e.customer = CustomerRef::Id(change.other);  // as its outbox sent it
      if (absl::Status s = Forward(e, EncodeEvent(e, change.other), target);
          !s.ok())
        return s;
    }
  }
  // Then the change itself, behind the history: the group's node applies
  // it from there, in this partition's order.
  if (absl::Status s = ForwardChange(change, payload, target); !s.ok())
    return s;
  if (absl::Status s = forwards_->Handled(change.id); !s.ok()) return s;
  return true;
}

absl::Status PartitionWorker::ForwardRecorded(
    const std::vector<Event>& events, const std::vector<natsMsg*>& messages) {
  if (forwards_ == nullptr) return absl::OkStatus();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::optional<int> target =
        forwards_->TargetOf(events[i].customer.id);
    if (!target) continue;
    if (absl::Status s = Forward(events[i], Payload(messages[i]), *target);
        !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status PartitionWorker::Forward(const Event& event,
                                      std::string_view payload, int target) {
  return Publish(payload, target,
                 absl::StrCat("forward-", EventMessageId(event)));
}

absl::Status PartitionWorker::ForwardChange(const OutboxChange& change,
                                            std::string_view payload,
                                            int target) {
  return Publish(payload, target,
                 absl::StrCat("forward-", ChangeMessageId(change, target)));
}

// Its own message id, so that JetStream does not take it for the original
// (the duplicate window is the stream's, not a subject's).
absl::Status PartitionWorker::Publish(std::string_view payload, int target,
                                      const std::string& id) {
  const std::string subject = EventSubject(options_, target);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  MsgPtr msg(raw);
  const std::string from = std::to_string(partition_);
  if (s == NATS_OK)
    s = natsMsgHeader_Set(msg.get(), kForwardedHeader, from.c_str());
  if (s != NATS_OK) return FromNats(s, "building a forward");
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = id.c_str();
  pub.MaxWait = options_.timeout_ms;
  jsPubAck* ack = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, connection_->js(), msg.get(), &pub, &js_error);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  return FromNats(s, absl::StrCat("forwarding to ", subject), js_error);
}

}  // namespace ckm::sync
