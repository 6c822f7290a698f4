// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/publish.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

struct PubAckFree {
  void operator()(jsPubAck* a) const { jsPubAck_Destroy(a); }
};

// Publishes one entry; true if the server called it a duplicate.
absl::StatusOr<bool> PublishEntry(Connection& c, const SyncOptions& o,
                                  const OutboxEntry& entry) {
  const std::string subject =
      EventSubject(o, PartitionOf(entry.event.customer.id, o.partitions));
  const std::string id = EventMessageId(entry.event);
  natsMsg* raw = nullptr;
  natsStatus s =
      natsMsg_Create(&raw, subject.c_str(), nullptr, entry.payload.data(),
                     static_cast<int>(entry.payload.size()));
  MsgPtr msg(raw);
  if (s != NATS_OK) return FromNats(s, "building a message");
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = id.c_str();
  pub.MaxWait = o.timeout_ms;
  pub.ExpectStream = o.stream.c_str();
  jsPubAck* ack_raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack_raw, c.js(), msg.get(), &pub, &js_error);
  std::unique_ptr<jsPubAck, PubAckFree> ack(ack_raw);
  if (s != NATS_OK) {
    return FromNats(s,
                    absl::StrCat("publishing outbox entry ", entry.sequence,
                                 " to ", subject),
                    js_error);
  }
  return ack->Duplicate;
}

}  // namespace

absl::StatusOr<RoundResult> PublishRound(Store& store, Connection& c,
                                         const SyncOptions& o) {
  absl::StatusOr<std::vector<OutboxEntry>> entries = store.ReadOutbox(o.batch);
  if (!entries.ok()) return entries.status();
  RoundResult result;
  result.outbox_empty = entries->empty();
  std::vector<std::uint64_t> acked;
  for (const OutboxEntry& entry : *entries) {
    absl::StatusOr<bool> duplicate = PublishEntry(c, o, entry);
    if (!duplicate.ok()) {
      result.error = duplicate.status();
      break;
    }
    acked.push_back(entry.sequence);
    if (*duplicate) ++result.duplicates;
  }
  // Only what the server acknowledged leaves the outbox.
  if (absl::Status s = store.RemoveFromOutbox(acked); !s.ok()) return s;
  result.published = acked.size();
  return result;
}

}  // namespace ckm::sync
