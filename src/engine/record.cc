// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The write path: Store::Record as named phases over one call's state.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "ckm/store.h"
#include "ckm/validate.h"
#include "codec/event_codec.h"
#include "codec/json.h"
#include "codec/operand.h"
#include "engine/store_impl.h"
#include "quote.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"
#include "validate.h"

namespace ckm {
namespace {

// The payload that marks Record()'s refusal of a replay of erased data.
constexpr char kErasedReplayUrl[] = "ckm/erased-replay";

// Record()'s refusal of event i, a replay of erased data dated up to
// `cutoff`: `what` says whose, as "events[i].customer: <what>".
absl::Status ErasedReplay(std::size_t i, std::string_view what,
                          std::int64_t cutoff) {
  absl::Status refused = absl::FailedPreconditionError(absl::StrCat(
      "events[", i, "].customer: ", Av(what),
      "; events dated up to the erasure (", json::FormatTime(cutoff),
      ") are refused as replays of erased data; nothing was written"));
  refused.SetPayload(kErasedReplayUrl, absl::Cord("1"));
  return refused;
}

}  // namespace

bool IsErasedReplay(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         status.GetPayload(kErasedReplayUrl).has_value();
}

namespace engine {

using storage::FromRocks;

namespace {

LatestEvents::Name NameOf(const Event& e) {
  return {e.ts_ms, e.id, static_cast<std::uint8_t>(e.kind())};
}

}  // namespace

// One Record() call: its events and what the phases learn about them.
// Customers get dense slots in order of first appearance.
class Recorder {
 public:
  Recorder(StoreImpl& store, absl::Span<const Event> events)
      : store_(store),
        db_(*store.db_),
        events_(events),
        batch_(kBatchBytesPerEvent * events.size()) {}

  absl::StatusOr<RecordResult> Run(const RecordOptions& options);

  // A merge the batch asks for before it can be recorded: an event links an
  // identity of a type IdentityOptions::auto_merge_types names, which
  // another customer owns. Run() then returns kNeedsMerge and writes
  // nothing.
  struct AutoMerge {
    std::string survivor;  // the identity's owner (its root)
    std::string absorbed;  // the event's customer (its root)
    std::string reason;
  };
  static absl::Status NeedsMerge() {
    return absl::AbortedError("the batch needs an automatic merge first");
  }
  const std::optional<AutoMerge>& auto_merge() const { return auto_merge_; }

 private:
  using Link = std::pair<IdentityType, std::string>;
  // What a two-line order adds to the write batch, about: its history
  // entry and a share of its customer's merges. Reserved up front, so that
  // the batch is not copied as it grows.
  static constexpr std::size_t kBatchBytesPerEvent = 256;

  absl::Status Normalize();
  std::vector<std::size_t> NamedStripes() const;
  bool LockRoots(StripeLocks& locks, std::vector<std::size_t>& stripes);
  absl::Status ResolveCustomers();
  absl::Status UnknownIdentity(std::size_t i) const;
  absl::Status CheckLinkOwners();
  absl::Status NumberCustomers();
  absl::Status RefuseErased() const;
  absl::Status SettleStale() const;
  absl::Status DropRecorded();
  absl::Status CheckBatchLinks() const;
  absl::Status Fold();
  rocksdb::Status Queue(const std::vector<std::size_t>& fresh,
                        const std::vector<std::string>& encoded);
  absl::Status CountNewProducts();
  absl::StatusOr<std::int64_t> CountFromStore(
      std::uint32_t slot, const std::vector<std::string_view>& skus,
      std::vector<rocksdb::PinnableSlice>& operands);
  absl::Status AddMerges();
  void UpdateBuffers();
  void UpdateLatest(bool written);
  // Whether event i goes to the history of its slot's own customer (not of
  // one merged into it): only such events use the duplicate check's memory.
  bool OwnHistory(std::size_t i) const {
    return who_[i].own == slot_number_[slot_[i]];
  }
  LatestEvents& LatestOf(std::uint32_t slot) const {
    return store_.latest_events_[slot_stripe_[slot]];
  }
  bool buffered() const { return store_.options_.breakdowns_buffer_bytes > 0; }

  StoreImpl& store_;
  const storage::Db& db_;
  const absl::Span<const Event> events_;

  // Per event.
  std::vector<std::string> ref_norm_;   // its identity reference, normalised
  std::vector<std::string> link_norm_;  // the identity it links, normalised
  std::vector<Resolved> who_;           // whose history and profile it goes to
  std::vector<bool> link_known_;  // links an identity its group has already
  std::vector<std::uint32_t> slot_;
  std::vector<std::string> history_keys_;
  std::vector<bool> fresh_;  // not recorded before, nor earlier in the batch
  // Identity links the batch makes (-> the first event making each), and
  // the events named through them.
  std::map<Link, std::size_t> batch_links_;
  std::vector<std::size_t> resolved_in_batch_;

  // Per slot: one per root customer.
  std::vector<std::string_view> slot_customer_;  // the root's id
  std::vector<keys::CustomerNumber> slot_number_;
  std::vector<bool> slot_is_new_;  // numbered by this call
  // Breakdowns go to the buffer (else they are merged in this batch).
  std::vector<bool> slot_buffered_;
  std::vector<fold::ProfileState> deltas_;
  std::vector<bool> has_delta_;
  std::vector<std::size_t> slot_stripe_;
  std::vector<LatestEvents::Name> slot_latest_;  // of its new events

  fold::BreakdownsBatch breakdowns_;
  std::vector<fold::BreakdownsBatch::CustomerDelta> breakdown_deltas_;
  // Customers whose ordered SKUs were loaded for the cache.
  std::vector<std::pair<std::string_view, std::vector<std::string>>> loaded_;
  rocksdb::WriteBatch batch_;
  RecordResult result_;
  std::optional<AutoMerge> auto_merge_;
  bool queue_ = true;  // RecordOptions::outbox
};

absl::StatusOr<RecordResult> StoreImpl::Record(absl::Span<const Event> events,
                                               const RecordOptions& options) {
  if (absl::Status s = CheckWritable("Record"); !s.ok()) return s;
  absl::StatusOr<RecordResult> result;
  // An automatic merge is written on its own, with the batch's locks
  // released, and the batch is then resolved again. Each one joins two
  // groups, so there are fewer than there are events.
  for (std::size_t merges = 0;; ++merges) {
    Recorder recorder(*this, events);
    result = recorder.Run(options);
    if (result.ok() || result.status() != Recorder::NeedsMerge()) break;
    if (merges == events.size())
      return absl::InternalError("automatic merges did not converge");
    const Recorder::AutoMerge& m = *recorder.auto_merge();
    IdentityChangeOptions why;
    why.actor = "ckm";
    why.reason = m.reason;
    if (absl::Status s = Merge(m.survivor, m.absorbed, why); !s.ok()) return s;
  }
  // With the locks released. A failed flush loses nothing: the deltas stay
  // in the buffer, and the next flush (or Store::Flush) tries again.
  if (result.ok() && result->recorded > 0 && breakdowns_buffer_.full())
    FlushBreakdowns(options_.durability).IgnoreError();
  return result;
}

absl::StatusOr<RecordResult> Recorder::Run(const RecordOptions& options) {
  queue_ = options.outbox;
  // 1. Validate everything before touching the store.
  if (absl::Status s = ValidateBatch(events_); !s.ok()) return s;
  if (events_.empty()) return result_;
  // 2. Normalise identities. 3. Lock the customers and identities named and
  // linked, and name every event's customer under the locks: the customer
  // named, and the root it is merged into, whose stripe is taken too
  // (LockRoots; if that cannot be done without waiting, everything is
  // locked again in order).
  if (absl::Status s = Normalize(); !s.ok()) return s;
  std::vector<std::size_t> stripes = NamedStripes();
  std::optional<StripeLocks> locks;
  do {
    locks.reset();
    locks.emplace(store_.stripes_, stripes);
    if (absl::Status s = ResolveCustomers(); !s.ok()) return s;
  } while (!LockRoots(*locks, stripes));
  // 4. Under the locks: owners of links, numbers, what is already recorded.
  if (absl::Status s = NumberCustomers(); !s.ok()) return s;
  if (absl::Status s = SettleStale(); !s.ok()) return s;
  if (absl::Status s = DropRecorded(); !s.ok()) return s;
  if (absl::Status s = CheckLinkOwners(); !s.ok()) return s;
  if (absl::Status s = CheckBatchLinks(); !s.ok()) return s;
  // 5. Fold the new events into deltas, and 6. write them in one batch.
  if (absl::Status s = Fold(); !s.ok()) return s;
  if (result_.recorded == 0) return result_;
  if (absl::Status s = CountNewProducts(); !s.ok()) return s;
  if (absl::Status s = AddMerges(); !s.ok()) return s;
  const Durability durability =
      options.durability.value_or(store_.options_.durability);
  if (durability != Durability::kNone) {
    if (absl::Status s = store_.SettleUnlogged(); !s.ok()) return s;
  }
  if (rocksdb::Status s =
          store_.Write(storage::WriteOptionsFor(durability), &batch_);
      !s.ok()) {
    UpdateLatest(false);
    return FromRocks(s, "writing events");
  }
  UpdateLatest(true);
  if (durability == Durability::kNone) store_.wrote_unlogged_ = true;
  UpdateBuffers();
  return result_;
}

// A logged batch builds on what came before it: its distinct-product counts
// assume the products of earlier events, a merge folds in their profiles.
// Unlogged events before it would die in a crash that the logged write
// survives, so they are made durable first (a memtable flush, once per
// change from unlogged to logged writes). Under the write's locks, so that
// every earlier write of its customers is in the flush.
absl::Status StoreImpl::SettleUnlogged() {
  if (!wrote_unlogged_) return absl::OkStatus();
  // A manual flush while RocksDB is stopped after a full disk could leave
  // it unable to resume (access.cc): ask first.
  if (rocksdb::Status s = ResumeIfStopped(); !s.ok())
    return FromRocks(s, "making earlier unlogged writes durable");
  wrote_unlogged_ = false;
  rocksdb::FlushOptions flush;
  flush.wait = true;
  const rocksdb::Status s = db_->db()->Flush(flush, db_->handles());
  if (!s.ok()) wrote_unlogged_ = true;
  return FromRocks(s, "making earlier unlogged writes durable");
}

// Identities in the form their keys use. Blocked values are refused here,
// before anything is read.
absl::Status Recorder::Normalize() {
  ref_norm_.resize(events_.size());
  link_norm_.resize(events_.size());
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    if (e.customer.identity_type) {
      absl::StatusOr<std::string> n = store_.NormalizedIdentity(
          *e.customer.identity_type, e.customer.identity_value,
          absl::StrCat("events[", i, "].customer"));
      if (!n.ok()) return n.status();
      ref_norm_[i] = *std::move(n);
    }
    if (const auto* link = std::get_if<Identity>(&e.body)) {
      absl::StatusOr<std::string> n = store_.NormalizedIdentity(
          link->type, link->value,
          absl::StrCat("events[", i, "].identity.value"));
      if (!n.ok()) return n.status();
      link_norm_[i] = *std::move(n);
    }
  }
  return absl::OkStatus();
}

// The stripes of every customer id and identity the events name or link.
std::vector<std::size_t> Recorder::NamedStripes() const {
  std::vector<std::size_t> stripes;
  stripes.reserve(events_.size());
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    stripes.push_back(StoreImpl::StripeOf(
        e.customer.identity_type
            ? keys::IdentityKey(*e.customer.identity_type, ref_norm_[i])
            : e.customer.id));
    if (const auto* link = std::get_if<Identity>(&e.body)) {
      stripes.push_back(
          StoreImpl::StripeOf(keys::IdentityKey(link->type, link_norm_[i])));
    }
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  return stripes;
}

// Takes the stripes of the roots found, which the named customers' stripes
// do not cover when a customer is merged into another. Without waiting if
// they are free: a merge that moved a root in between is then seen in the
// links (memory), and only the roots are found again. If one is busy, or
// the roots keep moving, false: the caller takes everything again, in
// order, and resolves again. `stripes` is what to take then.
bool Recorder::LockRoots(StripeLocks& locks,
                         std::vector<std::size_t>& stripes) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::size_t> more;
    for (const Resolved& who : who_) {
      const std::size_t stripe = StoreImpl::StripeOf(who.root_id);
      if (!locks.Holds(stripe)) more.push_back(stripe);
    }
    if (more.empty()) return true;
    stripes.insert(stripes.end(), more.begin(), more.end());
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    if (!locks.TryAdd(more)) return false;
    for (Resolved& who : who_) {
      if (who.own == 0 || store_.directory_->Root(who.own) == who.root)
        continue;
      if (!store_.ResolveRoot(who).ok()) return false;
    }
  }
  return false;
}

// Names every event's customer: the one it names (by id, by an identity
// linked earlier in this batch, or by one in the store) and the root that
// customer is merged into. REQUIRES: the stripes of everything named.
absl::Status Recorder::ResolveCustomers() {
  who_.assign(events_.size(), Resolved());
  batch_links_.clear();
  resolved_in_batch_.clear();
  std::vector<std::string_view> ids;
  for (const Event& e : events_)
    if (!e.customer.identity_type) ids.push_back(e.customer.id);
  absl::StatusOr<std::vector<std::optional<keys::CustomerNumber>>> numbers =
      store_.directory_->Find(ids);
  if (!numbers.ok()) return numbers.status();
  std::size_t next_id = 0;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    Resolved& who = who_[i];
    if (!e.customer.identity_type) {
      who.own_id = e.customer.id;
      if (const std::optional<keys::CustomerNumber> n = (*numbers)[next_id++]) {
        who.own = *n;
        if (absl::Status s = store_.ResolveRoot(who); !s.ok()) return s;
      } else {
        who.root_id = who.own_id;  // new: numbered by NumberCustomers
      }
    } else {
      // The store first: a link in this batch may be a retry of one
      // recorded before, and the identity linked elsewhere since.
      absl::StatusOr<std::optional<Resolved>> found =
          store_.ResolveIdentity(*e.customer.identity_type, ref_norm_[i]);
      if (!found.ok()) return found.status();
      if (*found) {
        who = **std::move(found);
      } else if (auto it = batch_links_.find(
                     {*e.customer.identity_type, ref_norm_[i]});
                 it != batch_links_.end()) {
        who = who_[it->second];
        resolved_in_batch_.push_back(i);
      } else {
        return UnknownIdentity(i);
      }
    }
    if (const auto* link = std::get_if<Identity>(&e.body))
      batch_links_.try_emplace({link->type, link_norm_[i]}, i);
  }
  return absl::OkStatus();
}

// Why event i's identity leads nowhere: an email address of a customer
// erased here, in an event dated up to the erasure, is a replay of erased
// data (refused as RefuseErased refuses, naming neither the address nor
// the customer); any other identity is unknown.
absl::Status Recorder::UnknownIdentity(std::size_t i) const {
  const Event& e = events_[i];
  std::optional<std::int64_t> cutoff;
  if (*e.customer.identity_type == IdentityType::kEmail) {  // erase.cc: why
    const std::string key =
        keys::IdentityKey(IdentityType::kEmail, ref_norm_[i]);
    // Whatever has_tombstones_ says: an Erase under way holds none of the
    // stripes held here, and sets it only after its write.
    absl::StatusOr<std::vector<std::optional<std::int64_t>>> cutoffs =
        store_.ErasureCutoffs({key}, /*look_always=*/true);
    if (!cutoffs.ok()) return cutoffs.status();
    cutoff = cutoffs->front();
  }
  if (cutoff && e.ts_ms <= *cutoff)
    return ErasedReplay(
        i, "the email address belonged to a customer erased here", *cutoff);
  return FieldError(
      i, "customer",
      absl::StrCat("unknown identity ",
                   IdentityName(*e.customer.identity_type, ref_norm_[i])));
}

// An identity may already belong to someone else. One that already leads
// to the event's customer (its own, or one merged with it) stays linked
// where it is. A link recorded before is a retry, and links nothing now:
// the identity may have been unlinked and linked elsewhere since.
absl::Status Recorder::CheckLinkOwners() {
  link_known_.assign(events_.size(), false);
  std::map<Link, std::size_t> first;  // the first new link of each identity
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const auto* link = std::get_if<Identity>(&events_[i].body);
    if (link == nullptr || !fresh_[i]) continue;
    const auto [it, inserted] =
        first.try_emplace({link->type, link_norm_[i]}, i);
    if (!inserted && who_[it->second].root != who_[i].root) {
      return FieldError(
          i, "identity.value",
          absl::StrCat(IdentityName(link->type, link_norm_[i]),
                       " is linked to another customer earlier in this batch"));
    }
    absl::StatusOr<std::optional<Resolved>> owner =
        store_.ResolveIdentity(link->type, link_norm_[i]);
    if (!owner.ok()) return owner.status();
    if (!*owner) continue;
    if ((*owner)->root == who_[i].root) {
      link_known_[i] = true;
      continue;
    }
    const std::vector<IdentityType>& automatic =
        store_.options_.identity.auto_merge_types;
    if (!slot_is_new_[slot_[i]] && std::find(automatic.begin(), automatic.end(),
                                             link->type) != automatic.end()) {
      auto_merge_ = AutoMerge{
          (*owner)->root_id, who_[i].root_id,
          absl::StrCat("automatic: ", IdentityName(link->type, link_norm_[i]),
                       " linked by event ", events_[i].id)};
      return NeedsMerge();
    }
    return FieldError(i, "identity.value",
                      absl::StrCat(IdentityName(link->type, link_norm_[i]),
                                   " is already linked to customer ",
                                   QuoteForError((*owner)->root_id)));
  }
  return absl::OkStatus();
}

// Gives every root customer of the batch a slot, and customers the store
// has never seen a new number.
absl::Status Recorder::NumberCustomers() {
  absl::flat_hash_map<std::string_view, std::uint32_t> slot_of;
  slot_.resize(events_.size());
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const auto [it, inserted] = slot_of.try_emplace(
        who_[i].root_id, static_cast<std::uint32_t>(slot_customer_.size()));
    if (inserted) {
      slot_customer_.push_back(who_[i].root_id);
      slot_number_.push_back(who_[i].root);
    }
    slot_[i] = it->second;
  }
  if (absl::Status s = RefuseErased(); !s.ok()) return s;
  const std::size_t slots = slot_customer_.size();
  slot_is_new_.resize(slots);
  for (std::size_t s = 0; s < slots; ++s) {
    slot_is_new_[s] = slot_number_[s] == 0;
    if (slot_is_new_[s]) slot_number_[s] = store_.directory_->Allocate();
  }
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (who_[i].own == 0) who_[i].own = who_[i].root = slot_number_[slot_[i]];
  }
  deltas_.resize(slots);
  has_delta_.resize(slots);
  slot_stripe_.resize(slots);
  slot_latest_.resize(slots);
  for (std::size_t s = 0; s < slots; ++s)
    slot_stripe_[s] = StoreImpl::StripeOf(slot_customer_[s]);
  slot_buffered_.resize(slots);
  return absl::OkStatus();
}

// An event of an erased customer dated up to its erasure replays erased
// data (a terminal's outbox, a re-import): the whole batch is refused.
absl::Status Recorder::RefuseErased() const {
  absl::StatusOr<std::vector<std::optional<std::int64_t>>> cutoffs =
      store_.ErasureCutoffs(slot_customer_);
  if (!cutoffs.ok()) return cutoffs.status();
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const std::optional<std::int64_t> cutoff = (*cutoffs)[slot_[i]];
    if (!cutoff || events_[i].ts_ms > *cutoff) continue;
    return ErasedReplay(
        i,
        absl::StrCat("customer ", QuoteForError(slot_customer_[slot_[i]]),
                     " was erased"),
        *cutoff);
  }
  return absl::OkStatus();
}

// Customers an earlier process left with breakdowns in its buffer (a crash)
// get theirs refolded from history first: counting their distinct products
// needs every product they ordered.
absl::Status Recorder::SettleStale() const {
  for (std::size_t slot = 0; slot < slot_customer_.size(); ++slot) {
    if (slot_is_new_[slot] || !store_.IsStale(slot_number_[slot])) continue;
    if (absl::Status s = store_.Settle(slot_number_[slot]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Marks the events recorded before, or earlier in this batch. A customer
// numbered by this call has recorded nothing, and one numbered earlier by
// this process nothing above what it remembers (LatestEvents): only the rest
// are looked up.
absl::Status Recorder::DropRecorded() {
  history_keys_.resize(events_.size());
  fresh_.assign(events_.size(), false);
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  std::vector<rocksdb::Slice> lookups;
  std::vector<std::size_t> looked_up;
  absl::flat_hash_set<std::string_view> seen;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    history_keys_[i] = keys::HistoryKey(who_[i].own, e.ts_ms, e.id, e.kind());
    if (!seen.insert(history_keys_[i]).second) continue;  // twice in batch
    fresh_[i] = true;
    if (slot_is_new_[slot_[i]]) continue;
    if (OwnHistory(i) &&
        LatestOf(slot_[i]).CertainlyNew(slot_number_[slot_[i]], NameOf(e)))
      continue;
    cfs.push_back(db_.history(keys::HistoryCfOf(e.kind())));
    lookups.emplace_back(history_keys_[i]);
    looked_up.push_back(i);
  }
  if (lookups.empty()) return absl::OkStatus();
  std::vector<rocksdb::PinnableSlice> values(lookups.size());
  std::vector<rocksdb::Status> statuses(lookups.size());
  db_.db()->MultiGet(rocksdb::ReadOptions(), lookups.size(), cfs.data(),
                     lookups.data(), values.data(), statuses.data());
  for (std::size_t k = 0; k < lookups.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok())
      return FromRocks(statuses[k], "checking for recorded events");
    fresh_[looked_up[k]] = false;
  }
  return absl::OkStatus();
}

// A link made in this batch is written only if the event making it is
// recorded now. One recognised as recorded before (its name may even have
// come with another identity) writes nothing, so what was resolved through
// it must resolve through the store instead.
absl::Status Recorder::CheckBatchLinks() const {
  if (resolved_in_batch_.empty()) return absl::OkStatus();
  std::set<Link> written;
  for (std::size_t j = 0; j < events_.size(); ++j) {
    const auto* link = std::get_if<Identity>(&events_[j].body);
    if (link != nullptr && fresh_[j])
      written.emplace(link->type, link_norm_[j]);
  }
  for (std::size_t i : resolved_in_batch_) {
    const CustomerRef& ref = events_[i].customer;
    if (written.count({*ref.identity_type, ref_norm_[i]}) > 0) continue;
    absl::StatusOr<std::optional<keys::CustomerNumber>> owner =
        store_.directory_->FindIdentity(*ref.identity_type, ref_norm_[i]);
    if (!owner.ok()) return owner.status();
    if (!*owner || **owner != who_[i].own) {
      return FieldError(
          i, "customer",
          absl::StrCat("unknown identity ",
                       IdentityName(*ref.identity_type, ref_norm_[i]),
                       ": the event in this batch that links it was "
                       "already recorded, with another identity"));
    }
  }
  return absl::OkStatus();
}

// Puts each new event into history (and its link into the directory) and
// folds it into its customer's profile and breakdowns deltas.
absl::Status Recorder::Fold() {
  rocksdb::Status s;
  std::vector<std::size_t> fresh;
  std::set<Link> linked;
  for (std::size_t i = 0; i < events_.size() && s.ok(); ++i) {
    if (!fresh_[i]) {
      ++result_.already_recorded;
      continue;
    }
    ++result_.recorded;
    fresh.push_back(i);
    const Event& e = events_[i];
    const std::uint32_t slot = slot_[i];
    if (const auto* link = std::get_if<Identity>(&e.body);
        link != nullptr && !link_known_[i] &&
        linked.emplace(link->type, link_norm_[i]).second) {
      s = store_.directory_->AddIdentity(batch_, link->type, link_norm_[i],
                                         who_[i].own);
    }
    // The profile is the root's: its id, whoever the event named.
    if (has_delta_[slot]) {
      fold::Join(deltas_[slot], fold::DeltaOf(e, slot_customer_[slot]));
      slot_latest_[slot] = std::max(slot_latest_[slot], NameOf(e));
    } else {
      deltas_[slot] = fold::DeltaOf(e, slot_customer_[slot]);
      has_delta_[slot] = true;
      slot_latest_[slot] = NameOf(e);
    }
    breakdowns_.Add(slot, e);
  }
  std::vector<std::string> encoded(events_.size());
  for (std::size_t i : fresh)
    encoded[i] = EncodeEvent(events_[i], who_[i].own_id);
  if (s.ok()) s = Queue(fresh, encoded);
  // In key order: each memtable's skip list then finds a key's place from
  // the previous one's instead of from its top.
  std::sort(fresh.begin(), fresh.end(), [&](std::size_t a, std::size_t b) {
    return std::forward_as_tuple(events_[a].kind(), history_keys_[a]) <
           std::forward_as_tuple(events_[b].kind(), history_keys_[b]);
  });
  for (std::size_t k = 0; k < fresh.size() && s.ok(); ++k) {
    const std::size_t i = fresh[k];
    s = batch_.Put(db_.history(keys::HistoryCfOf(events_[i].kind())),
                   history_keys_[i], encoded[i]);
  }
  if (!s.ok()) return FromRocks(s, "building the write batch");
  breakdown_deltas_ = breakdowns_.Finish();
  return absl::OkStatus();
}

// A store with an outbox queues each new event, in the order of the call,
// in the batch that records it: no event is recorded without being queued,
// nor queued without being recorded. Duplicates were dropped before, so a
// retry queues nothing; events that came from head office
// (RecordOptions::outbox false) are not queued at all. The value is the history
// value: the event under the id of the customer it named (an identity resolved
// here, where it was linked).
rocksdb::Status Recorder::Queue(const std::vector<std::size_t>& fresh,
                                const std::vector<std::string>& encoded) {
  if (db_.outbox() == nullptr || !queue_ || fresh.empty())
    return rocksdb::Status::OK();
  const std::uint64_t first = store_.next_outbox_.fetch_add(fresh.size());
  rocksdb::Status s;
  for (std::size_t k = 0; k < fresh.size() && s.ok(); ++k)
    s = batch_.Put(db_.outbox(), keys::OutboxKey(first + k), encoded[fresh[k]]);
  return s;
}

// Distinct products: a product is new to the customer if neither the store
// nor an earlier batch recorded an order of it. A customer numbered now has
// none; known products come from the cache, or else from the stored
// breakdowns, read as RocksDB holds them (GetMergeOperands; a Get would merge
// and re-encode every row of the customer) and searched in place. A customer
// that misses again soon gets its whole set loaded into the cache.
absl::Status Recorder::CountNewProducts() {
  std::vector<rocksdb::PinnableSlice> operands;
  KnownProducts& known = store_.known_products_;
  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas_) {
    const std::vector<std::string_view>& skus = bd.ordered_skus;
    if (skus.empty()) continue;
    const std::string_view customer = slot_customer_[bd.customer];
    std::optional<std::int64_t> new_products;
    if (slot_is_new_[bd.customer]) {
      new_products = static_cast<std::int64_t>(skus.size());
    } else {
      new_products = known.CountNew(customer, skus);
      // A customer the product cache holds buys often: its breakdowns are
      // worth buffering.
      slot_buffered_[bd.customer] = buffered() && new_products.has_value();
    }
    if (!new_products) {
      absl::StatusOr<std::int64_t> counted =
          CountFromStore(bd.customer, skus, operands);
      if (!counted.ok()) return counted.status();
      new_products = *counted;
    }
    deltas_[bd.customer].purchases.distinct_products += *new_products;
  }
  return absl::OkStatus();
}

// How many of `skus` the customer has never ordered, by the products in the
// breakdowns buffer and the stored breakdowns. A customer that misses the
// product cache again soon gets its whole set loaded.
absl::StatusOr<std::int64_t> Recorder::CountFromStore(
    std::uint32_t slot, const std::vector<std::string_view>& skus,
    std::vector<rocksdb::PinnableSlice>& operands) {
  const std::vector<std::string> buffered =
      store_.breakdowns_buffer_.OrderedSkus(slot_number_[slot]);
  std::vector<std::string_view> unbuffered;
  for (std::string_view sku : skus) {
    if (!std::binary_search(buffered.begin(), buffered.end(), sku))
      unbuffered.push_back(sku);
  }
  absl::StatusOr<std::vector<std::string_view>> stored =
      store_.StoredBreakdowns(slot_number_[slot], operands);
  if (!stored.ok()) return stored.status();
  std::int64_t new_products = 0;
  const std::string_view customer = slot_customer_[slot];
  if (store_.known_products_.Admit(customer)) {
    std::vector<std::string> have = fold::OrderedSkus(*stored);
    new_products = std::count_if(
        unbuffered.begin(), unbuffered.end(), [&](std::string_view sku) {
          return !std::binary_search(have.begin(), have.end(), sku);
        });
    std::vector<std::string> all;
    std::merge(have.begin(), have.end(), buffered.begin(), buffered.end(),
               std::back_inserter(all));
    all.erase(std::unique(all.begin(), all.end()), all.end());
    loaded_.emplace_back(customer, std::move(all));
    slot_buffered_[slot] = this->buffered();
  } else {
    new_products = fold::CountNewProducts(*stored, unbuffered);
  }
  for (rocksdb::PinnableSlice& operand : operands) operand.Reset();
  return new_products;
}

// New customers' directory entries, and one breakdowns and one profile merge
// per customer with new events.
absl::Status Recorder::AddMerges() {
  rocksdb::Status s;
  // In key order, as history in Fold().
  std::vector<std::uint32_t> slots;
  for (std::uint32_t slot = 0; slot < slot_customer_.size(); ++slot)
    if (has_delta_[slot]) slots.push_back(slot);
  const auto by_number = [&](std::uint32_t a, std::uint32_t b) {
    return slot_number_[a] < slot_number_[b];
  };
  std::sort(slots.begin(), slots.end(), by_number);
  for (std::size_t k = 0; k < slots.size() && s.ok(); ++k) {
    const std::uint32_t slot = slots[k];
    if (slot_is_new_[slot]) {
      s = store_.directory_->AddCustomer(batch_, slot_customer_[slot],
                                         slot_number_[slot]);
    }
    if (s.ok()) {
      s = batch_.Merge(db_.profiles(), keys::CustomerKey(slot_number_[slot]),
                       codec::EncodeOperand(deltas_[slot]));
    }
  }
  // Frequent buyers' breakdowns go to the buffer after the write, and a
  // customer's first delta there comes with its pending marker, in this
  // batch. The others' are merged now: for a customer seen once in a while
  // the marker and its deletion would cost more than the merge they save.
  std::sort(breakdown_deltas_.begin(), breakdown_deltas_.end(),
            [&](const auto& a, const auto& b) {
              return by_number(a.customer, b.customer);
            });
  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas_) {
    if (!s.ok()) break;
    const keys::CustomerNumber number = slot_number_[bd.customer];
    const bool held = buffered() && store_.breakdowns_buffer_.Holds(number);
    if (held) {
      slot_buffered_[bd.customer] = true;
    } else if (slot_buffered_[bd.customer]) {
      s = batch_.Put(db_.pending(), keys::CustomerKey(number),
                     rocksdb::Slice());
    } else {
      s = batch_.Merge(db_.breakdowns(), keys::CustomerKey(number),
                       codec::EncodeOperand(bd.state));
    }
  }
  return FromRocks(s, "building the write batch");
}

// After the write: raise what the duplicate check remembers, or, if the
// write failed (it may still have reached the store), forget it.
void Recorder::UpdateLatest(bool written) {
  for (std::uint32_t slot = 0; slot < slot_customer_.size(); ++slot) {
    if (!has_delta_[slot]) continue;
    LatestEvents& latest = LatestOf(slot);
    if (!written) {
      latest.Forget(slot_number_[slot]);
    } else if (slot_is_new_[slot]) {
      latest.Track(slot_number_[slot], slot_latest_[slot]);
    } else {
      latest.Raise(slot_number_[slot], slot_latest_[slot]);
    }
  }
}

// After a successful write only: the caches never know more than the store.
void Recorder::UpdateBuffers() {
  std::vector<std::pair<std::string_view, keys::CustomerNumber>> numbered;
  for (std::uint32_t slot = 0; slot < slot_customer_.size(); ++slot) {
    if (slot_is_new_[slot] && has_delta_[slot])
      numbered.emplace_back(slot_customer_[slot], slot_number_[slot]);
  }
  store_.directory_->Remember(numbered);
  for (fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas_) {
    if (slot_buffered_[bd.customer]) {
      store_.breakdowns_buffer_.Add(slot_number_[bd.customer],
                                    slot_stripe_[bd.customer],
                                    std::move(bd.state));
    }
  }
  KnownProducts& known = store_.known_products_;
  for (const auto& [customer, skus] : loaded_) known.Put(customer, skus);
  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas_) {
    if (!bd.ordered_skus.empty())
      known.Add(slot_customer_[bd.customer], bd.ordered_skus);
  }
}

}  // namespace engine
}  // namespace ckm
