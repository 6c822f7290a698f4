// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/forwards.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "string_util.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

// The subject that holds a customer's forward (its last message: the
// target partition, or nothing once stopped), and a handled change's.
// Subjects hold ids in hex: any byte may be in an id.
std::string ForwardPrefix(const SyncOptions& o, int partition) {
  return absl::StrCat(ForwardsSubjects(o, "f"), ".", partition, ".");
}

std::string ChangeSubject(const SyncOptions& o, int partition,
                          const std::string& change_id) {
  return absl::StrCat(ForwardsSubjects(o, "h"), ".", partition, ".",
                      absl::BytesToHexString(change_id));
}

bool NoMessage(natsStatus s, jsErrCode e) {
  return s == NATS_NOT_FOUND || e == JSNoMessageFoundErr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Forwards>> Forwards::Open(Connection& c,
                                                         const SyncOptions& o,
                                                         int partition) {
  std::unique_ptr<Forwards> f(new Forwards(c, o, partition));
  // The partition's subjects that hold a forward, then each one's last.
  const std::string prefix = ForwardPrefix(o, partition);
  const std::string filter = prefix + "*";
  jsOptions options = *c.js_options();
  options.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const std::string stream = ForwardsStream(o);
  natsStatus s = js_GetStreamInfo(&raw, c.js(), stream.c_str(), &options, &e);
  StreamInfoPtr info(raw);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("reading stream ", stream), e);
  const jsStreamStateSubjects* subjects = info->State.Subjects;
  for (int i = 0; subjects != nullptr && i < subjects->Count; ++i) {
    absl::string_view subject = subjects->List[i].Subject;
    natsMsg* msg_raw = nullptr;
    s = js_GetLastMsg(&msg_raw, c.js(), stream.c_str(),
                      subjects->List[i].Subject, c.js_options(), &e);
    MsgPtr msg(msg_raw);
    if (NoMessage(s, e)) continue;
    if (s != NATS_OK)
      return FromNats(s, absl::StrCat("reading ", subjects->List[i].Subject),
                      e);
    int target = 0;
    if (absl::ConsumePrefix(&subject, prefix) &&
        absl::SimpleAtoi(Av(Payload(msg.get())), &target))
      f->targets_[absl::HexStringToBytes(subject)] = target;
  }
  return f;
}

absl::Status Forwards::Put(const std::string& subject,
                           const std::string& value) {
  jsPubAck* ack = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_Publish(&ack, connection_.js(), subject.c_str(), value.data(),
                 static_cast<int>(value.size()), nullptr, &e);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  return FromNats(s, absl::StrCat("writing ", subject), e);
}

std::string Forwards::Subject(const std::string& customer_id) const {
  return absl::StrCat(ForwardPrefix(options_, partition_),
                      absl::BytesToHexString(customer_id));
}

std::optional<int> Forwards::TargetOf(const std::string& customer_id) const {
  auto it = targets_.find(customer_id);
  if (it == targets_.end()) return std::nullopt;
  return it->second;
}

absl::Status Forwards::Start(const std::string& customer_id, int target) {
  if (absl::Status s = Put(Subject(customer_id), std::to_string(target));
      !s.ok())
    return s;
  targets_[customer_id] = target;
  return absl::OkStatus();
}

absl::Status Forwards::Stop(const std::string& customer_id) {
  if (targets_.count(customer_id) == 0) return absl::OkStatus();
  if (absl::Status s = Put(Subject(customer_id), ""); !s.ok()) return s;
  targets_.erase(customer_id);
  return absl::OkStatus();
}

absl::StatusOr<bool> Forwards::WasHandled(const std::string& change_id) const {
  natsMsg* raw = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const std::string stream = ForwardsStream(options_);
  const std::string subject = ChangeSubject(options_, partition_, change_id);
  const natsStatus s = js_GetLastMsg(&raw, connection_.js(), stream.c_str(),
                                     subject.c_str(), nullptr, &e);
  MsgPtr msg(raw);
  if (NoMessage(s, e)) return false;
  if (s != NATS_OK) return FromNats(s, "reading handled changes", e);
  return true;
}

absl::Status Forwards::Handled(const std::string& change_id) {
  return Put(ChangeSubject(options_, partition_, change_id), "1");
}

}  // namespace ckm::sync
