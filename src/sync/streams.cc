// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The two streams of a deployment: events, one subject per partition, and
// dead letters. The event stream's description records the partition count
// it was created with, so that an agent or node configured with another
// count is refused instead of routing customers to the wrong partitions.

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sync/names.h"
#include "sync/nats_client.h"

namespace ckm::sync {
namespace {

constexpr char kPartitionsTag[] = "ckm events; partitions=";

// Creates the stream if it does not exist. Two agents creating it at once
// with equal settings both succeed (JetStream's create is idempotent).
// `per_subject`: messages kept per subject (0: no limit).
absl::Status AddStream(Connection& c, const SyncOptions& o,
                       const std::string& name, const std::string& subjects,
                       const std::string& description,
                       std::int64_t per_subject = 0) {
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&raw, c.js(), name.c_str(), c.js_options(), &js_error);
  StreamInfoPtr info(raw);
  if (s == NATS_OK) return absl::OkStatus();
  if (s != NATS_NOT_FOUND && js_error != JSStreamNotFoundErr)
    return FromNats(s, absl::StrCat("reading stream ", name), js_error);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subject_list[] = {subjects.c_str()};
  config.Name = name.c_str();
  config.Description = description.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = o.replicas;
  config.Duplicates = o.duplicate_window_ms * 1'000'000;  // nanoseconds
  if (per_subject > 0) config.MaxMsgsPerSubject = per_subject;
  raw = nullptr;
  s = js_AddStream(&raw, c.js(), &config, c.js_options(), &js_error);
  info.reset(raw);
  if (s != NATS_OK) {
    // Another agent or node may have created it meanwhile: the server then
    // says the subjects overlap rather than that the stream exists.
    raw = nullptr;
    jsErrCode again = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&raw, c.js(), name.c_str(), c.js_options(), &again) ==
        NATS_OK) {
      info.reset(raw);
      return absl::OkStatus();
    }
  }
  return FromNats(s, absl::StrCat("creating stream ", name), js_error);
}

}  // namespace

absl::StatusOr<int> StreamPartitions(Connection& c, const SyncOptions& o) {
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&raw, c.js(), o.stream.c_str(),
                                        c.js_options(), &js_error);
  StreamInfoPtr info(raw);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("reading stream ", o.stream), js_error);
  const char* description = info->Config->Description;
  absl::string_view text = description == nullptr ? "" : description;
  int partitions = 0;
  if (!absl::ConsumePrefix(&text, kPartitionsTag) ||
      !absl::SimpleAtoi(text, &partitions)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stream ", o.stream, " was not created by ckm (its description is \"",
        description == nullptr ? "" : description, "\")"));
  }
  return partitions;
}

absl::Status EnsureStreams(Connection& c, const SyncOptions& o) {
  if (absl::Status s = AddStream(c, o, o.stream, EventSubjects(o),
                                 absl::StrCat(kPartitionsTag, o.partitions));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int> partitions = StreamPartitions(c, o);
  if (!partitions.ok()) return partitions.status();
  if (*partitions != o.partitions) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", o.stream, " was created with ", *partitions,
                     " partitions, and this agent was given ", o.partitions,
                     ": the count is fixed for a deployment (docs/sync.md)"));
  }
  if (absl::Status s =
          AddStream(c, o, DeadStream(o), DeadSubjects(o),
                    "ckm dead letters: messages a node could not record");
      !s.ok()) {
    return s;
  }
  return AddStream(c, o, ForwardsStream(o), ForwardsSubjects(o),
                   "ckm forwards: customers merged across partitions",
                   /*per_subject=*/1);
}

}  // namespace ckm::sync
