// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/publish.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

// The live Publishers by number, for PubAck handlers (Publisher::OnAck).
// Never destroyed: a late PubAck may come while the process exits.
struct Registry {
  absl::Mutex mu;
  std::uintptr_t next ABSL_GUARDED_BY(mu) = 1;
  absl::flat_hash_map<std::uintptr_t, Publisher*> live ABSL_GUARDED_BY(mu);
};
Registry& Publishers() {
  static Registry* registry = new Registry;
  return *registry;
}

std::uintptr_t Register(Publisher* p) {
  Registry& r = Publishers();
  absl::MutexLock lock(&r.mu);
  const std::uintptr_t number = r.next++;
  r.live.emplace(number, p);
  return number;
}

}  // namespace

Publisher::Publisher(std::unique_ptr<Connection> connection,
                     const SyncOptions& options)
    : connection_(std::move(connection)),
      options_(options),
      number_(Register(this)) {}

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Create(
    std::unique_ptr<Connection> c, const SyncOptions& o) {
  std::unique_ptr<Publisher> p(new Publisher(std::move(c), o));
  jsOptions js;
  jsOptions_Init(&js);
  js.Wait = o.timeout_ms;
  js.PublishAsync.MaxPending = static_cast<int64_t>(o.batch);
  js.PublishAsync.AckHandler = &Publisher::OnAck;
  js.PublishAsync.AckHandlerClosure = reinterpret_cast<void*>(p->number_);
  const natsStatus s =
      natsConnection_JetStream(&p->js_, p->connection_->nc(), &js);
  if (s != NATS_OK) return FromNats(s, "opening JetStream for publishing");
  return p;
}

Publisher::~Publisher() {
  // Acks still on their way would find this Publisher gone: wait a little
  // for them first. Their entries stay in the outbox and go again.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = options_.timeout_ms;
  js_PublishAsyncComplete(js_, &wait);
  {
    Registry& r = Publishers();
    absl::MutexLock lock(&r.mu);
    r.live.erase(number_);  // PubAcks from now on find nobody
  }
  connection_->Close();
  jsCtx_Destroy(js_);
}

void Publisher::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                      void* closure) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) != NATS_OK) id = nullptr;
  {
    // Held while the Publisher records it, so that it cannot go meanwhile.
    Registry& r = Publishers();
    absl::MutexLock lock(&r.mu);
    auto it = r.live.find(reinterpret_cast<std::uintptr_t>(closure));
    if (it != r.live.end()) it->second->Acked(id, ack, error);
  }
  natsMsg_Destroy(msg);
}

void Publisher::Acked(const char* id, const jsPubAck* ack,
                      const jsPubAckErr* error) {
  absl::MutexLock lock(&mu_);
  if (ack != nullptr && id != nullptr) {
    acked_.emplace_back(id);
    if (ack->Duplicate) ++duplicates_;
  } else if (error != nullptr) {
    refused_ = FromNats(error->Err, "a publish was refused", error->ErrCode);
  }
}

absl::Status Publisher::Send(const OutboxEntry& entry) {
  if (!entry.change) {
    return SendMessage(
        entry.sequence,
        PartitionOf(entry.event.customer.id, options_.partitions),
        EventMessageId(entry.event), entry.payload);
  }
  for (int p : ChangePartitions(*entry.change, options_.partitions)) {
    if (absl::Status s =
            SendMessage(entry.sequence, p, ChangeMessageId(*entry.change, p),
                        entry.payload);
        !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status Publisher::SendMessage(std::uint64_t sequence, int partition,
                                    const std::string& id,
                                    const std::string& payload) {
  const std::string subject = EventSubject(options_, partition);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  MsgPtr msg(raw);
  // The id as a header of our own setting: the PubAck handler reads it.
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), kMsgIdHeader, id.c_str());
  if (s == NATS_OK)
    s = natsMsgHeader_Set(msg.get(), "Nats-Expected-Stream",
                          options_.stream.c_str());
  if (s != NATS_OK) return FromNats(s, "building a message");
  // A PubAck that does not come within timeout_ms is reported as an error,
  // so that a message lost with a server never holds a slot for good.
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MaxWait = options_.timeout_ms;
  raw = msg.release();
  s = js_PublishMsgAsync(js_, &raw, &pub);
  msg.reset(raw);  // still ours if the library did not take it
  if (s != NATS_OK) {
    return FromNats(
        s, absl::StrCat("publishing outbox entry ", sequence, " to ", subject));
  }
  in_flight_[id].insert(sequence);
  unacked_[sequence].insert(id);
  return absl::OkStatus();
}

absl::StatusOr<RoundResult> Publisher::Round(Store& store) {
  absl::StatusOr<std::vector<OutboxEntry>> entries =
      store.ReadOutbox(options_.batch);
  if (!entries.ok()) return entries.status();
  const std::uint64_t violations = PermissionViolations();
  RoundResult result;
  result.outbox_empty = entries->empty();
  for (const OutboxEntry& entry : *entries) {
    result.error = Send(entry);
    if (!result.error.ok()) break;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = options_.timeout_ms;
  if (const natsStatus s = js_PublishAsyncComplete(js_, &wait);
      s != NATS_OK && result.error.ok()) {
    result.error = FromNats(s, "waiting for PubAcks");
  }
  std::vector<std::string> acked;
  {
    absl::MutexLock lock(&mu_);
    acked.swap(acked_);
    result.duplicates = duplicates_;
    duplicates_ = 0;
    if (result.error.ok() && !refused_.ok()) result.error = refused_;
    refused_ = absl::OkStatus();
  }
  result.error = ExplainRefusal(std::move(result.error), violations);
  // Only what the server acknowledged leaves the outbox.
  std::vector<std::uint64_t> sequences;
  for (const std::string& id : acked) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) continue;
    for (std::uint64_t sequence : it->second) {
      std::set<std::string>& waiting = unacked_[sequence];
      waiting.erase(id);
      if (!waiting.empty()) continue;
      unacked_.erase(sequence);
      sequences.push_back(sequence);
    }
    in_flight_.erase(it);
  }
  if (absl::Status s = store.RemoveFromOutbox(sequences); !s.ok()) return s;
  result.published = sequences.size();
  return result;
}

}  // namespace ckm::sync
