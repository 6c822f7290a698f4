// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The shape of a merged group in one store, as a partition node needs it
// to send a group to another partition (docs/sync.md, "Merges across
// partitions"): a customer's parent, and the customers merged below it
// with the merges that link them. Read from the customers' recorded
// changes (Store::Identities), so from the public Store alone.
//
// Thread safety: pure functions of the store's state; a store being
// changed meanwhile may give a mixture (a partition worker reads while it
// alone changes its customers' links).

#ifndef CKM_SRC_SYNC_GROUP_TREE_H_
#define CKM_SRC_SYNC_GROUP_TREE_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/identity.h"
#include "ckm/outbox.h"
#include "ckm/store.h"

namespace ckm::sync {

// One merge inside a group: `child` was merged into `parent`, as the
// child's change record says.
struct GroupLink {
  std::string parent;
  std::string child;
  IdentityChange merged_into;  // kMergedInto: when, who, why
};

// A customer and everyone merged below it, directly or through a chain.
struct Subtree {
  // The customer first, then each parent before its children.
  std::vector<std::string> members;
  // The links between them, each parent's before its children's.
  std::vector<GroupLink> links;
};

// The customer `customer_id` is merged into here, directly; nullopt for a
// root. NotFound for a customer the store does not know.
absl::StatusOr<std::optional<std::string>> ParentOf(
    const Store& store, std::string_view customer_id);

// `customer_id` and each customer above it here, up to its root.
// NotFound for a customer the store does not know.
absl::StatusOr<std::set<std::string>> SelfAndAbove(
    const Store& store, const std::string& customer_id);

// `customer_id` and the customers merged below it here. NotFound for a
// customer the store does not know.
absl::StatusOr<Subtree> SubtreeOf(const Store& store,
                                  std::string_view customer_id);

// The merge that reproduces `link` on another store, sent on behalf of
// the change `cause`: its id derives from the cause's and the child's, so
// that sending it again (a node killed mid-forward) gives the same change,
// which the other store applies once.
OutboxChange LinkChange(const OutboxChange& cause, const GroupLink& link);

// The erasure `cause` (an erasure) makes of `member`, a customer of
// another partition in a group it erased, for that partition's node,
// which the till may not have named: its id derives from the cause's and
// the member's, as LinkChange's.
OutboxChange MemberErasure(const OutboxChange& cause,
                           const std::string& member);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_GROUP_TREE_H_
