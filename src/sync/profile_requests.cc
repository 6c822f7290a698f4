// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/profile_requests.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ckm/access.h"
#include "quote.h"
#include "string_util.h"
#include "sync/names.h"

namespace ckm {
namespace sync {
namespace {

constexpr char kStatusHeader[] = "Ckm-Status";
constexpr char kRedactedHeader[] = "Ckm-Redacted";

// The access context's fields, each with the header that carries it and
// the name an error gives it.
struct AccessHeader {
  const char* header;
  const char* field;
  std::string ReadOptions::*member;
};
constexpr AccessHeader kAccessHeaders[] = {
    {"Ckm-Role", "read.role", &ReadOptions::role},
    {"Ckm-Purpose", "read.purpose", &ReadOptions::purpose}};

std::string ProfileSubject(const SyncOptions& o, int partition) {
  return absl::StrCat(o.subject_prefix, ".profile.", partition);
}

// A header's value: empty when the message lacks it, InvalidArgument when
// libnats cannot read it (a value that was only white space garbles the
// headers after it).
absl::StatusOr<std::string> HeaderOf(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  const natsStatus s = natsMsgHeader_Get(msg, name, &value);
  if (s == NATS_NOT_FOUND) return std::string();
  if (s != NATS_OK || value == nullptr)
    return absl::InvalidArgumentError(
        absl::StrCat("header ", name, " cannot be read"));
  return std::string(value);
}

// Whether a role or purpose reaches the node as it is here: NATS headers
// carry no control characters (libnats makes CR and LF spaces) and lose
// white space at either end, so "till\n" would arrive as "till" and read
// as a role the caller did not name. At most 128 bytes, so that requests
// do not fill head office's access audit.
absl::Status CheckTravels(std::string_view field, const std::string& value) {
  bool ok = value.size() <= 128 &&
            (value.empty() || (value.front() != ' ' && value.back() != ' '));
  for (unsigned char c : value) ok = ok && c >= 0x20 && c != 0x7f;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Av(field), ": ", QuoteForError(value),
                   " cannot travel in a request (at most 128 bytes, no control "
                   "characters, no space at either end)"));
}

// The access context a request names, checked as the caller's was.
absl::StatusOr<ReadOptions> ReadOf(natsMsg* request) {
  ReadOptions read;
  for (const AccessHeader& h : kAccessHeaders) {
    absl::StatusOr<std::string> value = HeaderOf(request, h.header);
    if (!value.ok()) return value.status();
    if (absl::Status s = CheckTravels(h.field, *value); !s.ok()) return s;
    read.*h.member = *std::move(value);
  }
  return read;
}

// What a node answers: the profile's bytes and what its access policy
// withheld from them, or why there is none.
struct Reply {
  std::string status = "ok";  // "ok", "not_found", "denied", "invalid", "error"
  std::string reason;
  std::string body;
  std::string redacted;  // the withheld parts' names, comma-separated
};

Reply Read(const ProfileService& service, const std::string& customer,
           const ReadOptions& read) {
  Reply reply;
  if (PartitionOf(customer, service.options.partitions) != service.partition) {
    reply.status = "error";
    reply.reason = "customer belongs to another partition";
    return reply;
  }
  absl::StatusOr<Profile> p = service.store->Get(customer, read);
  if (!p.ok()) {
    reply.status = absl::IsNotFound(p.status())           ? "not_found"
                   : absl::IsPermissionDenied(p.status()) ? "denied"
                   : absl::IsInvalidArgument(p.status())  ? "invalid"
                                                          : "error";
    reply.reason = std::string(p.status().message());
    return reply;
  }
  reply.body = std::string(p->bytes());
  for (DataPart part : p->redacted())
    absl::StrAppend(&reply.redacted, reply.redacted.empty() ? "" : ",",
                    Av(ToString(part)));
  return reply;
}

// The answer to one request, read with the access context it names.
void Answer(natsConnection* nc, natsMsg* request,
            const ProfileService& service) {
  const char* reply_to = natsMsg_GetReply(request);
  if (reply_to == nullptr) return;  // not a request: nobody to answer
  const std::string customer(
      natsMsg_GetData(request),
      static_cast<std::size_t>(natsMsg_GetDataLength(request)));
  const absl::StatusOr<ReadOptions> read = ReadOf(request);
  Reply answer;
  if (read.ok()) {
    answer = Read(service, customer, *read);
  } else {  // not read, so not audited either
    answer.status = "invalid";
    answer.reason = std::string(read.status().message());
  }
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, reply_to, nullptr, answer.body.data(),
                     static_cast<int>(answer.body.size())) != NATS_OK)
    return;
  MsgPtr reply(raw);
  natsMsgHeader_Set(reply.get(), kStatusHeader, answer.status.c_str());
  if (!answer.reason.empty())
    natsMsgHeader_Set(reply.get(), kReasonHeader,
                      answer.reason.substr(0, 1000).c_str());
  if (!answer.redacted.empty())
    natsMsgHeader_Set(reply.get(), kRedactedHeader, answer.redacted.c_str());
  natsConnection_PublishMsg(nc, reply.get());
}

void OnRequest(natsConnection* nc, natsSubscription*, natsMsg* msg,
               void* closure) {
  Answer(nc, msg, *static_cast<const ProfileService*>(closure));
  natsMsg_Destroy(msg);
}

void OnComplete(void* closure) {
  static_cast<absl::Notification*>(closure)->Notify();
}

// The request: the customer id, with the access context as headers.
absl::StatusOr<MsgPtr> ProfileRequest(const std::string& subject,
                                      std::string_view customer_id,
                                      const ReadOptions& read) {
  natsMsg* raw = nullptr;
  if (natsStatus s =
          natsMsg_Create(&raw, subject.c_str(), nullptr, customer_id.data(),
                         static_cast<int>(customer_id.size()));
      s != NATS_OK)
    return FromNats(s, "making a profile request");
  MsgPtr msg(raw);
  for (const AccessHeader& h : kAccessHeaders) {
    const std::string& value = read.*h.member;
    if (absl::Status s = CheckTravels(h.field, value); !s.ok()) return s;
    if (value.empty()) continue;
    if (natsStatus s = natsMsgHeader_Set(msg.get(), h.header, value.c_str());
        s != NATS_OK)
      return FromNats(s, "making a profile request");
  }
  return msg;
}

// The profile a reply holds, or the status its node answered with.
absl::StatusOr<Profile> FromReply(natsMsg* reply) {
  const std::string status = HeaderOf(reply, kStatusHeader).value_or("");
  const std::string why = HeaderOf(reply, kReasonHeader).value_or("");
  if (status == "not_found") return absl::NotFoundError(why);
  if (status == "denied") return absl::PermissionDeniedError(why);
  if (status == "invalid") return absl::InvalidArgumentError(why);
  if (status != "ok")
    return absl::UnavailableError(
        absl::StrCat("head office could not answer: ", why));
  std::vector<DataPart> redacted;
  absl::StatusOr<std::string> listed = HeaderOf(reply, kRedactedHeader);
  if (!listed.ok())
    return absl::DataLossError(
        "head office's answer: redacted parts unreadable");
  const std::vector<std::string> names =
      absl::StrSplit(*listed, ',', absl::SkipEmpty());
  for (const std::string& name : names) {
    const std::optional<DataPart> part = ParseDataPart(name);
    if (!part)
      return absl::DataLossError(
          absl::StrCat("head office's answer names an unknown redacted part ",
                       QuoteForError(name)));
    redacted.push_back(*part);
  }
  std::sort(redacted.begin(), redacted.end());
  return Profile::FromRedactedBytes(
      std::string(natsMsg_GetData(reply),
                  static_cast<std::size_t>(natsMsg_GetDataLength(reply))),
      std::move(redacted));
}

}  // namespace

absl::StatusOr<SubscriptionPtr> ServeProfiles(Connection& c,
                                              const ProfileService* service,
                                              absl::Notification* done) {
  const std::string subject =
      ProfileSubject(service->options, service->partition);
  const std::string group = absl::StrCat(subject, ".nodes");
  natsSubscription* raw = nullptr;
  const natsStatus s = natsConnection_QueueSubscribe(
      &raw, c.nc(), subject.c_str(), group.c_str(), OnRequest,
      const_cast<ProfileService*>(service));
  SubscriptionPtr sub(raw);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("serving profiles on ", subject));
  if (const natsStatus set =
          natsSubscription_SetOnCompleteCB(sub.get(), OnComplete, done);
      set != NATS_OK) {
    natsSubscription_Unsubscribe(sub.get());
    return FromNats(set, "serving profiles");
  }
  return sub;
}

}  // namespace sync

absl::StatusOr<Profile> FetchProfile(const SyncOptions& options,
                                     std::string_view customer_id,
                                     const ReadOptions& read) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  const std::string subject = sync::ProfileSubject(
      options, PartitionOf(customer_id, options.partitions));
  absl::StatusOr<sync::MsgPtr> request =  // checked before connecting
      sync::ProfileRequest(subject, customer_id, read);
  if (!request.ok()) return request.status();
  absl::StatusOr<std::unique_ptr<sync::Connection>> c =
      sync::Connection::Open(options);
  if (!c.ok()) return c.status();
  const std::uint64_t violations = sync::PermissionViolations();
  natsMsg* raw = nullptr;
  const natsStatus s = natsConnection_RequestMsg(
      &raw, (*c)->nc(), request->get(), options.timeout_ms);
  sync::MsgPtr reply(raw);
  if (s != NATS_OK)
    return sync::ExplainRefusal(
        sync::FromNats(s, absl::StrCat("asking ", subject, " for a profile")),
        violations);
  return sync::FromReply(reply.get());
}

}  // namespace ckm
