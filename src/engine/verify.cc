// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Verify and Rebuild: the stored profile and breakdowns against the fold of
// the customer's history.

#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "codec/operand.h"
#include "engine/store_impl.h"
#include "quote.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::size_t kMaxReportedProblems = 100;

// Calls fn(value) for each key starting with `prefix`, in order.
template <typename Fn>
absl::Status ForEachWithPrefix(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                               const std::string& prefix, Fn&& fn) {
  rocksdb::ReadOptions read;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, cf));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    if (absl::Status s = fn(it->value().ToStringView()); !s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning history");
}

// Stored breakdowns as this build encodes them, for a FlatBuffers value of
// format 3.1 (which holds the same rows in another form); nullopt for any
// other value, which must match as it is.
std::optional<std::string> Canonical(std::string_view stored_breakdowns) {
  if (codec::IsOperand(stored_breakdowns)) return std::nullopt;
  absl::StatusOr<fold::Breakdowns> decoded =
      fold::DecodeBreakdowns(stored_breakdowns);
  if (!decoded.ok()) return std::nullopt;
  return fold::Encode(*decoded);
}

// Compares the stored bytes under `key` of `cf` with `expected` (empty: the
// value should be absent). Sets `matches` and, on a mismatch, `detail`;
// `unreadable` when the value's block fails its checksum. `canonical`, if
// given, turns a stored value of an older form into this build's bytes
// (nullopt: it has to match as it is).
absl::Status Compare(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& key,
    const std::string& expected, std::string_view what, bool& matches,
    std::string& detail, bool& unreadable,
    std::optional<std::string> (*canonical)(std::string_view) = nullptr) {
  std::string stored;
  const rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, key, &stored);
  if (s.IsNotFound()) {
    matches = expected.empty();
    if (!matches && detail.empty())
      detail = absl::StrCat(Av(what), " missing although history exists");
    return absl::OkStatus();
  }
  if (s.IsCorruption()) {  // a damaged block: Rebuild replaces it
    matches = false;
    unreadable = true;
    if (detail.empty())
      detail =
          absl::StrCat("stored ", Av(what), " is unreadable: ", s.ToString());
    return absl::OkStatus();
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", Av(what)));
  // A value where none should be never matches, even an empty one.
  matches = !expected.empty() && stored == expected;
  if (!matches && !expected.empty() && canonical != nullptr) {
    const std::optional<std::string> current = canonical(stored);
    matches = current.has_value() && *current == expected;
  }
  if (!matches && detail.empty())
    detail = absl::StrCat("stored ", Av(what),
                          " differs from the fold of its history");
  return absl::OkStatus();
}

}  // namespace

absl::Status StoreImpl::FoldHistory(
    std::string_view root_id, const std::vector<keys::CustomerNumber>& numbers,
    Folded& folded) const {
  for (keys::CustomerNumber number : numbers) {
    const std::string prefix = keys::CustomerKey(number);
    for (rocksdb::ColumnFamilyHandle* cf : db_->history()) {
      absl::Status s =
          ForEachWithPrefix(db_->db(), cf, prefix, [&](std::string_view value) {
            absl::StatusOr<Event> event = DecodeEvent(value);
            if (!event.ok()) {
              ++folded.corrupt_history;
              return absl::OkStatus();
            }
            ++folded.events;
            fold::Join(folded.profile, fold::DeltaOf(*event, root_id));
            fold::Join(folded.breakdowns, fold::BreakdownsOf(*event));
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
    }
  }
  folded.profile.purchases.distinct_products =
      fold::OrderedProducts(folded.breakdowns);
  return absl::OkStatus();
}

// The customer's group: the root's profile and breakdowns against the fold
// of the history of every customer merged into it.
absl::StatusOr<CustomerReport> StoreImpl::VerifyLocked(
    std::string_view customer_id, const Resolved& who,
    Folded* folded_out) const {
  Folded folded;
  if (absl::Status s = FoldHistory(who.root_id, GroupOf(who.root), folded);
      !s.ok())
    return s;
  CustomerReport report;
  report.customer_id = std::string(customer_id);
  report.corrupt_history = folded.corrupt_history;
  const std::string key = keys::CustomerKey(who.root);
  const std::string profile =
      folded.events > 0 ? fold::Encode(folded.profile) : std::string();
  absl::Status s =
      Compare(db_->db(), db_->profiles(), key, profile, "profile",
              report.profile_matches, report.detail, folded.unreadable_profile);
  if (!s.ok()) return s;
  s = CompareBreakdowns(who.root, folded.breakdowns, report,
                        folded.unreadable_breakdowns);
  if (!s.ok()) return s;
  if (!report.profile_matches) {
    // Say why when the stored profile holds counted corrupt operands.
    std::string stored;
    if (db_->db()
            ->Get(rocksdb::ReadOptions(), db_->profiles(), key, &stored)
            .ok()) {
      absl::StatusOr<fold::ProfileState> state = fold::DecodeProfile(stored);
      if (!state.ok()) {
        report.detail = "stored profile is corrupt";
      } else {
        report.corrupt_operands = state->corrupt_operands;
      }
    }
  }
  if (report.corrupt_history > 0 && report.detail.empty())
    report.detail = "history holds events that fail verification";
  if (folded_out != nullptr) *folded_out = std::move(folded);
  return report;
}

// The stored value joined with the buffer's delta, against the fold. A
// stale customer's stored value lacks events by design until it is settled:
// what it reads as is the fold itself, so there is nothing to compare.
absl::Status StoreImpl::CompareBreakdowns(keys::CustomerNumber number,
                                          const fold::Breakdowns& folded,
                                          CustomerReport& report,
                                          bool& unreadable) const {
  const std::string expected =
      folded.empty() ? std::string() : fold::Encode(folded);
  if (!breakdowns_buffer_.Holds(number)) {
    absl::StatusOr<bool> pending = HasPendingMarker(number);
    if (!pending.ok()) return pending.status();
    if (*pending) return absl::OkStatus();
    return Compare(db_->db(), db_->breakdowns(), keys::CustomerKey(number),
                   expected, "breakdowns", report.breakdowns_match,
                   report.detail, unreadable, &Canonical);
  }
  absl::StatusOr<fold::Breakdowns> current = CurrentBreakdowns(number);
  if (!current.ok() && !absl::IsDataLoss(current.status()))
    return current.status();
  report.breakdowns_match = current.ok() && fold::Encode(*current) == expected;
  if (!report.breakdowns_match && report.detail.empty()) {
    report.detail =
        current.ok() ? "stored breakdowns differ from the fold of the history"
                     : "stored breakdowns are corrupt";
  }
  return absl::OkStatus();
}

absl::StatusOr<CustomerReport> StoreImpl::Verify(
    std::string_view customer_id) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  std::optional<StripeLocks> locks;
  absl::StatusOr<std::vector<Resolved>> who =
      LockResolved({customer_id}, {}, locks);
  if (!who.ok()) return who.status();
  return VerifyLocked(customer_id, who->front(), nullptr);
}

absl::StatusOr<StoreReport> StoreImpl::VerifyAll() const {
  return ForAllCustomers([this](const std::string& c) {
    std::optional<StripeLocks> locks;
    absl::StatusOr<std::vector<Resolved>> who = LockResolved({c}, {}, locks);
    if (!who.ok()) return absl::StatusOr<CustomerReport>(who.status());
    return VerifyLocked(c, who->front(), nullptr);
  });
}

absl::StatusOr<CustomerReport> StoreImpl::Rebuild(
    std::string_view customer_id) {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (absl::Status s = CheckWritable("Rebuild"); !s.ok()) return s;
  std::optional<StripeLocks> locks;
  absl::StatusOr<std::vector<Resolved>> who =
      LockResolved({customer_id}, {}, locks);
  if (!who.ok()) return who.status();
  absl::StatusOr<CustomerReport> report =
      RebuildLocked(customer_id, who->front());
  locks.reset();  // retiring a damaged table rebuilds its other customers
  if (!report.ok()) return report;
  if (absl::Status s = RetireDamagedTables(); !s.ok()) return s;
  return report;
}

rocksdb::Status StoreImpl::AddRebuilt(
    rocksdb::WriteBatch& batch, keys::CustomerNumber root,
    const std::vector<keys::CustomerNumber>& group, const Folded& folded) {
  rocksdb::Status s;
  for (std::size_t k = 0; k < group.size() && s.ok(); ++k) {
    const std::string key = keys::CustomerKey(group[k]);
    if (group[k] == root) {
      s = folded.events > 0
              ? batch.Put(db_->profiles(), key, fold::Encode(folded.profile))
              : batch.Delete(db_->profiles(), key);
      if (s.ok()) {
        s = folded.breakdowns.empty()
                ? batch.Delete(db_->breakdowns(), key)
                : batch.Put(db_->breakdowns(), key,
                            fold::Encode(folded.breakdowns));
      }
    } else {  // a merged customer's events live in its root's profile
      s = batch.Delete(db_->profiles(), key);
      if (s.ok()) s = batch.Delete(db_->breakdowns(), key);
    }
    if (s.ok()) s = batch.Delete(db_->pending(), key);
  }
  return s;
}

void StoreImpl::ForgetRebuilt(keys::CustomerNumber root,
                              std::string_view root_id) {
  known_products_.Forget(root_id);
  breakdowns_buffer_.Drop(root);
  std::lock_guard<std::mutex> stale_lock(stale_mu_);
  stale_.erase(root);
}

// Writes the fold of the group's history over its root's profile and
// breakdowns and clears what the buffer and the journal held for it.
absl::StatusOr<CustomerReport> StoreImpl::RebuildLocked(
    std::string_view customer_id, const Resolved& who, bool note_damage) {
  Folded folded;
  absl::StatusOr<CustomerReport> report =
      VerifyLocked(customer_id, who, &folded);
  if (!report.ok()) return report;
  rocksdb::WriteBatch batch;
  rocksdb::Status s = AddRebuilt(batch, who.root, GroupOf(who.root), folded);
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!s.ok()) {
    known_products_.Forget(who.root_id);
    return FromRocks(s, "rebuilding profile");
  }
  ForgetRebuilt(who.root, who.root_id);
  if (note_damage && folded.unreadable_profile)
    NoteDamagedBlock(db_->profiles(), keys::CustomerKey(who.root));
  if (note_damage && folded.unreadable_breakdowns)
    NoteDamagedBlock(db_->breakdowns(), keys::CustomerKey(who.root));
  return report;
}

absl::StatusOr<StoreReport> StoreImpl::RebuildAll() {
  if (absl::Status s = CheckWritable("RebuildAll"); !s.ok()) return s;
  if (absl::Status s = SettleAllStale(); !s.ok()) return s;
  absl::StatusOr<StoreReport> report = ForAllCustomers(
      [this](const std::string& c) { return RebuildIfDamaged(c); });
  if (!report.ok()) return report;
  if (absl::Status s = RetireDamagedTables(); !s.ok()) return s;
  return report;
}

absl::StatusOr<CustomerReport> StoreImpl::RebuildIfDamaged(
    const std::string& customer) {
  std::optional<StripeLocks> locks;
  absl::StatusOr<std::vector<Resolved>> who =
      LockResolved({customer}, {}, locks);
  if (!who.ok()) return who.status();
  absl::StatusOr<CustomerReport> report =
      VerifyLocked(customer, who->front(), nullptr);
  if (!report.ok() || report->ok()) return report;
  return RebuildLocked(customer, who->front());
}

// Every customer in the directory, in number order, and then every customer
// number that has history but no directory entry: such history cannot be
// named by any id, so it is reported, not rebuilt.
absl::StatusOr<StoreReport> StoreImpl::ForAllCustomers(
    const std::function<absl::StatusOr<CustomerReport>(const std::string&)>&
        check) const {
  StoreReport report;
  auto add = [&report](const CustomerReport& one) {
    ++report.customers;
    if (one.ok()) return;
    ++report.damaged;
    if (report.problems.size() < kMaxReportedProblems)
      report.problems.push_back(one);
  };
  std::map<keys::CustomerNumber, std::string> customers;
  absl::Status s = directory_->ForEach(
      [&](keys::CustomerNumber number, std::string_view id) {
        customers.emplace(number, std::string(id));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  for (const auto& [number, id] : customers) {
    // A merged customer is checked with its root, once.
    if (directory_->Parent(number)) continue;
    absl::StatusOr<CustomerReport> one = check(id);
    if (!one.ok()) return one.status();
    add(*one);
  }
  for (rocksdb::ColumnFamilyHandle* cf : db_->history()) {
    rocksdb::ReadOptions read;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(read, cf));
    for (it->SeekToFirst(); it->Valid();) {
      const std::optional<keys::CustomerNumber> number =
          keys::NumberOf(it->key().ToStringView());
      if (!number) {  // a key too short for a number
        it->Next();
        continue;
      }
      if (customers.count(*number) == 0) {
        customers.emplace(*number, std::string());
        CustomerReport orphan;
        orphan.customer_id = absl::StrCat("#", *number);
        orphan.profile_matches = false;
        orphan.detail = "history of a customer number with no directory entry";
        add(orphan);
      }
      if (*number == ~keys::CustomerNumber{0}) break;
      it->Seek(keys::CustomerKey(*number + 1));  // past this customer
    }
    if (!it->status().ok()) return FromRocks(it->status(), "listing history");
  }
  return report;
}

}  // namespace ckm::engine
