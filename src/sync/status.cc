// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Operations: each partition's messages, lag (head office's and each
// follower's) and dead letters, as the server counts them.

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sync/names.h"
#include "sync/nats_client.h"

namespace ckm {
namespace sync {
namespace {

// Messages per partition of `stream`'s subjects "<prefix>.<kind>.<p>".
absl::StatusOr<std::map<int, std::uint64_t>> MessagesPerPartition(
    Connection& c, const std::string& stream, const std::string& subjects) {
  jsOptions options = *c.js_options();
  options.Stream.Info.SubjectsFilter = subjects.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetStreamInfo(&raw, c.js(), stream.c_str(), &options, &js_error);
  StreamInfoPtr info(raw);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("reading stream ", stream), js_error);
  std::map<int, std::uint64_t> out;
  const jsStreamStateSubjects* list = info->State.Subjects;
  for (int i = 0; list != nullptr && i < list->Count; ++i) {
    absl::string_view subject = list->List[i].Subject;
    const std::size_t dot = subject.rfind('.');
    int p = 0;
    if (dot != subject.npos && absl::SimpleAtoi(subject.substr(dot + 1), &p))
      out[p] += list->List[i].Msgs;
  }
  return out;
}

// Messages a consumer has not acknowledged: pending, and delivered but
// unacknowledged.
std::uint64_t Lag(const jsConsumerInfo& info) {
  return info.NumPending + static_cast<std::uint64_t>(info.NumAckPending);
}

// A consumer of ConsumerName's: its partition, below `partitions`, and its
// follower's name (empty for head office's). Nullopt for other names.
struct OurConsumer {
  int partition;
  std::string follower;
};
std::optional<OurConsumer> Parse(absl::string_view name,
                                 const std::string& prefix, int partitions) {
  if (!absl::ConsumePrefix(&name, prefix)) return std::nullopt;
  const std::size_t at = name.rfind('p');
  int p = -1;
  if (at == name.npos || !absl::SimpleAtoi(name.substr(at + 1), &p) || p < 0 ||
      p >= partitions || name.substr(at + 1) != absl::StrCat(p))
    return std::nullopt;
  absl::string_view follower = name.substr(0, at);
  if (follower.empty()) return OurConsumer{p, ""};
  if (!absl::ConsumeSuffix(&follower, "-") || follower.empty())
    return std::nullopt;
  return OurConsumer{p, std::string(follower)};
}

// Fills in the lag of head office's consumer of each partition, and of
// every follower's. Names first, then each one's info: libnats 3.4's
// js_Consumers frees the pages it read with the wrong destructor when a
// later page fails, and the server pages lists at 256.
absl::Status ConsumerLags(Connection& c, const SyncOptions& o,
                          std::vector<PartitionStatus>& partitions) {
  jsConsumerNamesList* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s = js_ConsumerNames(&raw, c.js(), o.stream.c_str(),
                                  c.js_options(), &js_error);
  NatsPtr<jsConsumerNamesList, jsConsumerNamesList_Destroy> names(raw);
  absl::Status error = FromNats(
      s, absl::StrCat("listing the consumers of ", o.stream), js_error);
  if (absl::IsNotFound(error)) return absl::OkStatus();  // none yet
  if (!error.ok()) return error;
  const std::string prefix = absl::StrCat(o.subject_prefix, "-");
  for (int i = 0; i < names->Count; ++i) {
    std::optional<OurConsumer> ours =
        Parse(names->List[i], prefix, static_cast<int>(partitions.size()));
    if (!ours) continue;
    absl::StatusOr<ConsumerInfoPtr> info =
        ReadConsumerInfo(c, o.stream, names->List[i]);
    if (absl::IsNotFound(info.status())) continue;  // deleted meanwhile
    if (!info.ok()) return info.status();
    PartitionStatus& status = partitions[ours->partition];
    if (ours->follower.empty()) {
      status.has_consumer = true;
      status.lag = Lag(**info);
    } else {
      status.followers.push_back({ours->follower, Lag(**info)});
    }
  }
  for (PartitionStatus& status : partitions) {
    std::sort(status.followers.begin(), status.followers.end(),
              [](const FollowerLag& a, const FollowerLag& b) {
                return a.follower < b.follower;
              });
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace sync

absl::StatusOr<SyncStatus> ReadSyncStatus(const SyncOptions& options) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sync::Connection>> c =
      sync::Connection::Open(options);
  if (!c.ok()) return c.status();
  sync::Connection& connection = **c;
  SyncStatus status;
  absl::StatusOr<int> partitions = sync::StreamPartitions(connection, options);
  if (!partitions.ok()) return partitions.status();
  status.partitions = *partitions;
  absl::StatusOr<std::map<int, std::uint64_t>> messages =
      sync::MessagesPerPartition(connection, options.stream,
                                 sync::EventSubjects(options));
  if (!messages.ok()) return messages.status();
  absl::StatusOr<std::map<int, std::uint64_t>> dead =
      sync::MessagesPerPartition(connection, sync::DeadStream(options),
                                 sync::DeadSubjects(options));
  if (!dead.ok() && !absl::IsNotFound(dead.status())) return dead.status();
  for (int p = 0; p < status.partitions; ++p) {
    PartitionStatus one;
    one.partition = p;
    one.messages = (*messages)[p];
    one.lag = one.messages;
    if (dead.ok()) one.dead_letters = (*dead)[p];
    status.per_partition.push_back(one);
  }
  if (absl::Status s =
          sync::ConsumerLags(connection, options, status.per_partition);
      !s.ok())
    return s;
  return status;
}

}  // namespace ckm
