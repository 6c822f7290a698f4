// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Where an event goes: its partition, its message id, and the partitions a
// node is given on the command line.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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

namespace sync {

int TargetPartition(const OutboxChange& change, int partitions) {
  return PartitionOf(change.root.empty() ? change.customer : change.root,
                     partitions);
}

std::vector<int> ChangePartitions(const OutboxChange& change, int partitions) {
  std::vector<int> out;
  if (change.kind == OutboxChange::Kind::kErase) {
    for (const std::string& id : change.erased)
      out.push_back(PartitionOf(id, partitions));
  } else {
    out.push_back(TargetPartition(change, partitions));
    out.push_back(PartitionOf(change.kind == OutboxChange::Kind::kUnlink
                                  ? change.customer
                                  : change.other,
                              partitions));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string ChangeMessageId(const OutboxChange& change, int partition) {
  return absl::StrCat("change-", absl::BytesToHexString(change.id), "-",
                      partition);
}

}  // namespace sync

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

}  // namespace ckm
