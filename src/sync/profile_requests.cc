// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/profile_requests.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "sync/names.h"

namespace ckm {
namespace sync {
namespace {

constexpr char kStatusHeader[] = "Ckm-Status";

std::string ProfileSubject(const SyncOptions& o, int partition) {
  return absl::StrCat(o.subject_prefix, ".profile.", partition);
}

// The answer to one request: the profile, or why there is none.
void Answer(natsConnection* nc, natsMsg* request,
            const ProfileService& service) {
  const char* reply_to = natsMsg_GetReply(request);
  if (reply_to == nullptr) return;  // not a request: nobody to answer
  const std::string customer(
      natsMsg_GetData(request),
      static_cast<std::size_t>(natsMsg_GetDataLength(request)));
  std::string body, status = "ok", reason;
  if (PartitionOf(customer, service.options.partitions) != service.partition) {
    status = "error";
    reason = "customer belongs to another partition";
  } else if (absl::StatusOr<Profile> p = service.store->Get(customer); p.ok()) {
    body = std::string(p->bytes());
  } else {
    status = absl::IsNotFound(p.status()) ? "not_found" : "error";
    reason = std::string(p.status().message());
  }
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, reply_to, nullptr, body.data(),
                     static_cast<int>(body.size())) != NATS_OK)
    return;
  MsgPtr reply(raw);
  natsMsgHeader_Set(reply.get(), kStatusHeader, status.c_str());
  if (!reason.empty())
    natsMsgHeader_Set(reply.get(), kReasonHeader,
                      reason.substr(0, 1000).c_str());
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
                                     std::string_view customer_id) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sync::Connection>> c =
      sync::Connection::Open(options);
  if (!c.ok()) return c.status();
  const std::string subject = sync::ProfileSubject(
      options, PartitionOf(customer_id, options.partitions));
  natsMsg* raw = nullptr;
  const natsStatus s = natsConnection_Request(
      &raw, (*c)->nc(), subject.c_str(), customer_id.data(),
      static_cast<int>(customer_id.size()), options.timeout_ms);
  sync::MsgPtr reply(raw);
  if (s != NATS_OK)
    return sync::FromNats(s,
                          absl::StrCat("asking ", subject, " for a profile"));
  const char* status = nullptr;
  const char* reason = nullptr;
  if (natsMsgHeader_Get(reply.get(), sync::kStatusHeader, &status) != NATS_OK)
    status = nullptr;
  if (natsMsgHeader_Get(reply.get(), sync::kReasonHeader, &reason) != NATS_OK)
    reason = nullptr;
  const std::string answer = status == nullptr ? "" : status;
  const std::string why = reason == nullptr ? "" : reason;
  if (answer == "not_found") return absl::NotFoundError(why);
  if (answer != "ok")
    return absl::UnavailableError(
        absl::StrCat("head office could not answer: ", why));
  return Profile::FromBytes(std::string(
      natsMsg_GetData(reply.get()),
      static_cast<std::size_t>(natsMsg_GetDataLength(reply.get()))));
}

}  // namespace ckm
