// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// How a partition worker applies changes, and how merged groups cross
// partitions (docs/sync.md, "Merges across partitions").
//
// A merge of X into S is handled first on X's partition, the only one
// that holds everything of X's (its till publishes X's events there). If
// S is of another partition, X's node forwards X's group there: each
// member's history, the merges that link them, then the merge, and from
// then on every event of a member. S's node makes the merge, and if S's
// own group is forwarded on from there (S was merged into a group of a
// third partition), sends X's group on the same way. So a node forwards a
// customer to partition T when the customer's root here is forwarded to
// T, which Forwards holds customer by customer. An unmerge takes the same
// road: each node on it splits the customer off if it holds the link,
// stops forwarding the customer's group, and sends the unmerge on.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "engine/machinery_reads.h"
#include "sync/group_tree.h"
#include "sync/names.h"
#include "sync/partition_worker.h"

namespace ckm::sync {
namespace {

// Events of a group's history read at once when it travels.
constexpr std::size_t kTravelPage = 1000;

bool IsPair(const OutboxChange& change) {
  return change.kind == OutboxChange::Kind::kMerge ||
         change.kind == OutboxChange::Kind::kUnmerge;
}

}  // namespace

bool PartitionWorker::Serves(int partition) const {
  return std::find(served_.begin(), served_.end(), partition) != served_.end();
}

bool PartitionWorker::ForAnother(const OutboxChange& change,
                                 natsMsg* msg) const {
  return IsPair(change) && !IsForwarded(msg) &&
         PartitionOf(change.other, options_.partitions) != partition_;
}

absl::StatusOr<bool> PartitionWorker::Apply(const OutboxChange& change,
                                            natsMsg* msg) {
  switch (change.kind) {
    case OutboxChange::Kind::kMerge:
    case OutboxChange::Kind::kUnmerge:
      return HandlePair(change, msg);
    case OutboxChange::Kind::kUnlink:
      return Unlink(change, msg);
    case OutboxChange::Kind::kErase:
      return Erase(change, msg);
  }
  return absl::InvalidArgumentError("kind: unknown");
}

// The store erases each erased customer's whole group here, which may hold
// more than the till's (a member merged at another till): none of them is
// forwarded any more, and each member of another partition that the till
// did not name is erased at its own partition's node too, as one store
// holding everything would erase it; so is the group each member was
// forwarded into (a till that never heard of that merge erased one of
// its members). Everything is sent before the store erases: only then can
// the group be read, and a node killed midway finds it again (the
// erasures sent have ids derived from the change's: sent again, they are
// dropped, or erase what is gone already). An id erased here already, as
// late as the change or later, is a customer recorded anew since, which
// the store leaves (ApplyChange): so does this.
absl::StatusOr<bool> PartitionWorker::Erase(const OutboxChange& change,
                                            natsMsg* msg) {
  Erased gone;
  for (const std::string& id : change.erased) {
    gone.root.emplace(id, id);
    absl::StatusOr<std::optional<std::int64_t>> before = store_.ErasedUpTo(id);
    if (!before.ok()) return before.status();
    if (*before && **before >= change.ts_ms) continue;
    absl::StatusOr<CustomerIdentities> who = store_.Identities(id);
    if (absl::IsNotFound(who.status())) continue;
    if (!who.ok()) return who.status();
    gone.root[who->survivor] = who->survivor;
    gone.known.insert(who->survivor);
    for (const std::string& alias : who->aliases) {
      gone.root[alias] = who->survivor;
      gone.known.insert(alias);
    }
  }
  if (forwards_ != nullptr) {
    if (absl::Status s = SendErasures(change, gone, msg); !s.ok()) return s;
    for (const std::string& id : gone.known) {
      if (absl::Status s = forwards_->Forget(id); !s.ok()) return s;
    }
  }
  return store_.ApplyChange(change);
}

// One erasure for each member's own partition that the till did not name,
// and one for each group and partition it is forwarded to (the members
// share their root's targets). A forwarded group's partition gets its
// erasure from here even when the till's own erasure went there naming a
// member: that one may be applied before the forward has brought the whole
// group, and this one comes after everything forwarded from here. At a
// member's own node, one to every other partition: any of them may keep a
// copy of it from a group it was in and left (split off there, the copy
// is no one's), and everything that reaches them of it later goes through
// this node, after this.
absl::Status PartitionWorker::SendErasures(const OutboxChange& change,
                                           const Erased& gone, natsMsg* msg) {
  const auto named = [&](const std::string& id) {
    return std::binary_search(change.erased.begin(), change.erased.end(), id);
  };
  std::set<std::pair<std::string, int>> sent;  // root and target
  for (const auto& [id, root] : gone.root) {
    std::set<int> to;
    const int own = PartitionOf(id, options_.partitions);
    if (own != partition_ && !named(id)) to.insert(own);
    if (own == partition_ && gone.known.count(id) > 0) {
      for (int p = 0; p < options_.partitions; ++p)
        if (p != partition_) to.insert(p);
    }
    for (int target : forwards_->TargetsOf(id))
      if (sent.insert({root, target}).second) to.insert(target);
    for (int target : to) {
      if (target == partition_ || OnPath(msg, target)) continue;
      if (absl::Status s =
              ForwardChange(MemberErasure(change, id), target, msg);
          !s.ok())
        return s;
    }
  }
  return absl::OkStatus();
}

// Every node the customer's events reach holds the identity: the unlink
// follows them. A copy applied before is applied once (its mark).
absl::StatusOr<bool> PartitionWorker::Unlink(const OutboxChange& change,
                                             natsMsg* msg) {
  absl::StatusOr<bool> applied = store_.ApplyChange(change);
  if (!applied.ok() || forwards_ == nullptr) return applied;
  for (int target : forwards_->TargetsOf(change.customer)) {
    if (OnPath(msg, target)) continue;
    if (absl::Status s = ForwardChange(change, target, msg); !s.ok()) return s;
  }
  return applied;
}

// Handled once per partition: a merge redelivered after its unmerge must
// not start forwarding again. One begun and not handled (a node killed
// midway) is carried on. A follower forwards nothing; it applies what
// head office's nodes forward to its partitions.
absl::StatusOr<bool> PartitionWorker::HandlePair(const OutboxChange& change,
                                                 natsMsg* msg) {
  Forwards::Progress progress = Forwards::Progress::kNone;
  if (forwards_ != nullptr) {
    absl::StatusOr<Forwards::Progress> was = forwards_->ProgressOf(change.id);
    if (!was.ok()) return was.status();
    if (*was == Forwards::Progress::kDone) return false;
    progress = *was;
    absl::StatusOr<bool> overtaken = Overtaken(change, msg);
    if (!overtaken.ok()) return overtaken.status();
    if (*overtaken) {
      if (absl::Status s = forwards_->Handled(change.id); !s.ok()) return s;
      return false;
    }
  }
  const bool source =
      !IsForwarded(msg) &&
      PartitionOf(change.customer, options_.partitions) != partition_;
  absl::StatusOr<bool> done;
  if (change.kind == OutboxChange::Kind::kUnmerge) {
    done = UnmergeHere(change, msg, progress == Forwards::Progress::kBegun);
  } else if (source) {
    done = MergeAtSource(change);
  } else {
    done = MergeHere(change, msg);
  }
  if (!done.ok() || forwards_ == nullptr) return done;
  if (absl::Status s = forwards_->Handled(change.id); !s.ok()) return s;
  return done;
}

// A merge handled after an unmerge of its customer that came later in the
// stream would hold for good. The consumer brings what a node left
// unacknowledged back first (pull_consumer.h), so this guards only what
// comes back later than it waited for: each unmerge notes its place in
// the event stream (one stream for every partition, so places compare),
// and a merge of the same customer from an earlier place is not made.
absl::StatusOr<bool> PartitionWorker::Overtaken(const OutboxChange& change,
                                                natsMsg* msg) {
  const std::uint64_t sequence = PlaceOf(msg).sequence;
  if (sequence == 0) return false;
  absl::StatusOr<std::uint64_t> last = forwards_->LastUnmerge(change.other);
  if (!last.ok()) return last.status();
  if (change.kind == OutboxChange::Kind::kMerge) return sequence < *last;
  if (sequence > *last) {
    if (absl::Status s = forwards_->Unmerged(change.other, sequence); !s.ok())
      return s;
  }
  return false;
}

// X stays unmerged in its own partition's store (unless that store also
// serves S's partition and made the merge there: then X's parent here is
// S). A customer merged into another here, or forwarded to another
// partition's group, is not merged elsewhere: the store would refuse it
// too ("already merged into").
absl::StatusOr<bool> PartitionWorker::MergeAtSource(
    const OutboxChange& change) {
  if (forwards_ == nullptr) return false;
  const std::string& x = change.other;
  const int home = PartitionOf(change.customer, options_.partitions);
  absl::StatusOr<std::optional<std::string>> parent = ParentOf(store_, x);
  if (!parent.ok()) return parent.status();  // NotFound: its events first
  if (*parent && **parent != change.customer) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer \"", x, "\" is merged into \"", **parent,
        "\" at its partition's node; unmerge it first (docs/sync.md)"));
  }
  for (int target : forwards_->TargetsOf(x)) {
    if (target == home) continue;
    return absl::FailedPreconditionError(
        absl::StrCat("customer \"", x, "\" is merged into a group of ",
                     "partition ", target, " already; unmerge it first"));
  }
  if (absl::Status s = Travel(change, x, home, nullptr, {x}); !s.ok()) return s;
  return true;
}

// The merge may already hold here: a node serving several partitions made
// it for one of them, or sent it again after a restart. A customer of
// this partition forwarded into another partition's group is merged
// already, though a root in this store: a till that had not heard of it
// merges it here in vain, as a store would refuse it.
absl::StatusOr<bool> PartitionWorker::MergeHere(const OutboxChange& change,
                                                natsMsg* msg) {
  absl::StatusOr<std::optional<std::string>> parent =
      ParentOf(store_, change.other);
  if (!parent.ok() && !absl::IsNotFound(parent.status()))
    return parent.status();
  const std::set<int> elsewhere = forwards_ == nullptr
                                      ? std::set<int>()
                                      : forwards_->TargetsOf(change.other);
  if (parent.ok() && !*parent && !elsewhere.empty() && !IsForwarded(msg)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer \"", change.other, "\" is merged into a group of partition ",
        *elsewhere.begin(), " already; unmerge it first"));
  }
  absl::StatusOr<bool> applied = false;
  if (!parent.ok() || *parent != change.customer)
    applied = store_.ApplyChange(change);
  if (!applied.ok() || forwards_ == nullptr) return applied;
  // The absorbed group goes where the survivor goes, for its reasons.
  for (int target : forwards_->TargetsOf(change.customer)) {
    if (OnPath(msg, target)) continue;
    if (absl::Status s = Travel(change, change.other, target, msg,
                                forwards_->ViasOf(change.customer, target));
        !s.ok())
      return s;
  }
  return applied;
}

// The till names any customer above X in the chain; here the link is to
// X's parent, which may be all this store knows of that chain. X's group
// stops going where X went (with its root here, or at X's own node as
// X), and nowhere else: a member may go on to a group it was merged into
// before it joined X's. Each step can be repeated, so that a node killed
// midway carries on when the change comes back: Begin marks it, as a
// repeat may find X a root forwarded nowhere; the link goes (a repeat
// finds none); the unmerge goes on where X went (with the same message
// ids); the forwards stop, X's last, as they are what the steps before
// read; then the links copied here (Dissolve, which finds none the second
// time, needs the forwards no more).
absl::StatusOr<bool> PartitionWorker::UnmergeHere(const OutboxChange& change,
                                                  natsMsg* msg, bool again) {
  const std::string& x = change.other;
  absl::StatusOr<std::optional<std::string>> parent = ParentOf(store_, x);
  if (!parent.ok()) return parent.status();  // NotFound: its events first
  const std::set<int> targets =
      forwards_ == nullptr ? std::set<int>() : forwards_->TargetsOf(x);
  // The groups X leaves: its own and those above it, whose forwards its
  // group stops going with. A repeat may find the link undone already.
  absl::StatusOr<Forwards::Vias> leaving = SelfAndAbove(store_, x);
  if (!leaving.ok()) return leaving.status();
  if (forwards_ != nullptr && !again) {
    if (!*parent && targets.empty() && !IsForwarded(msg)) {
      return absl::FailedPreconditionError(
          absl::StrCat("customer \"", x, "\" is merged into no one at its ",
                       "partition's node: head office never made that merge"));
    }
    if (absl::Status s = forwards_->Begin(change.id, *leaving); !s.ok())
      return s;
  } else if (forwards_ != nullptr) {
    absl::StatusOr<Forwards::Vias> noted = forwards_->NotedWith(change.id);
    if (!noted.ok()) return noted.status();
    leaving->insert(noted->begin(), noted->end());
  }
  bool done = !targets.empty();
  if (*parent) {
    OutboxChange here = change;
    here.customer = **parent;
    absl::StatusOr<bool> applied = store_.ApplyChange(here);
    if (!applied.ok()) return applied;
    done = done || *applied;
  }
  for (int target : targets) {
    if (OnPath(msg, target)) continue;
    if (absl::Status s = ForwardChange(change, target, msg); !s.ok()) return s;
  }
  if (absl::Status s = StopGroup(x, targets, *leaving); !s.ok()) return s;
  if (absl::Status s = Dissolve(x); !s.ok()) return s;
  return done;
}

// X's forwards stop last: they are what a repeat of the steps before
// reads.
absl::Status PartitionWorker::StopGroup(const std::string& x,
                                        const std::set<int>& targets,
                                        const Forwards::Vias& leaving) {
  if (targets.empty()) return absl::OkStatus();
  absl::StatusOr<Subtree> group = SubtreeOf(store_, x);
  if (!group.ok()) return group.status();
  for (auto it = group->members.rbegin(); it != group->members.rend(); ++it) {
    for (int target : targets)
      if (absl::Status s = forwards_->Stop(*it, target, leaving); !s.ok())
        return s;
  }
  return absl::OkStatus();
}

// Start before the history: events recorded from here on are forwarded
// as they come. Each member's events are sent as its till sent them; the
// links are merges with ids derived from the change's, and the change
// comes last, so that the target makes it after everything it needs. A
// node killed midway sends it all again, with the same message ids.
absl::Status PartitionWorker::Travel(const OutboxChange& change,
                                     const std::string& customer, int target,
                                     natsMsg* msg, const Forwards::Vias& vias) {
  absl::StatusOr<Subtree> group = SubtreeOf(store_, customer);
  if (!group.ok()) return group.status();
  for (const std::string& member : group->members) {
    if (absl::Status s = forwards_->Start(member, target, vias); !s.ok())
      return s;
  }
  const std::set<std::string> members(group->members.begin(),
                                      group->members.end());
  // A page at a time: a group's history may be large. Events recorded
  // meanwhile are forwarded as they come (Start above).
  HistoryQuery page_query;
  page_query.limit = kTravelPage;
  do {
    // Whole, whatever the store's access policy: the other partition's
    // node records these events, not a person reading them.
    absl::StatusOr<HistoryPage> page =
        engine::ListHistoryForMachinery(store_, customer, page_query);
    if (!page.ok()) return page.status();
    for (const Event& e : page->events) {
      if (members.count(e.customer.id) == 0) continue;  // above `customer`
      if (absl::Status s =
              Forward(e, EncodeEvent(e, e.customer.id), target, msg);
          !s.ok())
        return s;
    }
    page_query.cursor = page->next_cursor;
  } while (!page_query.cursor.empty());
  for (const GroupLink& link : group->links) {
    if (absl::Status s = ForwardChange(LinkChange(change, link), target, msg);
        !s.ok())
      return s;
  }
  return ForwardChange(change, target, msg);
}

// Once `customer` (of another partition's node) is split off here, the
// partition that forwarded its group here stops, and the links it had
// copied here would go stale: a later merge would bring them back with
// it. Undone, they leave singletons, which a merge links again as they
// then are. Links to a parent of a partition this node serves are its
// own, kept up to date, and stay.
absl::Status PartitionWorker::Dissolve(const std::string& customer) {
  if (Serves(PartitionOf(customer, options_.partitions)))
    return absl::OkStatus();
  absl::StatusOr<Subtree> group = SubtreeOf(store_, customer);
  if (!group.ok()) return group.status();
  std::set<std::string> copied = {customer};
  IdentityChangeOptions why;
  why.actor = "ckm-sync";
  why.reason = "a copy of another partition's group, which left it";
  why.outbox = false;
  for (const GroupLink& link : group->links) {
    if (copied.count(link.parent) == 0 ||
        Serves(PartitionOf(link.parent, options_.partitions)))
      continue;
    if (absl::Status s = store_.Unmerge(link.parent, link.child, why); !s.ok())
      return s;
    copied.insert(link.child);
  }
  return absl::OkStatus();
}

}  // namespace ckm::sync
