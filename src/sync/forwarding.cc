// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// How a partition worker forwards (docs/sync.md, "Merges across
// partitions"): events of the customers it forwards, as it records them,
// and the messages a group's travel sends (group_travel.cc), each to the
// partition of the group the customer is merged into, with the path the
// message took so far, so that nothing goes round in a circle.

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "codec/change_codec.h"
#include "codec/event_codec.h"
#include "sync/names.h"
#include "sync/partition_worker.h"

namespace ckm::sync {
namespace {

// The partitions whose nodes forwarded `msg`, in order; empty for a
// message from a till.
std::vector<int> PathOf(natsMsg* msg) {
  std::vector<int> path;
  const char* from = nullptr;
  if (msg == nullptr ||
      natsMsgHeader_Get(msg, kForwardedHeader, &from) != NATS_OK)
    return path;
  for (absl::string_view part : absl::StrSplit(from, ',')) {
    int p = 0;
    if (absl::SimpleAtoi(part, &p)) path.push_back(p);
  }
  return path;
}

}  // namespace

bool IsForwarded(natsMsg* msg) {
  const char* from = nullptr;
  return natsMsgHeader_Get(msg, kForwardedHeader, &from) == NATS_OK;
}

bool OnPath(natsMsg* msg, int partition) {
  for (int p : PathOf(msg))
    if (p == partition) return true;
  return false;
}

// An event goes on where its customer is forwarded, but not back along
// its path, nor to its own partition, which has it from the till: a group
// can hold a customer of the partition it is forwarded to.
absl::Status PartitionWorker::ForwardRecorded(
    const std::vector<Event>& events, const std::vector<natsMsg*>& messages) {
  if (forwards_ == nullptr) return absl::OkStatus();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string& customer = events[i].customer.id;
    for (int target : forwards_->TargetsOf(customer)) {
      if (OnPath(messages[i], target) ||
          target == PartitionOf(customer, options_.partitions))
        continue;
      if (absl::Status s =
              Forward(events[i], Payload(messages[i]), target, messages[i]);
          !s.ok())
        return s;
    }
  }
  return absl::OkStatus();
}

// The target is part of the id: a customer's event forwarded along a
// chain of partitions is one message on each, and JetStream's duplicate
// window is the stream's.
absl::Status PartitionWorker::Forward(const Event& event,
                                      std::string_view payload, int target,
                                      natsMsg* msg) {
  return Publish(payload, target,
                 absl::StrCat("forward-", EventMessageId(event), "-", target),
                 msg);
}

absl::Status PartitionWorker::ForwardChange(const OutboxChange& change,
                                            int target, natsMsg* msg) {
  return Publish(codec::EncodeChange(change), target,
                 absl::StrCat("forward-", ChangeMessageId(change, target)),
                 msg);
}

// Its own message id, so that JetStream does not take it for the original
// (the duplicate window is the stream's, not a subject's).
absl::Status PartitionWorker::Publish(std::string_view payload, int target,
                                      const std::string& id, natsMsg* msg) {
  const std::string subject = EventSubject(options_, target);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  MsgPtr out(raw);
  std::vector<int> path = PathOf(msg);
  path.push_back(partition_);
  const std::string from = absl::StrJoin(path, ",");
  if (s == NATS_OK)
    s = natsMsgHeader_Set(out.get(), kForwardedHeader, from.c_str());
  if (s != NATS_OK) return FromNats(s, "building a forward");
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = id.c_str();
  pub.MaxWait = options_.timeout_ms;
  jsPubAck* ack = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, connection_->js(), out.get(), &pub, &js_error);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  return FromNats(s, absl::StrCat("forwarding to ", subject), js_error);
}

}  // namespace ckm::sync
