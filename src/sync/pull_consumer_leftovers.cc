// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// PullConsumer's leftovers' rules: what a consumer holds unacknowledged
// when it is armed comes back before anything newer (pull_consumer.h says
// why).

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "sync/pull_consumer.h"

namespace ckm::sync {
namespace {

// How long past the consumer's ack wait the rules wait for leftovers at
// most. Every one is due by then; a consumer's new leader puts them in
// its redelivery queue up to 1.5 s after it took over (nats-server 2.9,
// applyState).
constexpr absl::Duration kLeftoverSlack = absl::Seconds(2);

}  // namespace

// `below` is the consumer's delivered sequence, an upper bound of the
// leftovers': on a shared stream it may be past this subject's last.
void PullConsumer::Arm(const jsConsumerInfo& info) {
  if (info.NumAckPending <= 0 && !leftovers_.has_value()) return;
  if (!leftovers_.has_value()) leftovers_.emplace();
  Leftovers& left = *leftovers_;
  const std::int64_t ack_wait_ns =
      info.Config != nullptr ? info.Config->AckWait : 0;
  left.ack_wait = absl::Nanoseconds(ack_wait_ns);
  const absl::Duration wait =
      std::max(left.ack_wait, absl::Milliseconds(options_.retry_ms));
  left.until = std::max(left.until, absl::Now() + wait + kLeftoverSlack);
  left.below = std::max(left.below, info.Delivered.Stream);
  const auto here = static_cast<std::int64_t>(left.kept.size());
  left.count = left.back + std::max<std::int64_t>(0, info.NumAckPending - here);
}

// Messages on their way while libnats was cut off, or that it dropped as a
// slow consumer, are lost: they come back only when due. A consumer the
// server lost is made again by Bind.
absl::Status PullConsumer::NoteReconnect() {
  const std::uint64_t reconnects = connection_.reconnects();
  if (reconnects == reconnects_ && !dropped_) return absl::OkStatus();
  absl::StatusOr<ConsumerInfoPtr> info =
      ReadConsumerInfo(connection_, options_.stream, durable_);
  if (absl::IsNotFound(info.status())) {
    bound_ = false;
  } else if (!info.ok()) {
    return info.status();  // looked at again by the next Fetch
  } else {
    Arm(**info);
  }
  reconnects_ = reconnects;
  dropped_ = false;
  return absl::OkStatus();
}

// One message per request: the server sends its redelivery queue first,
// so leftovers that are due come one after another at once, while newer
// messages, which only wait here, come one per poll. Everything is kept,
// so the order they come in does not matter.
absl::StatusOr<std::vector<MsgPtr>> PullConsumer::FetchLeftovers(
    std::int64_t wait_ms) {
  const absl::Time poll_end = absl::Now() + absl::Milliseconds(wait_ms);
  absl::StatusOr<std::vector<MsgPtr>> got = FetchNow(1, wait_ms);
  if (!got.ok()) return got.status();
  Leftovers& left = *leftovers_;
  bool newer = false;
  for (MsgPtr& msg : *got) {
    const StreamPlace place = PlaceOf(msg.get());
    if (place.sequence == 0) {
      left.unplaced.push_back(std::move(msg));
      continue;
    }
    const bool leftover = place.sequence <= left.below;
    newer = newer || !leftover;
    if (leftover && place.delivered > 1 && left.kept.count(place.sequence) == 0)
      ++left.back;
    // A later delivery replaces an earlier one.
    left.kept[place.sequence] = Kept{std::move(msg), absl::Now()};
  }
  KeepKept();
  if (got->empty() || newer) {
    if (AllBack()) return Release();
    // A poll, not a spin: a request can end at once with nothing ("408
    // Requests Pending" while an earlier one is not yet struck off).
    absl::SleepFor(got->empty() ? poll_end - absl::Now()
                                : absl::Milliseconds(wait_ms));
  }
  return std::vector<MsgPtr>{};
}

// Cut off, nothing can come back: the wait goes on until the connection
// is mended, which arms the rules again. The server's count may still
// hold acknowledgements on their way: it can only make this wait longer.
bool PullConsumer::AllBack() {
  const Leftovers& left = *leftovers_;
  if (left.back >= left.count) return true;
  if (!connection_.connected() || connection_.reconnects() != reconnects_)
    return false;
  if (absl::Now() >= left.until) return true;
  absl::StatusOr<ConsumerInfoPtr> info =
      ReadConsumerInfo(connection_, options_.stream, durable_);
  return info.ok() &&
         (*info)->NumAckPending <= static_cast<std::int64_t>(left.kept.size());
}

// A message kept longer than the ack wait would be delivered again, and
// might come after newer ones once released: "+WPI" (work in progress)
// restarts its ack wait.
void PullConsumer::KeepKept() {
  Leftovers& left = *leftovers_;
  const absl::Time now = absl::Now();
  for (auto& [sequence, kept] : left.kept) {
    if (now - kept.since < left.ack_wait / 2) continue;
    natsConnection_PublishString(connection_.nc(),
                                 natsMsg_GetReply(kept.msg.get()), "+WPI");
    kept.since = now;
  }
}

std::vector<MsgPtr> PullConsumer::Release() {
  Leftovers& left = *leftovers_;
  std::vector<MsgPtr> out;
  out.reserve(left.kept.size() + left.unplaced.size());
  for (auto& [sequence, kept] : left.kept) out.push_back(std::move(kept.msg));
  for (MsgPtr& msg : left.unplaced) out.push_back(std::move(msg));
  leftovers_.reset();
  return out;
}

}  // namespace ckm::sync
