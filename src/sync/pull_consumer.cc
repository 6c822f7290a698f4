// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/pull_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ckm::sync {
namespace {

// How long past its expiry a request's end is waited for. The server drops
// an expired request without a status when a message comes just as it
// expires (nats-server 2.9), so this is waited in vain then: keep it short.
constexpr std::int64_t kSlackMs = 10;

// A message of the stream carries the subject its acknowledgement goes to;
// the server's status messages (404, 408, 409, 100) carry none.
bool FromStream(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  return reply != nullptr && absl::StartsWith(reply, "$JS.ACK.");
}

std::string Header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) != NATS_OK || value == nullptr)
    return "";
  return value;
}

// FailedPrecondition unless `info` is a pull consumer of `subject` with
// explicit acks, as this build makes them.
absl::Status CheckFits(const jsConsumerInfo& info, const std::string& subject,
                       const std::string& durable) {
  const jsConsumerConfig* c = info.Config;
  std::string wrong;
  if (c == nullptr) {
    wrong = "no configuration";
  } else if (c->DeliverSubject != nullptr && *c->DeliverSubject != '\0') {
    wrong = "a push consumer";
  } else if (c->FilterSubject == nullptr || subject != c->FilterSubject) {
    wrong = absl::StrCat("not on ", subject);
  } else if (c->AckPolicy != js_AckExplicit) {
    wrong = "without explicit acks";
  } else if (c->BackOffLen > 0) {
    wrong = "with a redelivery back-off";  // leftovers due past the ack wait
  }
  if (wrong.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "consumer ", durable, " exists, ", wrong, ": delete it to start over"));
}

// The consumer as it is, or nullptr after making it.
absl::StatusOr<ConsumerInfoPtr> LookUpOrCreate(Connection& c,
                                               const SyncOptions& o,
                                               const std::string& subject,
                                               const std::string& durable) {
  absl::StatusOr<ConsumerInfoPtr> found =
      ReadConsumerInfo(c, o.stream, durable);
  if (found.ok()) {
    if (absl::Status fits = CheckFits(**found, subject, durable); !fits.ok())
      return fits;
    return found;
  }
  if (!absl::IsNotFound(found.status())) return found.status();
  jsConsumerInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.FilterSubject = subject.c_str();
  config.AckPolicy = js_AckExplicit;
  config.AckWait = o.ack_wait_ms * 1'000'000;  // nanoseconds
  config.MaxDeliver = -1;  // a store error may last: never give up
  config.DeliverPolicy = js_DeliverAll;
  // A batch is acknowledged before the next is asked for: room for two.
  config.MaxAckPending =
      std::max<std::int64_t>(1000, 2 * static_cast<std::int64_t>(o.batch));
  const natsStatus s = js_AddConsumer(&raw, c.js(), o.stream.c_str(), &config,
                                      c.js_options(), &js_error);
  ConsumerInfoPtr added(raw);
  if (absl::Status made =
          FromNats(s, absl::StrCat("creating consumer ", durable), js_error);
      !made.ok())
    return made;
  return ConsumerInfoPtr();
}

}  // namespace

PullConsumer::PullConsumer(Connection& connection, const SyncOptions& options,
                           std::string subject, std::string durable,
                           std::string inbox, SubscriptionPtr subscription)
    : connection_(connection),
      options_(options),
      subject_(std::move(subject)),
      durable_(std::move(durable)),
      next_(absl::StrCat("$JS.API.CONSUMER.MSG.NEXT.", options.stream, ".",
                         durable_)),
      inbox_(std::move(inbox)),
      subscription_(std::move(subscription)) {}

absl::StatusOr<std::unique_ptr<PullConsumer>> PullConsumer::Open(
    Connection& c, const SyncOptions& o, const std::string& subject,
    const std::string& durable) {
  absl::StatusOr<ConsumerInfoPtr> found =
      LookUpOrCreate(c, o, subject, durable);
  if (!found.ok()) return found.status();
  natsInbox* raw_inbox = nullptr;
  natsStatus s = natsInbox_Create(&raw_inbox);
  if (s != NATS_OK) return FromNats(s, "making an inbox");
  const std::string inbox = raw_inbox;
  natsInbox_Destroy(raw_inbox);
  natsSubscription* raw = nullptr;
  // Each request has a reply subject of its own under the inbox, so that a
  // request's end is told from an earlier one's that came late.
  const std::string replies = absl::StrCat(inbox, ".*");
  s = natsConnection_SubscribeSync(&raw, c.nc(), replies.c_str());
  SubscriptionPtr subscription(raw);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("subscribing for consumer ", durable));
  std::unique_ptr<PullConsumer> consumer(
      new PullConsumer(c, o, subject, durable, inbox, std::move(subscription)));
  consumer->reconnects_ = c.reconnects();
  if (*found != nullptr) consumer->Arm(**found);
  return consumer;
}

// Statuses already here belong to earlier requests: passed over, but a
// "no responders" among them means the consumer should be looked up again.
absl::Status PullConsumer::TakeWaiting(int batch, std::vector<MsgPtr>& out) {
  while (static_cast<int>(out.size()) < batch) {
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, subscription_.get(), 0);
    if (s == NATS_TIMEOUT) return absl::OkStatus();
    if (s == NATS_SLOW_CONSUMER) {  // dropped ones come again, late
      dropped_ = true;
      continue;
    }
    if (s == NATS_NO_RESPONDERS) {
      bound_ = false;
      continue;
    }
    if (s != NATS_OK) return FromNats(s, "reading consumer messages");
    MsgPtr msg(raw);
    if (FromStream(msg.get())) out.push_back(std::move(msg));
  }
  return absl::OkStatus();
}

// "no_wait" with "expires": the server answers at once with what it has
// and ends the request, or waits up to `wait_ms` for the first message.
absl::Status PullConsumer::Request(int batch, std::int64_t wait_ms) {
  const std::string body =
      absl::StrCat("{\"batch\":", batch, ",\"expires\":", wait_ms * 1'000'000,
                   ",\"no_wait\":true}");
  reply_ = absl::StrCat(inbox_, ".", ++requests_);
  const natsStatus s = natsConnection_PublishRequest(
      connection_.nc(), next_.c_str(), reply_.c_str(), body.data(),
      static_cast<int>(body.size()));
  return FromNats(s, absl::StrCat("asking ", next_, " for messages"));
}

// The last request's end (404, 408, or 409 for a leader change or a
// deleted consumer, which also calls for looking it up again) ends the
// fetch; an earlier request's ends it once there is something to return.
// The server refusing the request (400, another 409) is an error, unless
// there is something to return: the next fetch meets it again.
absl::StatusOr<bool> PullConsumer::Ended(natsMsg* status, bool got) {
  const std::string code = Header(status, "Status");
  if (code == "100") return false;  // a heartbeat
  const char* subject = natsMsg_GetSubject(status);
  if (subject == nullptr || reply_ != subject) return got;
  const std::string why = Header(status, "Description");
  if (code == "404" || code == "408") return true;
  if (code == "409" && (absl::StrContains(why, "Leadership Change") ||
                        absl::StrContains(why, "Deleted"))) {
    bound_ = false;
    return true;
  }
  if (got) return true;
  return absl::FailedPreconditionError(absl::StrCat(
      "the server refused a pull request to ", next_, ": ", code, " ", why));
}

absl::Status PullConsumer::Collect(int batch, absl::Time deadline,
                                   std::vector<MsgPtr>& out) {
  while (static_cast<int>(out.size()) < batch) {
    const std::int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return absl::OkStatus();
    natsMsg* raw = nullptr;
    const natsStatus s =
        natsSubscription_NextMsg(&raw, subscription_.get(), left);
    if (s == NATS_TIMEOUT) return absl::OkStatus();
    if (s == NATS_SLOW_CONSUMER) {
      dropped_ = true;
      continue;
    }
    if (s == NATS_NO_RESPONDERS) {  // a leader election, or no consumer
      bound_ = false;
      if (!out.empty()) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat("nothing serves ", next_));
    }
    if (s != NATS_OK) return FromNats(s, "reading consumer messages");
    MsgPtr msg(raw);
    if (FromStream(msg.get())) {
      out.push_back(std::move(msg));
      continue;
    }
    absl::StatusOr<bool> ended = Ended(msg.get(), !out.empty());
    if (!ended.ok()) return ended.status();
    if (*ended) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status PullConsumer::Bind() {
  absl::StatusOr<ConsumerInfoPtr> found =
      LookUpOrCreate(connection_, options_, subject_, durable_);
  if (!found.ok()) return found.status();
  bound_ = true;
  // What it holds unacknowledged now went to this consumer before a
  // leader change; the new leader redelivers it only when due.
  if (*found != nullptr) Arm(**found);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MsgPtr>> PullConsumer::Fetch(int batch,
                                                        std::int64_t wait_ms) {
  if (connection_.connected()) {
    if (absl::Status s = NoteReconnect(); !s.ok()) return s;
    if (!bound_) {
      if (absl::Status s = Bind(); !s.ok()) return s;
    }
  }
  if (leftovers_.has_value()) return FetchLeftovers(wait_ms);
  return FetchNow(batch, wait_ms);
}

absl::StatusOr<std::vector<MsgPtr>> PullConsumer::FetchNow(
    int batch, std::int64_t wait_ms) {
  std::vector<MsgPtr> out;
  if (absl::Status s = TakeWaiting(batch, out); !s.ok() || !out.empty()) {
    if (!s.ok()) return s;
    return out;
  }
  if (!connection_.connected()) {
    // Reconnecting: a request now would wait in libnats' buffer and reach
    // the server late, with every other one sent meanwhile.
    absl::SleepFor(absl::Milliseconds(wait_ms));
    return out;
  }
  if (absl::Status s = Request(batch, wait_ms); !s.ok()) return s;
  const absl::Status s =
      Collect(batch, absl::Now() + absl::Milliseconds(wait_ms + kSlackMs), out);
  if (!s.ok()) return s;
  return out;
}

void PullConsumer::Ack(natsMsg* msg) {
  natsConnection_PublishString(connection_.nc(), natsMsg_GetReply(msg), "+ACK");
}

// Without a delay, straight to the end of the server's redelivery queue.
void PullConsumer::Nak(natsMsg* msg, std::int64_t delay_ms) {
  const std::string body =
      delay_ms <= 0
          ? std::string("-NAK")
          : absl::StrCat("-NAK {\"delay\":", delay_ms * 1'000'000, "}");
  natsConnection_PublishString(connection_.nc(), natsMsg_GetReply(msg),
                               body.c_str());
}

}  // namespace ckm::sync
