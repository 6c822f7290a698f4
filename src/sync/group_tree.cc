// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/group_tree.h"

#include <algorithm>
#include <array>
#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "codec/change_codec.h"
#include "sha256.h"

namespace ckm::sync {
namespace {

using Kind = IdentityChange::Kind;

// The last merge of the customer into another that no split undid.
std::optional<IdentityChange> LastMergeInto(const CustomerIdentities& who) {
  std::optional<IdentityChange> into;
  for (const IdentityChange& c : who.changes) {
    if (c.kind == Kind::kMergedInto) into = c;
    if (c.kind == Kind::kSplitFrom) into.reset();
  }
  return into;
}

// The customers its changes say were merged into it and not split off.
std::vector<std::string> ChildrenOf(const CustomerIdentities& who) {
  std::vector<std::string> children;
  for (const IdentityChange& c : who.changes) {
    auto it = std::find(children.begin(), children.end(), c.other);
    if (c.kind == Kind::kMerged && it == children.end())
      children.push_back(c.other);
    if (c.kind == Kind::kUnmerged && it != children.end()) children.erase(it);
  }
  std::sort(children.begin(), children.end());  // the same order everywhere
  return children;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ParentOf(
    const Store& store, std::string_view customer_id) {
  absl::StatusOr<CustomerIdentities> who = store.Identities(customer_id);
  if (!who.ok()) return who.status();
  if (who->survivor == customer_id) return std::nullopt;
  const std::optional<IdentityChange> into = LastMergeInto(*who);
  if (!into) return std::nullopt;
  return into->other;
}

// A chain of merges ends at its root: the `seen` check only guards
// against stored links that contradict each other.
absl::StatusOr<std::set<std::string>> SelfAndAbove(
    const Store& store, const std::string& customer_id) {
  std::set<std::string> chain = {customer_id};
  std::string at = customer_id;
  while (true) {
    absl::StatusOr<std::optional<std::string>> parent = ParentOf(store, at);
    if (!parent.ok()) return parent.status();
    if (!*parent || !chain.insert(**parent).second) return chain;
    at = **parent;
  }
}

absl::StatusOr<Subtree> SubtreeOf(const Store& store,
                                  std::string_view customer_id) {
  Subtree tree;
  std::set<std::string> seen = {std::string(customer_id)};
  std::deque<std::string> todo = {std::string(customer_id)};
  while (!todo.empty()) {
    const std::string parent = todo.front();
    todo.pop_front();
    tree.members.push_back(parent);
    absl::StatusOr<CustomerIdentities> who = store.Identities(parent);
    if (!who.ok()) return who.status();
    for (const std::string& child : ChildrenOf(*who)) {
      absl::StatusOr<CustomerIdentities> its = store.Identities(child);
      if (!its.ok()) return its.status();
      // Its own record says where it is now: a log that was cut short
      // (an erasure of part of a chain) must not invent a link.
      const std::optional<IdentityChange> into = LastMergeInto(*its);
      if (!into || into->other != parent || !seen.insert(child).second)
        continue;
      tree.links.push_back({parent, child, *into});
      todo.push_back(child);
    }
  }
  return tree;
}

namespace {

std::string DerivedId(const OutboxChange& cause, const char* what,
                      const std::string& member) {
  const std::array<std::uint8_t, 32> digest =
      Sha256(absl::StrCat(cause.id, "|", what, "|", member));
  return std::string(reinterpret_cast<const char*>(digest.data()),
                     codec::kChangeIdBytes);
}

}  // namespace

OutboxChange LinkChange(const OutboxChange& cause, const GroupLink& link) {
  OutboxChange change;
  change.kind = OutboxChange::Kind::kMerge;
  change.id = DerivedId(cause, "link", link.child);
  change.ts_ms = link.merged_into.ts_ms;
  change.actor = link.merged_into.actor;
  change.reason = link.merged_into.reason;
  change.customer = link.parent;
  change.other = link.child;
  return change;
}

OutboxChange MemberErasure(const OutboxChange& cause,
                           const std::string& member) {
  OutboxChange change;
  change.kind = OutboxChange::Kind::kErase;
  change.id = DerivedId(cause, "erase", member);
  change.ts_ms = cause.ts_ms;
  change.reason = cause.reason;
  change.customer = member;
  change.erased = {member};
  return change;
}

}  // namespace ckm::sync
