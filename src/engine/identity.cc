// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Merge, Unmerge, Unlink and Identities (docs/identity.md).
//
// Each customer keeps its own number, and its events' history stays under
// it. A merge links the absorbed customer's number to the survivor's
// (storage/directory.h); the chain of links from any customer ends at its
// root, whose profile and breakdowns hold the events of everyone merged
// into it. So a merge moves only a profile and a breakdowns value, and an
// unmerge refolds both sides from their own histories, exactly.

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "codec/operand.h"
#include "engine/store_impl.h"
#include "quote.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::size_t kMaxActorBytes = 128;
constexpr std::size_t kMaxReasonBytes = 1024;

absl::Status CheckChangeOptions(const IdentityChangeOptions& options) {
  if (options.actor.size() > kMaxActorBytes || !IsValidUtf8(options.actor)) {
    return absl::InvalidArgumentError(
        "options.actor: must be 0..128 bytes of UTF-8");
  }
  if (options.reason.size() > kMaxReasonBytes || !IsValidUtf8(options.reason)) {
    return absl::InvalidArgumentError(
        "options.reason: must be 0..1024 bytes of UTF-8");
  }
  if (options.ts_ms && (*options.ts_ms < 0 || *options.ts_ms > kMaxTsMs)) {
    return absl::InvalidArgumentError(
        "options.ts_ms: must be 0 .. 253402300799999");
  }
  return absl::OkStatus();
}

// The checks of a merge's or unmerge's arguments, wherever it was made.
absl::Status CheckPair(std::string_view survivor, std::string_view absorbed,
                       const IdentityChangeOptions& options) {
  if (absl::Status s = CheckCustomerId(survivor); !s.ok()) return s;
  if (absl::Status s = CheckCustomerId(absorbed); !s.ok()) return s;
  return CheckChangeOptions(options);
}

absl::Status Refused(std::string_view rule, std::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      "merge refused by IdentityOptions::", Av(rule), ": ", Av(why)));
}

// The stored profile of `root`, decoded; empty if it has none.
absl::StatusOr<fold::ProfileState> StoredProfile(const storage::Db& db,
                                                 keys::CustomerNumber root,
                                                 std::string_view id) {
  std::string bytes;
  const rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.profiles(),
                                         keys::CustomerKey(root), &bytes);
  if (s.IsNotFound()) return fold::ProfileState();
  if (!s.ok()) return FromRocks(s, "reading profile");
  absl::StatusOr<fold::ProfileState> state = fold::DecodeProfile(bytes);
  if (!state.ok() || state->corrupt_operands > 0) {
    return absl::DataLossError(
        absl::StrCat("the profile of customer ", QuoteForError(id),
                     " is damaged; Rebuild it before merging"));
  }
  return state;
}

// The root a queued change names (OutboxChange::root): empty when the
// customer is its own.
std::string RootIfOther(const Resolved& who) {
  return who.root == who.own ? std::string() : who.root_id;
}

}  // namespace

IdentityChange StoreImpl::ChangeOf(IdentityChange::Kind kind,
                                   const IdentityChangeOptions& options) const {
  IdentityChange change;
  change.kind = kind;
  change.ts_ms = options.ts_ms.value_or(absl::ToUnixMillis(absl::Now()));
  change.actor = options.actor;
  change.reason = options.reason;
  return change;
}

void StoreImpl::ForgetGroup(keys::CustomerNumber root,
                            std::string_view root_id) {
  known_products_.Forget(root_id);
  // Only a root's own events use the duplicate check's memory, and only
  // while it stays a root (record.cc, OwnHistory).
  latest_events_[StripeOf(root_id)].Forget(root);
}

ChangeTravel StoreImpl::PairTravel(OutboxChange::Kind kind,
                                   std::string_view survivor,
                                   std::string_view absorbed,
                                   IdentityChangeOptions& options) const {
  ChangeTravel travel = LocalTravel(kind, options);
  travel.change.customer = std::string(survivor);
  travel.change.other = std::string(absorbed);
  return travel;
}

absl::Status StoreImpl::Merge(std::string_view survivor,
                              std::string_view absorbed,
                              const IdentityChangeOptions& options) {
  IdentityChangeOptions dated = options;
  return MergeWith(
      survivor, absorbed, dated,
      PairTravel(OutboxChange::Kind::kMerge, survivor, absorbed, dated));
}

absl::Status StoreImpl::MergeWith(std::string_view survivor,
                                  std::string_view absorbed,
                                  const IdentityChangeOptions& options,
                                  ChangeTravel travel) {
  if (absl::Status s = CheckWritable("Merge"); !s.ok()) return s;
  if (absl::Status s = CheckPair(survivor, absorbed, options); !s.ok())
    return s;
  if (survivor == absorbed) {
    return absl::InvalidArgumentError(
        "absorbed: a customer cannot be merged into itself");
  }
  std::optional<StripeLocks> locks;
  absl::StatusOr<std::vector<Resolved>> who =
      LockResolved({survivor, absorbed}, {}, locks);
  if (!who.ok()) return who.status();
  const Resolved& s = (*who)[0];
  const Resolved& a = (*who)[1];
  if (a.root == s.root) {
    // Merged this way already: nothing changes, nothing is queued.
    if (a.own != a.root && s.own == s.root) return MarkApplied(travel);
    return absl::FailedPreconditionError(
        absl::StrCat("customers ", QuoteForError(survivor), " and ",
                     QuoteForError(absorbed), " are already merged, into ",
                     QuoteForError(s.root_id), "; unmerge them first"));
  }
  if (a.own != a.root) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer ", QuoteForError(absorbed), " is already merged into ",
        QuoteForError(a.root_id), "; unmerge it first"));
  }
  if (absl::Status st = CheckMergeLimits(s, a); !st.ok()) return st;
  if (travel.queue) travel.change.root = RootIfOther(s);
  return MergeLocked(s, a, options, travel);
}

absl::Status StoreImpl::CheckMergeLimits(const Resolved& survivor,
                                         const Resolved& absorbed) const {
  const IdentityOptions& rules = options_.identity;
  const std::size_t merged = directory_->GroupSize(survivor.root) +
                             directory_->GroupSize(absorbed.root) + 1;
  if (rules.max_merged_customers > 0 && merged > rules.max_merged_customers) {
    return Refused("max_merged_customers",
                   absl::StrCat(QuoteForError(survivor.root_id), " would hold ",
                                merged, " merged customers, more than ",
                                rules.max_merged_customers));
  }
  if (rules.max_identities_per_type == 0) return absl::OkStatus();
  std::map<IdentityType, std::size_t> count;
  for (keys::CustomerNumber root : {survivor.root, absorbed.root}) {
    absl::StatusOr<std::vector<std::pair<IdentityType, std::string>>> ids =
        CurrentIdentities(root);
    if (!ids.ok()) return ids.status();
    for (const auto& [type, value] : *ids) ++count[type];
  }
  for (const auto& [type, n] : count) {
    if (n > rules.max_identities_per_type) {
      return Refused(
          "max_identities_per_type",
          absl::StrCat(QuoteForError(survivor.root_id), " would hold ", n,
                       " identities of type ", Av(ToString(type)),
                       ", more than ", rules.max_identities_per_type));
    }
  }
  return absl::OkStatus();
}

// One synced batch: the absorbed profile and breakdowns join the
// survivor's root (with the distinct products it adds), the absorbed
// root's own values and pending marker go, the link and both change
// records are written.
absl::Status StoreImpl::MergeLocked(const Resolved& survivor,
                                    const Resolved& absorbed,
                                    const IdentityChangeOptions& options,
                                    const ChangeTravel& travel) {
  if (absl::Status st = SettleUnlogged(); !st.ok()) return st;
  absl::StatusOr<fold::ProfileState> profile =
      StoredProfile(*db_, absorbed.root, absorbed.root_id);
  if (!profile.ok()) return profile.status();
  absl::StatusOr<fold::Breakdowns> theirs = CurrentBreakdowns(absorbed.root);
  if (!theirs.ok()) return theirs.status();
  absl::StatusOr<fold::Breakdowns> ours = CurrentBreakdowns(survivor.root);
  if (!ours.ok()) return ours.status();
  fold::Breakdowns both = *ours;
  fold::Join(both, *theirs);
  profile->customer_id = survivor.root_id;
  profile->purchases.distinct_products =
      fold::OrderedProducts(both) - fold::OrderedProducts(*ours);

  const std::string into = keys::CustomerKey(survivor.root);
  const std::string from = keys::CustomerKey(absorbed.root);
  rocksdb::WriteBatch batch;
  rocksdb::Status st =
      batch.Merge(db_->profiles(), into, codec::EncodeOperand(*profile));
  if (st.ok() && !theirs->empty()) {
    st = batch.Merge(db_->breakdowns(), into, codec::EncodeOperand(*theirs));
  }
  if (st.ok()) st = batch.Delete(db_->profiles(), from);
  if (st.ok()) st = batch.Delete(db_->breakdowns(), from);
  if (st.ok()) st = batch.Delete(db_->pending(), from);
  if (st.ok()) st = directory_->AddMergeLink(batch, absorbed.own, survivor.own);
  IdentityChange change = ChangeOf(IdentityChange::Kind::kMerged, options);
  change.other = absorbed.own_id;
  if (st.ok()) st = directory_->AddChange(batch, survivor.own, change);
  change.kind = IdentityChange::Kind::kMergedInto;
  change.other = survivor.own_id;
  if (st.ok()) st = directory_->AddChange(batch, absorbed.own, change);
  if (st.ok()) st = AddTravel(batch, travel);
  if (st.ok()) st = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!st.ok()) return FromRocks(st, "merging customers");

  directory_->Link(absorbed.own, survivor.own);
  breakdowns_buffer_.Drop(absorbed.root);
  {
    std::lock_guard<std::mutex> lock(stale_mu_);
    stale_.erase(absorbed.root);
  }
  ForgetGroup(absorbed.root, absorbed.root_id);
  ForgetGroup(survivor.root, survivor.root_id);
  return absl::OkStatus();
}

absl::Status StoreImpl::Unmerge(std::string_view survivor,
                                std::string_view absorbed,
                                const IdentityChangeOptions& options) {
  IdentityChangeOptions dated = options;
  return UnmergeWith(
      survivor, absorbed, dated,
      PairTravel(OutboxChange::Kind::kUnmerge, survivor, absorbed, dated));
}

absl::Status StoreImpl::UnmergeWith(std::string_view survivor,
                                    std::string_view absorbed,
                                    const IdentityChangeOptions& options,
                                    ChangeTravel travel) {
  if (absl::Status s = CheckWritable("Unmerge"); !s.ok()) return s;
  if (absl::Status s = CheckPair(survivor, absorbed, options); !s.ok())
    return s;
  std::optional<StripeLocks> locks;
  // The absorbed customer becomes a root: its stripe is locked as well.
  absl::StatusOr<std::vector<Resolved>> who =
      LockResolved({survivor, absorbed}, {StripeOf(absorbed)}, locks);
  if (!who.ok()) return who.status();
  const Resolved& s = (*who)[0];
  const Resolved& a = (*who)[1];
  bool below = false;  // is `survivor` on `absorbed`'s chain of merges?
  for (std::optional<keys::CustomerNumber> n = directory_->Parent(a.own); n;
       n = directory_->Parent(*n)) {
    if (*n == s.own) {
      below = true;
      break;
    }
  }
  if (!below) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer ", QuoteForError(absorbed),
                     " is not merged into ", QuoteForError(survivor)));
  }
  if (travel.queue) travel.change.root = RootIfOther(s);
  return UnmergeLocked(s, a, options, travel);
}

// One synced batch: the link goes, both sides' profiles and breakdowns are
// refolded from their own histories, both change records are written.
absl::Status StoreImpl::UnmergeLocked(const Resolved& survivor,
                                      const Resolved& absorbed,
                                      const IdentityChangeOptions& options,
                                      const ChangeTravel& travel) {
  if (absl::Status st = SettleUnlogged(); !st.ok()) return st;
  const keys::CustomerNumber parent = *directory_->Parent(absorbed.own);
  const std::vector<keys::CustomerNumber> split = GroupOf(absorbed.own);
  const std::vector<keys::CustomerNumber> group = GroupOf(survivor.root);
  std::vector<keys::CustomerNumber> rest;
  std::set_difference(group.begin(), group.end(), split.begin(), split.end(),
                      std::back_inserter(rest));
  Folded kept, parted;
  if (absl::Status st = FoldHistory(survivor.root_id, rest, kept); !st.ok())
    return st;
  if (absl::Status st = FoldHistory(absorbed.own_id, split, parted); !st.ok())
    return st;
  absl::StatusOr<std::string> parent_id = directory_->NameOf(parent);
  if (!parent_id.ok()) return parent_id.status();

  rocksdb::WriteBatch batch;
  rocksdb::Status st = AddRebuilt(batch, survivor.root, rest, kept);
  if (st.ok()) st = AddRebuilt(batch, absorbed.own, split, parted);
  if (st.ok()) st = directory_->RemoveMergeLink(batch, absorbed.own, parent);
  IdentityChange change = ChangeOf(IdentityChange::Kind::kUnmerged, options);
  change.other = absorbed.own_id;
  if (st.ok()) st = directory_->AddChange(batch, parent, change);
  change.kind = IdentityChange::Kind::kSplitFrom;
  change.other = *parent_id;
  if (st.ok()) st = directory_->AddChange(batch, absorbed.own, change);
  if (st.ok()) st = AddTravel(batch, travel);
  if (st.ok()) st = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!st.ok()) return FromRocks(st, "unmerging customers");

  directory_->Unlink(absorbed.own);
  ForgetRebuilt(survivor.root, survivor.root_id);
  ForgetRebuilt(absorbed.own, absorbed.own_id);
  ForgetGroup(survivor.root, survivor.root_id);
  ForgetGroup(absorbed.own, absorbed.own_id);
  return absl::OkStatus();
}

absl::Status StoreImpl::Unlink(IdentityType type, std::string_view value,
                               const IdentityChangeOptions& options) {
  IdentityChangeOptions dated = options;
  ChangeTravel travel = LocalTravel(OutboxChange::Kind::kUnlink, dated);
  return UnlinkWith(type, value, dated, std::move(travel), std::nullopt);
}

absl::Status StoreImpl::UnlinkWith(IdentityType type, std::string_view value,
                                   const IdentityChangeOptions& options,
                                   ChangeTravel travel,
                                   std::optional<std::string_view> owner_id) {
  if (absl::Status s = CheckWritable("Unlink"); !s.ok()) return s;
  if (absl::Status s = CheckChangeOptions(options); !s.ok()) return s;
  absl::StatusOr<std::string> normalized =
      NormalizeIdentity(type, value, options_.identity.default_country_code);
  if (!normalized.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("value: ", normalized.status().message()));
  }
  // The identity's stripe serialises this with Record()s naming it; its
  // owner's root's with merges of the owner (which write the owner's log
  // too). Found under the identity's stripe, and again until the root's
  // stripe is held as well.
  std::vector<std::size_t> stripes = {
      StripeOf(keys::IdentityKey(type, *normalized))};
  std::optional<StripeLocks> locks;
  absl::StatusOr<std::optional<Resolved>> owner;
  for (;;) {
    locks.reset();
    locks.emplace(stripes_, stripes);
    owner = ResolveIdentity(type, *normalized);
    if (!owner.ok()) return owner.status();
    if (!*owner) {
      return absl::NotFoundError(
          absl::StrCat("unknown identity ", IdentityName(type, *normalized)));
    }
    const std::size_t root = StripeOf((*owner)->root_id);
    if (locks->Holds(root)) break;
    stripes.push_back(root);
    std::sort(stripes.begin(), stripes.end());
  }
  if (owner_id && (*owner)->own_id != *owner_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity ", IdentityName(type, *normalized),
                     " leads to customer ", QuoteForError((*owner)->own_id),
                     " here, not ", QuoteForError(*owner_id)));
  }
  travel.change.identity_type = type;
  travel.change.identity_value = *normalized;
  travel.change.customer = (*owner)->own_id;
  if (travel.queue) travel.change.root = RootIfOther(**owner);
  IdentityChange change = ChangeOf(IdentityChange::Kind::kUnlinked, options);
  change.identity_type = type;
  change.identity_value = *normalized;
  rocksdb::WriteBatch batch;
  rocksdb::Status st = directory_->RemoveIdentity(batch, type, *normalized);
  if (st.ok()) st = directory_->AddChange(batch, (*owner)->own, change);
  if (st.ok()) st = AddTravel(batch, travel);
  if (st.ok()) st = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  return FromRocks(st, "unlinking identity");
}

absl::StatusOr<CustomerIdentities> StoreImpl::Identities(
    std::string_view customer_id) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  absl::StatusOr<std::optional<Resolved>> who = ResolveId(customer_id);
  if (!who.ok()) return who.status();
  if (!*who) {
    return absl::NotFoundError(
        absl::StrCat("no customer ", QuoteForError(customer_id)));
  }
  CustomerIdentities out;
  out.customer = std::string(customer_id);
  out.survivor = (*who)->root_id;
  absl::StatusOr<std::vector<std::pair<IdentityType, std::string>>> ids =
      CurrentIdentities((*who)->root);
  if (!ids.ok()) return ids.status();
  out.identities = *std::move(ids);
  for (keys::CustomerNumber n : GroupOf((*who)->root)) {
    if (n == (*who)->root) continue;
    absl::StatusOr<std::string> name = directory_->NameOf(n);
    if (!name.ok()) return name.status();
    out.aliases.push_back(*std::move(name));
  }
  std::sort(out.aliases.begin(), out.aliases.end());
  absl::StatusOr<std::vector<IdentityChange>> changes =
      directory_->Changes((*who)->own);
  if (!changes.ok()) return changes.status();
  out.changes = *std::move(changes);
  return out;
}

}  // namespace ckm::engine
