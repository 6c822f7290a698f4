// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Store::Erase: a customer removed everywhere, with everyone merged with it,
// in one atomic write, then scrubbed from the files (docs/privacy.md).
//
// 1. Lock and survey (LockGroup, Survey in erase_survey.cc): the customer's
//    merged group, and what it holds beyond the keys its numbers give.
// 2. Plan (PlanErasure, erase_plan.cc): every key held on the group. The one
//    place that knows what an erasure covers.
// 3. Write, under the stripes of the group and its root, one synced batch:
//    the plan's deletions, and per customer of the group a tombstone keyed
//    by a hash of its id, an entry of the erasure log and a scrub marker. A
//    crash leaves the group wholly there or wholly gone. Then every cache
//    forgets the group.
// 4. Scrub (erase_scrub.cc): the bytes physically gone from the files.

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "ckm/identity.h"
#include "codec/json.h"
#include "engine/store_impl.h"
#include "quote.h"
#include "rocksdb/write_batch.h"
#include "validate.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
constexpr std::size_t kMaxReasonBytes = 1024;

std::string Be64(std::uint64_t v) {
  char buf[8];
  absl::big_endian::Store64(buf, v);
  return std::string(buf, sizeof buf);
}

// The erasure log's entry for one customer of a group of `customers`.
std::string LogEntry(std::int64_t now_ms, const ErasedCustomer& c,
                     std::string_view reason, std::size_t customers) {
  json::Writer entry;
  entry.BeginObject();
  entry.Key("erased").Time(now_ms);
  entry.Key("id_hash").String(keys::ErasedIdHash(c.id));
  entry.Key("reason").String(reason);
  entry.Key("events").Int(c.events);
  entry.Key("identities").Int(c.identities);
  entry.Key("customers").Int(static_cast<std::int64_t>(customers));
  entry.EndObject();
  return entry.Take();
}

}  // namespace

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Holding the root's stripe keeps the group as it is: Merge and Unmerge
// hold the stripes of the roots they change. The members' stripes guard
// their caches, and every Record naming one holds it.
absl::StatusOr<std::vector<ErasedCustomer>> StoreImpl::LockGroup(
    std::string_view customer_id, std::optional<StripeLocks>& locks) const {
  std::vector<std::size_t> extra;
  for (;;) {
    absl::StatusOr<std::vector<Resolved>> who =
        LockResolved({customer_id}, extra, locks);
    if (!who.ok()) return who.status();
    std::vector<ErasedCustomer> group;
    bool covered = true;
    for (keys::CustomerNumber n : GroupOf(who->front().root)) {
      absl::StatusOr<std::string> id = directory_->NameOf(n);
      if (!id.ok()) return id.status();
      if (!locks->Holds(StripeOf(*id))) {
        covered = false;
        extra.push_back(StripeOf(*id));
      }
      ErasedCustomer c;
      c.number = n;
      c.id = *std::move(id);
      c.merged_into = directory_->Parent(n);
      group.push_back(std::move(c));
    }
    if (covered) return group;
  }
}

absl::StatusOr<ErasureResult> StoreImpl::Erase(std::string_view customer_id,
                                               std::string_view reason) {
  // An erasure always travels: head office must erase the customer too.
  IdentityChangeOptions options;
  options.reason = std::string(reason);
  ChangeTravel travel = LocalTravel(OutboxChange::Kind::kErase, options);
  travel.change.customer = std::string(customer_id);
  return EraseWith(customer_id, reason, std::move(travel), std::nullopt);
}

absl::StatusOr<ErasureResult> StoreImpl::EraseWith(
    std::string_view customer_id, std::string_view reason, ChangeTravel travel,
    std::optional<std::int64_t> cutoff_ms) {
  if (absl::Status s = CheckWritable("Erase"); !s.ok()) return s;
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (reason.size() > kMaxReasonBytes || !IsValidUtf8(reason))
    return absl::InvalidArgumentError("reason: must be 0..1024 bytes of UTF-8");
  std::lock_guard<std::mutex> one_at_a_time(erase_mu_);
  if (absl::Status s = ScrubPending(); !s.ok()) return s;
  std::vector<std::uint64_t> sequences;
  ErasurePlan plan;
  ErasureResult result;
  {
    std::optional<StripeLocks> locks;
    absl::StatusOr<std::vector<ErasedCustomer>> group =
        LockGroup(customer_id, locks);
    if (!group.ok()) return group.status();
    const keys::CustomerNumber root = directory_->Root(group->front().number);
    absl::StatusOr<GroupSurvey> surveyed = Survey(*std::move(group), root);
    if (!surveyed.ok()) return surveyed.status();
    const std::vector<ErasedCustomer> customers = surveyed->customers;
    travel.change.erased.clear();
    for (const ErasedCustomer& c : customers) {
      result.events += c.events;
      result.identities += c.identities;
      travel.change.erased.push_back(c.id);
    }
    std::sort(travel.change.erased.begin(), travel.change.erased.end());
    result.customers = static_cast<std::int64_t>(customers.size());
    plan = PlanErasure(*db_, *std::move(surveyed));
    std::unique_lock<std::shared_mutex> no_audit(audit_mu_);
    if (absl::Status s = PlanAccessLog(customers, plan); !s.ok()) return s;
    absl::StatusOr<std::vector<std::uint64_t>> written =
        WriteErasure(customers, plan, reason, travel, cutoff_ms);
    if (written.ok()) {
      for (const ErasedCustomer& c : customers)
        erased_numbers_.insert(c.number);
    }
    no_audit.unlock();
    ForgetErased(customers, written.ok());  // even after a failed write
    if (!written.ok()) return written.status();
    sequences = *std::move(written);
  }
  if (absl::Status s = Scrub(sequences, &plan); !s.ok()) {
    scrub_pending_ = true;  // the next Erase, or open, finishes it
    return absl::Status(
        s.code(), absl::StrCat("the customer is erased, but removing its bytes "
                               "from the store's files failed (the next open "
                               "or Erase finishes it): ",
                               s.message()));
  }
  return result;
}

// A tombstone per email address the erasure removes, keyed by its
// identity key (which holds a NUL, so no customer id hashes alike): an
// event naming the group by one, dated up to the erasure, is a replay
// too. Email addresses only: phone and card numbers come from spaces small
// enough to hash every value, so their tombstones would give them back.
// Only keys in normalised form (the ones Record looks up), and never
// lowering the cutoff an earlier erasure of the same address left.
absl::Status StoreImpl::PutEmailTombstones(const ErasurePlan& plan,
                                           std::int64_t cutoff,
                                           rocksdb::WriteBatch& batch) {
  std::vector<std::string> keys;
  for (const ErasurePlan::Point& p : plan.points) {
    if (p.cf != db_->identities() || p.key.size() < 2 ||
        static_cast<IdentityType>(p.key[0]) != IdentityType::kEmail)
      continue;
    const std::string_view value = std::string_view(p.key).substr(2);
    absl::StatusOr<std::string> normalized =
        NormalizeIdentity(IdentityType::kEmail, value, "");
    if (normalized.ok() && *normalized == value) keys.push_back(p.key);
  }
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  absl::StatusOr<std::vector<std::optional<std::int64_t>>> before =
      ErasureCutoffs(views, /*look_always=*/true);
  if (!before.ok()) return before.status();  // a damaged one: DataLoss
  rocksdb::Status s;
  for (std::size_t i = 0; i < keys.size() && s.ok(); ++i) {
    const std::int64_t kept = std::max(cutoff, (*before)[i].value_or(cutoff));
    s = batch.Put(keys::TombstoneKey(keys[i]),
                  Be64(static_cast<std::uint64_t>(kept) ^ kSignBit));
  }
  return FromRocks(s, "erasing");
}

// One synced batch: the plan's deletions, and per customer a tombstone, a
// log entry and a scrub marker, a tombstone per email address of the
// group, and the erasure's travel (dated now_ms).
// Returns the log's sequence numbers.
absl::StatusOr<std::vector<std::uint64_t>> StoreImpl::WriteErasure(
    const std::vector<ErasedCustomer>& customers, const ErasurePlan& plan,
    std::string_view reason, ChangeTravel& travel,
    std::optional<std::int64_t> cutoff_ms) {
  rocksdb::WriteBatch batch;
  rocksdb::Status s;
  for (const ErasurePlan::Point& p : plan.points) {
    if (s.ok()) s = batch.Delete(p.cf, p.key);
  }
  const std::int64_t now_ms = cutoff_ms.value_or(NowMs());
  travel.change.ts_ms = now_ms;
  if (s.ok()) s = AddTravel(batch, travel);
  std::vector<std::uint64_t> sequences;
  std::int64_t group_cutoff = now_ms;
  for (const ErasedCustomer& c : customers) {
    // Events dated up to now, or up to its newest erased event, are replays.
    const std::int64_t cutoff = std::max(now_ms, c.newest_ts_ms);
    group_cutoff = std::max(group_cutoff, cutoff);
    const std::uint64_t sequence = next_erasure_ + sequences.size();
    sequences.push_back(sequence);
    if (s.ok()) {
      s = batch.Put(keys::TombstoneKey(c.id),
                    Be64(static_cast<std::uint64_t>(cutoff) ^ kSignBit));
    }
    if (s.ok()) {
      s = batch.Put(keys::SequenceKey(keys::kErasureLogPrefix, sequence),
                    LogEntry(now_ms, c, reason, customers.size()));
    }
    if (s.ok()) {
      s = batch.Put(keys::SequenceKey(keys::kErasureScrubPrefix, sequence),
                    Be64(c.number));
    }
  }
  if (!s.ok()) return FromRocks(s, "erasing");
  if (absl::Status t = PutEmailTombstones(plan, group_cutoff, batch); !t.ok())
    return t;
  s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!s.ok()) return FromRocks(s, "erasing");
  next_erasure_ += sequences.size();
  has_tombstones_ = true;
  return sequences;
}

// Each erased id the store knows is erased with its group, dated as the
// change; each it does not know gets a tombstone alone, so that events of
// it dated up to the erasure, arriving later, are refused as replays. An
// id known here but erased here already, as late as the change or later,
// is a customer recorded anew since: an erasure that arrives late (a
// copy of it sent on by another store) leaves it. The mark goes last: a
// crash before it erases again, which finds nothing.
absl::Status StoreImpl::ApplyErase(const ChangeTravel& travel) {
  const OutboxChange& change = travel.change;
  const std::vector<std::string_view> ids(change.erased.begin(),
                                          change.erased.end());
  // Both read before anything is erased: whether the store knows each id
  // (one may go with an earlier one's group), and its tombstone.
  std::vector<bool> known;
  for (std::string_view id : ids) {
    absl::StatusOr<std::optional<Resolved>> who = ResolveId(id);
    if (!who.ok()) return who.status();
    known.push_back(who->has_value());
  }
  absl::StatusOr<std::vector<std::optional<std::int64_t>>> cutoffs =
      ErasureCutoffs(ids);
  if (!cutoffs.ok()) return cutoffs.status();
  rocksdb::WriteBatch batch;
  rocksdb::Status s;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::optional<std::int64_t> cutoff = (*cutoffs)[i];
    if (!known[i]) {
      if (!cutoff && s.ok())
        s = batch.Put(
            keys::TombstoneKey(ids[i]),
            Be64(static_cast<std::uint64_t>(change.ts_ms) ^ kSignBit));
      continue;
    }
    if (cutoff && *cutoff >= change.ts_ms) continue;  // recorded anew since
    absl::StatusOr<ErasureResult> erased = EraseWith(
        std::string(ids[i]), change.reason, ChangeTravel{}, change.ts_ms);
    if (!erased.ok() && !absl::IsNotFound(erased.status()))
      return erased.status();  // NotFound: erased with an earlier id's group
  }
  if (s.ok()) s = AddTravel(batch, travel);
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!s.ok()) return FromRocks(s, "erasing");
  has_tombstones_ = true;
  return absl::OkStatus();
}

// REQUIRES: the stripes of every customer of the group.
void StoreImpl::ForgetErased(const std::vector<ErasedCustomer>& customers,
                             bool written) {
  for (const ErasedCustomer& c : customers) {
    directory_->Forget(c.id);
    if (written && c.merged_into) directory_->Unlink(c.number);
    known_products_.Forget(c.id);
    latest_events_[StripeOf(c.id)].Forget(c.number);
    breakdowns_buffer_.Drop(c.number);
    std::lock_guard<std::mutex> lock(stale_mu_);
    stale_.erase(c.number);
  }
}

}  // namespace ckm::engine
