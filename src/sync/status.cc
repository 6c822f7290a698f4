// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Operations: each partition's messages, lag and dead letters, as the
// server counts them.

#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sync/names.h"
#include "sync/nats_client.h"

namespace ckm {
namespace sync {
namespace {

struct StreamInfoFree {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
struct ConsumerInfoFree {
  void operator()(jsConsumerInfo* ci) const { jsConsumerInfo_Destroy(ci); }
};

// Messages per partition of `stream`'s subjects "<prefix>.<kind>.<p>".
absl::StatusOr<std::map<int, std::uint64_t>> MessagesPerPartition(
    Connection& c, const std::string& stream, const std::string& subjects) {
  jsOptions options = *c.js_options();
  options.Stream.Info.SubjectsFilter = subjects.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetStreamInfo(&raw, c.js(), stream.c_str(), &options, &js_error);
  std::unique_ptr<jsStreamInfo, StreamInfoFree> info(raw);
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

// Fills in the lag of a partition a consumer serves; leaves it if none does.
absl::Status ConsumerLag(Connection& c, const SyncOptions& o,
                         PartitionStatus& status) {
  const std::string name = ConsumerName(o, status.partition);
  jsConsumerInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetConsumerInfo(
      &raw, c.js(), o.stream.c_str(), name.c_str(), c.js_options(), &js_error);
  std::unique_ptr<jsConsumerInfo, ConsumerInfoFree> info(raw);
  const absl::Status error =
      FromNats(s, absl::StrCat("reading consumer ", name), js_error);
  if (absl::IsNotFound(error)) return absl::OkStatus();
  if (!error.ok()) return error;
  status.has_consumer = true;
  status.lag =
      info->NumPending + static_cast<std::uint64_t>(info->NumAckPending);
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
    if (absl::Status s = sync::ConsumerLag(connection, options, one); !s.ok())
      return s;
    status.per_partition.push_back(one);
  }
  return status;
}

}  // namespace ckm
