// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The names a deployment uses on the server: subjects, streams, consumers
// (SyncOptions documents them). Pure; thread-safe.

#ifndef CKM_SRC_SYNC_NAMES_H_
#define CKM_SRC_SYNC_NAMES_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ckm/outbox.h"
#include "ckm/sync.h"

namespace ckm::sync {

inline std::string EventSubject(const SyncOptions& o, int partition) {
  return absl::StrCat(o.subject_prefix, ".events.", partition);
}
inline std::string EventSubjects(const SyncOptions& o) {
  return absl::StrCat(o.subject_prefix, ".events.*");
}
inline std::string DeadSubject(const SyncOptions& o, int partition) {
  return absl::StrCat(o.subject_prefix, ".dead.", partition);
}
inline std::string DeadSubjects(const SyncOptions& o) {
  return absl::StrCat(o.subject_prefix, ".dead.*");
}
inline std::string DeadStream(const SyncOptions& o) {
  return absl::StrCat(o.stream, "_DEAD");
}
// The stream of forwards (sync/forwards.h), and its subjects:
// "<prefix>.forwards.<part>" and below it.
inline std::string ForwardsStream(const SyncOptions& o) {
  return absl::StrCat(o.stream, "_FORWARDS");
}
inline std::string ForwardsSubjects(const SyncOptions& o,
                                    absl::string_view part = ">") {
  return absl::StrCat(o.subject_prefix, ".forwards.", part);
}
// Head office's consumer of a partition, or a follower's own.
inline std::string ConsumerName(const SyncOptions& o, int partition,
                                const std::string& follower = "") {
  if (follower.empty()) return absl::StrCat(o.subject_prefix, "-p", partition);
  return absl::StrCat(o.subject_prefix, "-", follower, "-p", partition);
}

// Headers of a dead letter.
inline constexpr char kReasonHeader[] = "Ckm-Reason";
inline constexpr char kSubjectHeader[] = "Ckm-Subject";
inline constexpr char kMsgIdHeader[] = "Nats-Msg-Id";
// An event or change forwarded to the partition of the group its customer
// was merged into; the value is its path: the partitions whose nodes
// forwarded it, in order, comma-separated ("1,0").
inline constexpr char kForwardedHeader[] = "Ckm-Forwarded-From";

// The partition that applies a merge, unmerge or unlink: its root's, or
// its customer's when it has none (partition.cc).
int TargetPartition(const OutboxChange& change, int partitions);
// The partitions a change is published to: for a merge or unmerge the
// target's and the absorbed customer's (whose node starts or stops
// forwarding its events), for an unlink the target's and its customer's
// (both hold the identity), for an erasure each erased customer's, so
// that every node holding one of them erases it. Sorted, each once.
std::vector<int> ChangePartitions(const OutboxChange& change, int partitions);
// The message id of a change on one of its partitions: the change's id in
// hex, then the partition (JetStream drops duplicates stream-wide, and an
// erasure is one message per partition).
std::string ChangeMessageId(const OutboxChange& change, int partition);

// InvalidArgument naming the field when options cannot work.
absl::Status CheckOptions(const SyncOptions& options);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_NAMES_H_
