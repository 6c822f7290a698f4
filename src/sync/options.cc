// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The checks every entry point of ckm_sync runs on its SyncOptions.

#include <string>

#include "absl/status/status.h"
#include "sync/names.h"

namespace ckm {
namespace sync {

absl::Status CheckOptions(const SyncOptions& o) {
  if (o.partitions < 1 || o.partitions > 4096)
    return absl::InvalidArgumentError("partitions: must be 1..4096");
  if (o.nats_url.empty())
    return absl::InvalidArgumentError("nats_url: must not be empty");
  if (o.stream.empty() || o.stream.find_first_of(" .*>") != std::string::npos)
    return absl::InvalidArgumentError(
        "stream: must be a name without spaces, '.', '*' or '>'");
  if (o.subject_prefix.empty() ||
      o.subject_prefix.find_first_of(" *>") != std::string::npos)
    return absl::InvalidArgumentError(
        "subject_prefix: must be a subject without spaces, '*' or '>'");
  if (o.replicas < 1 || o.replicas > 5)
    return absl::InvalidArgumentError("replicas: must be 1..5");
  if (o.timeout_ms <= 0 || o.retry_ms <= 0 || o.poll_ms <= 0 ||
      o.duplicate_window_ms <= 0 || o.ack_wait_ms <= 0)
    return absl::InvalidArgumentError(
        "timeout_ms, retry_ms, poll_ms, duplicate_window_ms, ack_wait_ms: "
        "must be > 0");
  if (o.batch == 0 || o.batch > 10'000)
    return absl::InvalidArgumentError("batch: must be 1..10000");
  return absl::OkStatus();
}

}  // namespace sync
}  // namespace ckm
