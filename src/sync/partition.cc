// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Where an event goes: its partition, its message id, and the partitions a
// node is given on the command line.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ckm/sync.h"
#include "sha256.h"
#include "string_util.h"
#include "sync/names.h"

namespace ckm {

int PartitionOf(std::string_view customer_id, int partitions) {
  // FNV-1a, 64 bits: a few lines in any language, and the same on every
  // machine (std::hash and absl::Hash promise neither).
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : customer_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<int>(hash % static_cast<std::uint64_t>(partitions));
}

std::string EventMessageId(const Event& event) {
  // Length-prefixed parts, so that no two identities give the same text.
  const std::string identity = absl::StrCat(
      event.customer.id.size(), ":", event.customer.id, "|",
      static_cast<int>(event.kind()), "|", event.ts_ms, "|", event.id);
  return Sha256Hex(identity);
}

absl::StatusOr<std::vector<int>> ParsePartitions(std::string_view text,
                                                 int partitions) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(Av(text), ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    int first = 0, last = 0;
    const bool is_range = !range.second.empty() || part.find('-') != part.npos;
    if (!absl::SimpleAtoi(range.first, &first) ||
        (is_range && !absl::SimpleAtoi(range.second, &last))) {
      return absl::InvalidArgumentError(
          absl::StrCat("partitions: \"", part, "\" is not N or N-M"));
    }
    if (!is_range) last = first;
    if (first < 0 || last < first || last >= partitions) {
      return absl::InvalidArgumentError(absl::StrCat(
          "partitions: \"", part, "\" is outside 0-", partitions - 1));
    }
    for (int p = first; p <= last; ++p) out.push_back(p);
  }
  return out;
}

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
