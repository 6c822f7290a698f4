// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/forwards.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "string_util.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

// Subjects hold ids in hex: any byte may be in an id. A forward is
// "f.<partition>.<customer>.<target>", holding its reasons while it runs
// (EncodeVias), and purged once it stops; a node of an earlier version
// wrote one subject per customer, "f.<partition>.<customer>", holding the
// target.
std::string ForwardPrefix(const SyncOptions& o, int partition) {
  return absl::StrCat(ForwardsSubjects(o, "f"), ".", partition, ".");
}

// A change handled ("h"), or begun and not yet handled ("b"); the last
// unmerge of a customer ("u", by customer id).
std::string ChangeSubject(const SyncOptions& o, absl::string_view what,
                          int partition, const std::string& change_id) {
  return absl::StrCat(ForwardsSubjects(o, what), ".", partition, ".",
                      absl::BytesToHexString(change_id));
}

bool NoMessage(natsStatus s, jsErrCode e) {
  return s == NATS_NOT_FOUND || e == JSNoMessageFoundErr;
}

// "1" (a version before: reasons not recorded, read as "") or "1:" and
// the reasons' ids in hex, separated by commas.
std::string EncodeVias(const Forwards::Vias& vias) {
  std::string out = "1:";
  bool first = true;
  for (const std::string& via : vias) {
    if (via.empty()) continue;
    if (!first) out += ",";
    out += absl::BytesToHexString(via);
    first = false;
  }
  return out;
}

std::optional<Forwards::Vias> DecodeVias(absl::string_view value) {
  if (value == "1") return Forwards::Vias{""};
  if (!absl::ConsumePrefix(&value, "1:")) return std::nullopt;
  Forwards::Vias vias;
  for (absl::string_view hex : absl::StrSplit(value, ',', absl::SkipEmpty()))
    vias.insert(absl::HexStringToBytes(hex));
  return vias;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Forwards>> Forwards::Open(Connection& c,
                                                         const SyncOptions& o,
                                                         int partition) {
  std::unique_ptr<Forwards> f(new Forwards(c, o, partition));
  // The partition's subjects that hold a forward, then each one's last.
  const std::string prefix = ForwardPrefix(o, partition);
  const std::string filter = prefix + ">";
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
    if (!absl::ConsumePrefix(&subject, prefix)) continue;
    const std::vector<absl::string_view> parts = absl::StrSplit(subject, '.');
    const absl::string_view payload = Av(Payload(msg.get()));
    int target = 0;
    const std::string id = absl::HexStringToBytes(parts[0]);
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &target)) {
      if (parts.size() == 1 && absl::SimpleAtoi(payload, &target)) {
        f->running_[id][target] = {""};
        f->single_.insert({id, target});
      }
    } else if (std::optional<Vias> vias = DecodeVias(payload); vias) {
      f->running_[id][target] = *std::move(vias);
    }
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

absl::Status Forwards::Purge(const std::string& subject) {
  jsOptions options = *connection_.js_options();
  options.Stream.Purge.Subject = subject.c_str();
  jsErrCode e = static_cast<jsErrCode>(0);
  const natsStatus s = js_PurgeStream(
      connection_.js(), ForwardsStream(options_).c_str(), &options, &e);
  return FromNats(s, absl::StrCat("purging ", subject), e);
}

absl::StatusOr<std::uint64_t> Forwards::LastUnmerge(
    const std::string& customer_id) const {
  absl::StatusOr<MsgPtr> last =
      Last(ChangeSubject(options_, "u", partition_, customer_id));
  if (!last.ok()) return last.status();
  std::uint64_t sequence = 0;
  if (*last == nullptr ||
      !absl::SimpleAtoi(Av(Payload(last->get())), &sequence))
    return 0;
  return sequence;
}

absl::Status Forwards::Unmerged(const std::string& customer_id,
                                std::uint64_t sequence) {
  return Put(ChangeSubject(options_, "u", partition_, customer_id),
             std::to_string(sequence));
}

absl::StatusOr<MsgPtr> Forwards::Last(const std::string& subject) const {
  natsMsg* raw = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const std::string stream = ForwardsStream(options_);
  const natsStatus s = js_GetLastMsg(&raw, connection_.js(), stream.c_str(),
                                     subject.c_str(), nullptr, &e);
  MsgPtr msg(raw);
  if (NoMessage(s, e)) return MsgPtr();
  if (s != NATS_OK) return FromNats(s, absl::StrCat("reading ", subject), e);
  return msg;
}

absl::StatusOr<bool> Forwards::Holds(const std::string& subject) const {
  absl::StatusOr<MsgPtr> last = Last(subject);
  if (!last.ok()) return last.status();
  return *last != nullptr;
}

std::string Forwards::Subject(const std::string& customer_id,
                              int target) const {
  std::string subject = absl::StrCat(ForwardPrefix(options_, partition_),
                                     absl::BytesToHexString(customer_id));
  if (target >= 0) absl::StrAppend(&subject, ".", target);
  return subject;
}

std::set<int> Forwards::TargetsOf(const std::string& customer_id) const {
  std::set<int> targets;
  auto it = running_.find(customer_id);
  if (it == running_.end()) return targets;
  for (const auto& [target, vias] : it->second) targets.insert(target);
  return targets;
}

Forwards::Vias Forwards::ViasOf(const std::string& customer_id,
                                int target) const {
  auto it = running_.find(customer_id);
  if (it == running_.end()) return {};
  auto to = it->second.find(target);
  return to == it->second.end() ? Vias() : to->second;
}

absl::Status Forwards::Start(const std::string& customer_id, int target,
                             const Vias& vias) {
  Vias now = ViasOf(customer_id, target);
  const std::size_t before = now.size();
  now.insert(vias.begin(), vias.end());
  if (now.size() == before && !now.empty()) return absl::OkStatus();
  return Keep(customer_id, target, std::move(now));
}

absl::Status Forwards::Stop(const std::string& customer_id, int target,
                            const Vias& ending) {
  Vias now = ViasOf(customer_id, target);
  if (now.empty()) return absl::OkStatus();  // not forwarded there
  for (const std::string& via : ending) now.erase(via);
  now.erase("");
  if (!now.empty()) return Keep(customer_id, target, std::move(now));
  return End(customer_id, target);
}

absl::Status Forwards::Keep(const std::string& customer_id, int target,
                            Vias vias) {
  if (absl::Status s = Put(Subject(customer_id, target), EncodeVias(vias));
      !s.ok())
    return s;
  running_[customer_id][target] = std::move(vias);
  return absl::OkStatus();
}

absl::Status Forwards::Forget(const std::string& customer_id) {
  for (int target : TargetsOf(customer_id))
    if (absl::Status s = End(customer_id, target); !s.ok()) return s;
  return Purge(ChangeSubject(options_, "u", partition_, customer_id));
}

absl::Status Forwards::End(const std::string& customer_id, int target) {
  if (absl::Status s = Purge(Subject(customer_id, target)); !s.ok()) return s;
  if (absl::Status s = PurgeSingle(customer_id, target); !s.ok()) return s;
  auto it = running_.find(customer_id);
  if (it == running_.end()) return absl::OkStatus();
  it->second.erase(target);
  if (it->second.empty()) running_.erase(it);
  return absl::OkStatus();
}

absl::Status Forwards::PurgeSingle(const std::string& customer_id, int target) {
  if (single_.count({customer_id, target}) == 0) return absl::OkStatus();
  if (absl::Status s = Purge(Subject(customer_id, -1)); !s.ok()) return s;
  single_.erase({customer_id, target});
  return absl::OkStatus();
}

absl::StatusOr<Forwards::Progress> Forwards::ProgressOf(
    const std::string& change_id) const {
  absl::StatusOr<bool> done =
      Holds(ChangeSubject(options_, "h", partition_, change_id));
  if (!done.ok()) return done.status();
  if (*done) return Progress::kDone;
  absl::StatusOr<bool> begun =
      Holds(ChangeSubject(options_, "b", partition_, change_id));
  if (!begun.ok()) return begun.status();
  return *begun ? Progress::kBegun : Progress::kNone;
}

absl::Status Forwards::Begin(const std::string& change_id, const Vias& noted) {
  return Put(ChangeSubject(options_, "b", partition_, change_id),
             EncodeVias(noted));
}

absl::StatusOr<Forwards::Vias> Forwards::NotedWith(
    const std::string& change_id) const {
  absl::StatusOr<MsgPtr> last =
      Last(ChangeSubject(options_, "b", partition_, change_id));
  if (!last.ok()) return last.status();
  if (*last == nullptr) return Vias();
  return DecodeVias(Av(Payload(last->get()))).value_or(Vias{""});
}

// The mark that it was begun goes only once this one is written: a node
// killed after it stopped the forwards a change read and before this mark
// was written finds the change begun when it comes back. Killed between
// the two, it leaves a begun mark that the handled one outranks.
absl::Status Forwards::Handled(const std::string& change_id) {
  if (absl::Status s =
          Put(ChangeSubject(options_, "h", partition_, change_id), "1");
      !s.ok())
    return s;
  return Purge(ChangeSubject(options_, "b", partition_, change_id));
}

}  // namespace ckm::sync
