// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "ckm/store.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "engine/known_products.h"
#include "fold/fold.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/merge_operator.h"
#include "storage/store_internal.h"
#include "string_util.h"
#include "validate.h"

namespace ckm {
namespace {

// Bump when the meaning of stored bytes changes; a store written with another
// version is refused on open.
constexpr char kFormatVersion[] = "2";
constexpr char kMetaFormatVersion[] = "ckm.format_version";
constexpr char kMetaProfileOperator[] = "ckm.profile_merge_operator";
constexpr char kMetaBreakdownOperator[] = "ckm.breakdown_merge_operator";

constexpr std::size_t kLockStripes = 4096;
constexpr std::size_t kMaxReportedProblems = 100;
// Merge operands expected per breakdowns key on the write path: up to
// 4 * max_merge_depth (64 by default) in the memtable, a few more from
// unflushed and level-0 files. More only cost a second call.
constexpr std::size_t kMergeOperandsGuess = 80;

absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(Av(context), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() ||
      s.IsAborted() || s.IsIncomplete() || s.IsShutdownInProgress()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

// The part of a per-customer key up to and including its first 0x00: all of
// one customer's keys share it, so prefix bloom filters serve per-customer
// scans.
class CustomerPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "ckm.CustomerPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), 0, key.size());
    return rocksdb::Slice(key.data(),
                          static_cast<const char*>(nul) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

// A customer id given to a read call: the same rules as in events.
absl::Status CheckCustomerId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes ||
      id.find('\0') != std::string_view::npos || !IsValidUtf8(id)) {
    return absl::InvalidArgumentError(
        "customer_id: must be 1..128 bytes of UTF-8 without NUL");
  }
  return absl::OkStatus();
}

std::string IdentityName(IdentityType type, std::string_view value) {
  return absl::StrCat(Av(ToString(type)), ":", Av(value));
}

BreakdownEntry ToEntry(std::string key, const fold::BreakdownState& s) {
  BreakdownEntry e;
  e.key = std::move(key);
  e.orders = s.orders;
  e.returns = s.returns;
  e.units = s.units;
  e.returned_units = s.returned_units;
  if (s.orders > 0) {
    e.first_purchase_ms = s.first_purchase_ms;
    e.last_purchase_ms = s.last_purchase_ms;
  }
  for (const auto& [currency, m] : s.money) {
    e.money.push_back({currency, m.gross_micros, m.returned_micros});
  }
  return e;
}

// A customer's profile and breakdowns as folded from their history.
struct Folded {
  fold::ProfileState profile;
  fold::Breakdowns breakdowns;
  std::int64_t corrupt_history = 0;
  std::int64_t events = 0;
};

class StoreImpl final : public Store {
 public:
  StoreImpl(std::unique_ptr<rocksdb::DB> db,
            std::vector<rocksdb::ColumnFamilyHandle*> handles,
            const StoreOptions& options)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        options_(options),
        known_products_(options.known_products_cache) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) by_name_[h->GetName()] = h;
    profiles_ = by_name_.at(keys::kProfilesCf);
    breakdowns_ = by_name_.at(keys::kBreakdownsCf);
    identities_ = by_name_.at(keys::kIdentitiesCf);
    history_[0] = by_name_.at(keys::kPurchasesCf);
    history_[1] = by_name_.at(keys::kInteractionsCf);
    history_[2] = by_name_.at(keys::kLoyaltyCf);
    history_[3] = by_name_.at(keys::kChangesCf);
  }

  ~StoreImpl() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_)
      db_->DestroyColumnFamilyHandle(h);
    // Close() flushes memtables holding unlogged (kNone) writes.
    db_->Close().PermitUncheckedError();
  }

  absl::StatusOr<RecordResult> Record(const Event& event,
                                      const RecordOptions& options) override {
    return Record(absl::MakeConstSpan(&event, 1), options);
  }

  absl::StatusOr<RecordResult> Record(absl::Span<const Event> events,
                                      const RecordOptions& options) override;

  absl::StatusOr<Profile> Get(std::string_view customer_id) const override {
    if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
    std::string bytes;
    const rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), profiles_, customer_id, &bytes);
    if (s.IsNotFound())
      return absl::NotFoundError(
          absl::StrCat("no customer \"", Av(customer_id), "\""));
    if (!s.ok()) return FromRocks(s, "reading profile");
    return Profile::FromBytes(std::move(bytes));
  }

  absl::Status ForEachProfile(
      const std::function<bool(const Profile&)>& visit) const override {
    rocksdb::ReadOptions read;
    read.fill_cache = false;  // a full scan must not evict the working set
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, profiles_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::StatusOr<Profile> profile =
          Profile::FromBytes(it->value().ToString());
      if (!profile.ok()) {
        return absl::DataLossError(
            absl::StrCat("profile of customer \"", it->key().ToString(),
                         "\": ", profile.status().message()));
      }
      if (!visit(*profile)) break;
    }
    return FromRocks(it->status(), "scanning profiles");
  }

  absl::StatusOr<StoreStats> Stats() const override {
    auto count = [&](rocksdb::ColumnFamilyHandle* cf) {
      std::uint64_t n = 0;
      db_->GetIntProperty(cf, rocksdb::DB::Properties::kEstimateNumKeys, &n);
      return static_cast<std::int64_t>(n);
    };
    StoreStats stats;
    stats.customers = count(profiles_);
    stats.purchases = count(history_[0]);
    stats.interactions = count(history_[1]);
    stats.loyalty = count(history_[2]);
    stats.changes = count(history_[3]);
    stats.customers_with_breakdowns = count(breakdowns_);
    stats.identities = count(identities_);
    for (rocksdb::ColumnFamilyHandle* cf : handles_) {
      std::uint64_t sst = 0, mem = 0;
      db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize,
                          &sst);
      db_->GetIntProperty(cf, rocksdb::DB::Properties::kSizeAllMemTables, &mem);
      stats.disk_bytes += static_cast<std::int64_t>(sst);
      stats.memtable_bytes += static_cast<std::int64_t>(mem);
    }
    rocksdb::VectorLogPtr wal_files;
    if (db_->GetSortedWalFiles(wal_files).ok()) {
      for (const auto& f : wal_files)
        stats.disk_bytes += static_cast<std::int64_t>(f->SizeFileBytes());
    }
    return stats;
  }

  absl::StatusOr<std::string> Resolve(IdentityType type,
                                      std::string_view value) const override {
    std::string customer;
    const rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), identities_,
                 keys::IdentityKey(type, value), &customer);
    if (s.IsNotFound()) {
      return absl::NotFoundError(
          absl::StrCat("unknown identity ", IdentityName(type, value)));
    }
    if (!s.ok()) return FromRocks(s, "reading identity");
    return customer;
  }

  absl::StatusOr<Events> History(std::string_view customer_id,
                                 const HistoryQuery& query) const override {
    if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    if (query.kind) {
      cfs.push_back(history_[static_cast<int>(keys::HistoryCfOf(*query.kind))]);
    } else {
      cfs.assign(history_.begin(), history_.end());
    }
    Events out;
    for (rocksdb::ColumnFamilyHandle* cf : cfs) {
      if (absl::Status s = Scan(cf, customer_id, query, out); !s.ok()) return s;
    }
    if (cfs.size() > 1) {  // merge the per-family runs
      std::stable_sort(
          out.begin(), out.end(), [&](const Event& a, const Event& b) {
            return query.newest_first
                       ? std::tie(b.ts_ms, b.id) < std::tie(a.ts_ms, a.id)
                       : std::tie(a.ts_ms, a.id) < std::tie(b.ts_ms, b.id);
          });
      if (query.limit != 0 && out.size() > query.limit) out.resize(query.limit);
    }
    return out;
  }

  absl::StatusOr<Events> Timeline(std::string_view customer_id, TimeRange range,
                                  std::size_t limit) const override {
    HistoryQuery query;
    query.range = range;
    query.limit = limit;
    query.newest_first = true;
    return History(customer_id, query);
  }

  absl::StatusOr<std::vector<BreakdownEntry>> Breakdown(
      std::string_view customer_id, Dimension dimension) const override {
    if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
    if (dimension != Dimension::kProduct && dimension != Dimension::kStore &&
        dimension != Dimension::kCategory) {
      return absl::InvalidArgumentError("dimension: not a known dimension");
    }
    std::vector<BreakdownEntry> out;
    rocksdb::PinnableSlice bytes;
    const rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), breakdowns_, customer_id, &bytes);
    if (s.IsNotFound()) return out;
    if (!s.ok()) return FromRocks(s, "reading breakdowns");
    absl::StatusOr<fold::BreakdownMap> rows =
        fold::DecodeBreakdowns(bytes.ToStringView(), dimension);
    if (!rows.ok()) {
      return absl::DataLossError(absl::StrCat("breakdowns of customer \"",
                                              Av(customer_id),
                                              "\": ", rows.status().message()));
    }
    for (auto& [key, state] : *rows) out.push_back(ToEntry(key, state));
    return out;
  }

  absl::StatusOr<CustomerReport> Verify(
      std::string_view customer_id) const override {
    if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
    return VerifyLocked(customer_id, nullptr);
  }

  absl::StatusOr<StoreReport> VerifyAll() const override {
    return ForAllCustomers(
        [this](const std::string& c) { return VerifyLocked(c, nullptr); });
  }

  absl::StatusOr<CustomerReport> Rebuild(
      std::string_view customer_id) override {
    if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(stripes_[StripeOf(customer_id)]);
    Folded folded;
    absl::StatusOr<CustomerReport> report = VerifyLocked(customer_id, &folded);
    if (!report.ok()) return report;
    rocksdb::WriteBatch batch;
    rocksdb::Status s =
        folded.events > 0
            ? batch.Put(profiles_, customer_id, fold::Encode(folded.profile))
            : batch.Delete(profiles_, customer_id);
    if (s.ok()) {
      s = folded.breakdowns.empty()
              ? batch.Delete(breakdowns_, customer_id)
              : batch.Put(breakdowns_, customer_id,
                          fold::Encode(folded.breakdowns));
    }
    if (s.ok()) s = db_->Write(WriteOptionsFor(Durability::kSync), &batch);
    known_products_.Forget(customer_id);
    if (!s.ok()) return FromRocks(s, "rebuilding profile");
    return report;
  }

  absl::StatusOr<StoreReport> RebuildAll() override {
    return ForAllCustomers(
        [this](const std::string& c) { return RebuildIfDamaged(c); });
  }

  absl::Status Flush() override {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    return FromRocks(db_->Flush(flush, handles_), "flushing");
  }

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  static std::size_t StripeOf(std::string_view key) {
    return absl::HashOf(key) % kLockStripes;
  }

  rocksdb::WriteOptions WriteOptionsFor(Durability durability) const {
    rocksdb::WriteOptions w;
    w.sync = durability == Durability::kSync;
    w.disableWAL = durability == Durability::kNone;
    return w;
  }

  // Calls fn(key, value) for each key starting with `prefix`, in order.
  template <typename Fn>
  absl::Status ForEachWithPrefix(rocksdb::ColumnFamilyHandle* cf,
                                 const std::string& prefix, Fn&& fn) const {
    rocksdb::ReadOptions read;
    read.prefix_same_as_start = true;
    std::string upper = prefix;
    upper.back() = static_cast<char>(upper.back() + 1);
    rocksdb::Slice upper_slice(upper);
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (absl::Status s =
              fn(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()));
          !s.ok()) {
        return s;
      }
    }
    return FromRocks(it->status(), "scanning");
  }

  // Appends the customer's events of `cf` that match `query`, in the query's
  // order, at most query.limit of them.
  absl::Status Scan(rocksdb::ColumnFamilyHandle* cf,
                    std::string_view customer_id, const HistoryQuery& query,
                    Events& out) const {
    const std::string lower =
        keys::HistoryTimeBound(customer_id, query.range.since_ms);
    if (query.range.since_ms >= query.range.until_ms) return absl::OkStatus();
    const std::string upper =
        keys::HistoryTimeBound(customer_id, query.range.until_ms);
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_lower_bound = &lower_slice;
    read.iterate_upper_bound = &upper_slice;
    read.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf));
    std::size_t taken = 0;
    for (query.newest_first ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
         query.newest_first ? it->Prev() : it->Next()) {
      absl::StatusOr<Event> event =
          DecodeEvent(std::string_view(it->value().data(), it->value().size()));
      if (!event.ok()) {
        return absl::DataLossError(
            absl::StrCat("history of customer \"", Av(customer_id),
                         "\": ", event.status().message()));
      }
      if (query.kind && event->kind() != *query.kind) continue;
      out.push_back(*std::move(event));
      if (query.limit != 0 && ++taken >= query.limit) break;
    }
    return FromRocks(it->status(), "reading history");
  }

  // The customer's stored breakdowns as RocksDB holds them: a base value and
  // the merge operands not yet folded into it, unmerged. The views point into
  // `operands`, scratch space reused between calls; the caller resets it.
  absl::StatusOr<std::vector<std::string_view>> StoredBreakdowns(
      std::string_view customer,
      std::vector<rocksdb::PinnableSlice>& operands) const {
    if (operands.size() < kMergeOperandsGuess)
      operands.resize(kMergeOperandsGuess);
    rocksdb::GetMergeOperandsOptions options;
    int count = 0;
    rocksdb::Status s;
    do {  // more operands than room: grow to the count RocksDB gave, again
      if (static_cast<std::size_t>(count) > operands.size())
        operands.resize(count);
      options.expected_max_number_of_operands =
          static_cast<int>(operands.size());
      s = db_->GetMergeOperands(rocksdb::ReadOptions(), breakdowns_, customer,
                                operands.data(), &options, &count);
    } while (s.IsIncomplete() &&
             static_cast<std::size_t>(count) > operands.size());
    if (s.IsNotFound()) return std::vector<std::string_view>();
    if (!s.ok()) return FromRocks(s, "reading breakdowns");
    std::vector<std::string_view> stored;
    for (int k = 0; k < count; ++k)
      stored.push_back(operands[k].ToStringView());
    return stored;
  }

  // Folds the customer's whole history. Undecodable events are counted.
  absl::Status FoldHistory(std::string_view customer_id, Folded& folded) const {
    const std::string prefix = keys::CustomerPrefix(customer_id);
    for (rocksdb::ColumnFamilyHandle* cf : history_) {
      absl::Status s = ForEachWithPrefix(
          cf, prefix, [&](std::string_view, std::string_view value) {
            absl::StatusOr<Event> event = DecodeEvent(value);
            if (!event.ok()) {
              ++folded.corrupt_history;
              return absl::OkStatus();
            }
            ++folded.events;
            fold::Join(folded.profile, fold::DeltaOf(*event, customer_id));
            fold::Join(folded.breakdowns, fold::BreakdownsOf(*event));
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
    }
    folded.profile.purchases.distinct_products =
        fold::OrderedProducts(folded.breakdowns);
    return absl::OkStatus();
  }

  // Verify(); also hands back the fold when `folded` is set. The caller holds
  // the customer's lock when it is going to write.
  absl::StatusOr<CustomerReport> VerifyLocked(std::string_view customer_id,
                                              Folded* folded_out) const {
    Folded folded;
    if (absl::Status s = FoldHistory(customer_id, folded); !s.ok()) return s;
    CustomerReport report;
    report.customer_id = std::string(customer_id);
    report.corrupt_history = folded.corrupt_history;

    std::string stored;
    const rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), profiles_, customer_id, &stored);
    if (s.IsNotFound()) {
      if (folded.events == 0 && folded.corrupt_history == 0) {
        return absl::NotFoundError(
            absl::StrCat("no customer \"", Av(customer_id), "\""));
      }
      report.profile_matches = false;
      report.detail = "profile missing although history exists";
    } else if (!s.ok()) {
      return FromRocks(s, "reading profile");
    } else {
      absl::StatusOr<fold::ProfileState> state = fold::DecodeProfile(stored);
      if (!state.ok()) {
        report.profile_matches = false;
        report.detail = "stored profile is corrupt";
      } else {
        report.corrupt_operands = state->corrupt_operands;
        if (stored != fold::Encode(folded.profile)) {
          report.profile_matches = false;
          report.detail = "stored profile differs from the fold of its history";
        }
      }
    }

    std::string stored_breakdowns;
    const rocksdb::Status bs = db_->Get(rocksdb::ReadOptions(), breakdowns_,
                                        customer_id, &stored_breakdowns);
    if (bs.IsNotFound()) {
      report.breakdowns_match = folded.breakdowns.empty();
    } else if (!bs.ok()) {
      return FromRocks(bs, "reading breakdowns");
    } else {
      report.breakdowns_match =
          stored_breakdowns == fold::Encode(folded.breakdowns);
    }
    if (!report.breakdowns_match && report.detail.empty()) {
      report.detail = "stored breakdowns differ from the fold of the history";
    }
    if (report.corrupt_history > 0 && report.detail.empty()) {
      report.detail = "history holds events that fail verification";
    }
    if (report.corrupt_operands > 0 && report.detail.empty()) {
      report.detail = "profile left out corrupt merge operands";
    }
    if (folded_out != nullptr) *folded_out = std::move(folded);
    return report;
  }

  // Every customer with a profile or any history, in key order.
  absl::StatusOr<std::set<std::string>> AllCustomers() const {
    std::set<std::string> customers;
    {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), profiles_));
      for (it->SeekToFirst(); it->Valid(); it->Next())
        customers.insert(it->key().ToString());
      if (!it->status().ok())
        return FromRocks(it->status(), "listing profiles");
    }
    for (rocksdb::ColumnFamilyHandle* cf : history_) {
      rocksdb::ReadOptions read;
      read.total_order_seek = true;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf));
      for (it->SeekToFirst(); it->Valid();) {
        const std::string customer(keys::CustomerOf(it->key().ToStringView()));
        customers.insert(customer);
        std::string next = customer;
        next.push_back('\x01');  // past every key of this customer
        it->Seek(next);
      }
      if (!it->status().ok()) return FromRocks(it->status(), "listing history");
    }
    return customers;
  }

  // Runs `check` on every customer and sums up the reports.
  template <typename Check>
  absl::StatusOr<StoreReport> ForAllCustomers(Check&& check) const {
    absl::StatusOr<std::set<std::string>> customers = AllCustomers();
    if (!customers.ok()) return customers.status();
    StoreReport report;
    for (const std::string& customer : *customers) {
      ++report.customers;
      absl::StatusOr<CustomerReport> one = check(customer);
      if (!one.ok()) return one.status();
      if (!one->ok()) {
        ++report.damaged;
        if (report.problems.size() < kMaxReportedProblems)
          report.problems.push_back(*one);
      }
    }
    return report;
  }

  absl::StatusOr<CustomerReport> RebuildIfDamaged(const std::string& customer) {
    absl::StatusOr<CustomerReport> report = VerifyLocked(customer, nullptr);
    if (!report.ok() || report->ok()) return report;
    return Rebuild(customer);
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
  rocksdb::ColumnFamilyHandle* profiles_ = nullptr;
  rocksdb::ColumnFamilyHandle* breakdowns_ = nullptr;
  rocksdb::ColumnFamilyHandle* identities_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, keys::kHistoryCfCount> history_{};
  const StoreOptions options_;
  // Guarded per customer by the customer's stripe.
  KnownProducts known_products_;
  // Striped per-customer locks: Record() holds the stripes of every customer
  // (and identity) in its batch, in ascending order, from the duplicate check
  // to the end of the write, so that two threads recording the same event
  // count it once.
  //
  // std::mutex rather than absl::Mutex: a batch holds hundreds of stripes at
  // once, and Debian's Abseil runs its deadlock detector's lock graph on
  // every such acquisition (2% of an import's CPU). The stripes are always
  // taken in ascending order, so there is no cycle for it to find.
  mutable std::array<std::mutex, kLockStripes> stripes_;
};

// ---- Record
// -------------------------------------------------------------------

absl::StatusOr<RecordResult> StoreImpl::Record(absl::Span<const Event> events,
                                               const RecordOptions& options) {
  // 1. Validate everything before touching the store.
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = ValidateEvent(events[i], i); !s.ok()) return s;
  }
  if (events.empty()) return RecordResult{};

  // 2. Resolve identities: links made earlier in this batch first, then the
  // store. Identities are never unlinked, so resolving before taking the
  // locks is safe.
  std::vector<std::string> customers(events.size());
  std::map<std::pair<IdentityType, std::string>, std::string> batch_links;
  std::vector<std::size_t> resolved_in_batch;  // named through batch_links
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.customer.identity_type) {
      const auto key =
          std::make_pair(*e.customer.identity_type, e.customer.identity_value);
      if (auto it = batch_links.find(key); it != batch_links.end()) {
        customers[i] = it->second;
        resolved_in_batch.push_back(i);
      } else {
        absl::StatusOr<std::string> resolved = Resolve(key.first, key.second);
        if (absl::IsNotFound(resolved.status())) {
          return FieldError(i, "customer",
                            absl::StrCat("unknown identity ",
                                         IdentityName(key.first, key.second)));
        }
        if (!resolved.ok()) return resolved.status();
        customers[i] = *std::move(resolved);
      }
    } else {
      customers[i] = e.customer.id;
    }
    if (const auto* link = std::get_if<Identity>(&e.body)) {
      auto [it, inserted] =
          batch_links.try_emplace({link->type, link->value}, customers[i]);
      if (!inserted && it->second != customers[i]) {
        return FieldError(
            i, "identity.value",
            absl::StrCat(
                IdentityName(link->type, link->value),
                " is linked to another customer earlier in this batch"));
      }
    }
  }

  // 3. Lock every customer of the batch, and every identity it links.
  std::vector<std::size_t> stripes;
  stripes.reserve(customers.size() + batch_links.size());
  for (const std::string& c : customers) stripes.push_back(StripeOf(c));
  for (const auto& [link, customer] : batch_links) {
    stripes.push_back(StripeOf(keys::IdentityKey(link.first, link.second)));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (std::size_t s : stripes) stripes_[s].lock();
  struct Unlock {
    const std::vector<std::size_t>& stripes;
    std::array<std::mutex, kLockStripes>& mutexes;
    ~Unlock() {
      for (auto it = stripes.rbegin(); it != stripes.rend(); ++it)
        mutexes[*it].unlock();
    }
  } unlock{stripes, stripes_};

  // An identity may already belong to someone else (checked under the lock).
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto* link = std::get_if<Identity>(&events[i].body);
    if (link == nullptr) continue;
    absl::StatusOr<std::string> owner = Resolve(link->type, link->value);
    if (owner.ok() && *owner != customers[i]) {
      return FieldError(
          i, "identity.value",
          absl::StrCat(IdentityName(link->type, link->value),
                       " is already linked to customer \"", *owner, "\""));
    }
    if (!owner.ok() && !absl::IsNotFound(owner.status())) return owner.status();
  }

  // 4. Drop events recorded before, or twice in this batch.
  std::vector<std::string> history_keys(events.size());
  std::vector<rocksdb::ColumnFamilyHandle*> history_cfs(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    history_keys[i] = keys::HistoryKey(customers[i], events[i].ts_ms,
                                       events[i].id, events[i].kind());
    history_cfs[i] =
        history_[static_cast<int>(keys::HistoryCfOf(events[i].kind()))];
  }
  std::vector<bool> fresh(events.size(), false);
  {
    std::vector<rocksdb::Slice> key_slices(history_keys.begin(),
                                           history_keys.end());
    std::vector<rocksdb::PinnableSlice> values(events.size());
    std::vector<rocksdb::Status> statuses(events.size());
    db_->MultiGet(rocksdb::ReadOptions(), events.size(), history_cfs.data(),
                  key_slices.data(), values.data(), statuses.data());
    absl::flat_hash_set<std::string_view> seen;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
        return FromRocks(statuses[i], "checking for recorded events");
      }
      fresh[i] =
          statuses[i].IsNotFound() && seen.insert(history_keys[i]).second;
    }
  }

  // A link made in this batch is written only if the event making it is
  // recorded now. One recognised as recorded before (its name may even have
  // come with another identity) writes nothing, so what was resolved through
  // it must resolve through the store instead.
  if (!resolved_in_batch.empty()) {
    std::set<std::pair<IdentityType, std::string>> written;
    for (std::size_t j = 0; j < events.size(); ++j) {
      const auto* link = std::get_if<Identity>(&events[j].body);
      if (link != nullptr && fresh[j]) written.emplace(link->type, link->value);
    }
    for (std::size_t i : resolved_in_batch) {
      const CustomerRef& ref = events[i].customer;
      if (written.count({*ref.identity_type, ref.identity_value}) > 0) continue;
      absl::StatusOr<std::string> owner =
          Resolve(*ref.identity_type, ref.identity_value);
      if (!owner.ok() && !absl::IsNotFound(owner.status())) {
        return owner.status();
      }
      if (!owner.ok() || *owner != customers[i]) {
        return FieldError(
            i, "customer",
            absl::StrCat("unknown identity ",
                         IdentityName(*ref.identity_type, ref.identity_value),
                         ": the event in this batch that links it was "
                         "already recorded, with another identity"));
      }
    }
  }

  // 5. Fold the new events into one profile delta and one breakdowns delta
  // per customer. Customers get dense slots in order of first appearance.
  RecordResult result;
  absl::flat_hash_map<std::string_view, std::uint32_t> slot_of;
  std::vector<std::string_view> slot_customer;
  std::vector<fold::ProfileState> deltas;
  fold::BreakdownsBatch breakdowns;
  rocksdb::WriteBatch batch;
  rocksdb::Status ws;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!fresh[i]) {
      ++result.already_recorded;
      continue;
    }
    ++result.recorded;
    const Event& e = events[i];
    if (ws.ok())
      ws = batch.Put(history_cfs[i], history_keys[i],
                     EncodeEvent(e, customers[i]));
    if (const auto* link = std::get_if<Identity>(&e.body); link && ws.ok()) {
      ws = batch.Put(identities_, keys::IdentityKey(link->type, link->value),
                     customers[i]);
    }
    const auto [slot, inserted] = slot_of.try_emplace(
        customers[i], static_cast<std::uint32_t>(slot_customer.size()));
    if (inserted) {
      slot_customer.push_back(customers[i]);
      deltas.push_back(fold::DeltaOf(e, customers[i]));
    } else {
      fold::Join(deltas[slot->second], fold::DeltaOf(e, customers[i]));
    }
    breakdowns.Add(slot->second, e);
  }
  if (result.recorded == 0) return result;
  std::vector<fold::BreakdownsBatch::CustomerDelta> breakdown_deltas =
      breakdowns.Finish();

  // Distinct products: a product is new to the customer if neither the store
  // nor an earlier batch recorded an order of it. Known products come from
  // the cache, or else from the stored breakdowns, read as RocksDB holds them
  // (GetMergeOperands; a Get would merge and re-encode every row of the
  // customer) and searched in place. A customer that misses again soon gets
  // its whole set loaded into the cache.
  std::vector<std::pair<std::string_view, std::vector<std::string>>> loaded;
  std::vector<rocksdb::PinnableSlice> operands;
  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas) {
    const std::vector<std::string_view>& skus = bd.ordered_skus;
    if (skus.empty()) continue;
    const std::string_view customer = slot_customer[bd.customer];
    std::optional<std::int64_t> new_products =
        known_products_.CountNew(customer, skus);
    if (!new_products) {
      absl::StatusOr<std::vector<std::string_view>> stored =
          StoredBreakdowns(customer, operands);
      if (!stored.ok()) return stored.status();
      if (known_products_.Admit(customer)) {
        std::vector<std::string> have = fold::OrderedSkus(*stored);
        new_products =
            std::count_if(skus.begin(), skus.end(), [&](std::string_view sku) {
              return !std::binary_search(have.begin(), have.end(), sku);
            });
        loaded.emplace_back(customer, std::move(have));
      } else {
        new_products = fold::CountNewProducts(*stored, skus);
      }
      for (rocksdb::PinnableSlice& operand : operands) operand.Reset();
    }
    deltas[bd.customer].purchases.distinct_products += *new_products;
  }

  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas) {
    if (ws.ok())
      ws = batch.Merge(breakdowns_, slot_customer[bd.customer], bd.encoded);
  }
  for (std::size_t slot = 0; slot < deltas.size(); ++slot) {
    if (ws.ok())
      ws = batch.Merge(profiles_, slot_customer[slot],
                       fold::Encode(deltas[slot]));
  }
  if (!ws.ok()) return FromRocks(ws, "building the write batch");

  // 6. One atomic write.
  const Durability durability =
      options.durability.value_or(options_.durability);
  if (rocksdb::Status s = db_->Write(WriteOptionsFor(durability), &batch);
      !s.ok()) {
    return FromRocks(s, "writing events");
  }
  for (const auto& [customer, skus] : loaded)
    known_products_.Put(customer, skus);
  for (const fold::BreakdownsBatch::CustomerDelta& bd : breakdown_deltas) {
    if (!bd.ordered_skus.empty())
      known_products_.Add(slot_customer[bd.customer], bd.ordered_skus);
  }
  return result;
}

// ---- Open
// ---------------------------------------------------------------------

// True if no column family holds a single key: a store whose creation was
// interrupted before its metadata was written.
bool HoldsNoData(rocksdb::DB* db,
                 const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  for (rocksdb::ColumnFamilyHandle* cf : handles) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return false;
  }
  return true;
}

absl::Status CheckOrWriteMeta(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    bool fresh) {
  const std::pair<const char*, const char*> expected[] = {
      {kMetaFormatVersion, kFormatVersion},
      {kMetaProfileOperator, kProfileMergeOperatorName},
      {kMetaBreakdownOperator, kBreakdownMergeOperatorName},
  };
  std::string version;
  const rocksdb::Status has_version =
      db->Get(rocksdb::ReadOptions(), kMetaFormatVersion, &version);
  if (fresh || (has_version.IsNotFound() && HoldsNoData(db, handles))) {
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : expected)
      batch.Put(key, value).PermitUncheckedError();
    rocksdb::WriteOptions w;
    w.sync = true;
    return FromRocks(db->Write(w, &batch), "writing store metadata");
  }
  for (const auto& [key, want] : expected) {
    std::string have;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &have);
    if (s.IsNotFound()) {
      return absl::FailedPreconditionError(
          absl::StrCat("not a ckm store (no ", key, " recorded)"));
    }
    if (!s.ok()) return FromRocks(s, "reading store metadata");
    if (have != want) {
      return absl::FailedPreconditionError(
          absl::StrCat("incompatible store: ", key, " is \"", have,
                       "\", this build needs \"", want, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    std::string_view path, const StoreOptions& options) {
  return internal::Open(path, options, nullptr);
}

namespace internal {

absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            rocksdb::Env* env) {
  rocksdb::Options db_options;
  if (env != nullptr) db_options.env = env;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.error_if_exists = options.error_if_exists;
  db_options.max_background_jobs = std::max(2, options.background_threads);
  db_options.max_open_files = 512;
  // One batch spans several column families; without atomic flush a crash
  // after flushing some of them but not others would lose half of an
  // unlogged (kNone) batch. With it, every flush persists all of them.
  db_options.atomic_flush = true;
  // RocksDB keeps up to 1000 old info logs by default: one per Open.
  db_options.keep_log_file_num = 5;

  const std::string dir(path);
  std::vector<std::string> existing;
  const bool exists =
      rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok();
  if (!exists && !options.create_if_missing) {
    return absl::NotFoundError(absl::StrCat("no store at \"", dir, "\""));
  }
  if (exists && options.error_if_exists) {
    return absl::AlreadyExistsError(
        absl::StrCat("a store exists at \"", dir, "\""));
  }
  if (!exists) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("creating \"", dir, "\": ", ec.message()));
    }
  }

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  auto table_options = [&](bool bloom) {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.cache_index_and_filter_blocks = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.whole_key_filtering = true;
    return rocksdb::NewBlockBasedTableFactory(t);
  };
  std::shared_ptr<const rocksdb::SliceTransform> prefix =
      std::make_shared<CustomerPrefixTransform>();
  auto cf_options = [&](bool per_customer) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_bytes;
    cf.table_factory.reset(table_options(true));
    cf.compression = rocksdb::kNoCompression;
    // The duplicate check looks up every new event's key, almost always
    // absent, and the write path reads the breakdowns of customers it has
    // not cached, often new ones: a whole-key bloom filter answers those
    // without a skip-list search.
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
    if (per_customer) {
      cf.prefix_extractor = prefix;
      cf.memtable_insert_with_hint_prefix_extractor = prefix;
    }
    return cf;
  };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName,
                           rocksdb::ColumnFamilyOptions());
  {
    rocksdb::ColumnFamilyOptions profiles = cf_options(false);
    profiles.merge_operator = NewProfileMergeOperator();
    profiles.max_successive_merges = options.max_merge_depth;
    descriptors.emplace_back(keys::kProfilesCf, profiles);
  }
  for (const char* name : {keys::kPurchasesCf, keys::kInteractionsCf,
                           keys::kLoyaltyCf, keys::kChangesCf}) {
    descriptors.emplace_back(name, cf_options(true));
  }
  {
    rocksdb::ColumnFamilyOptions breakdowns = cf_options(false);
    breakdowns.merge_operator = NewBreakdownMergeOperator();
    // Breakdowns get four times the profile's bound: they are read less
    // often, and a heavy customer's hold thousands of rows, which every fold
    // on the write path copies whole (ckm_bench --quick: 58,815 events/s and
    // batch p99 62 ms at 16; 67,133 and 18 ms at 64).
    breakdowns.max_successive_merges = 4 * options.max_merge_depth;
    descriptors.emplace_back(keys::kBreakdownsCf, breakdowns);
  }
  descriptors.emplace_back(keys::kIdentitiesCf, cf_options(false));

  if (exists) {
    // Column families that are not ours mean someone else's database. Fewer
    // than ours is a creation that was interrupted (RocksDB creates them one
    // by one): Open creates the rest, and the metadata check below decides.
    std::set<std::string> ours;
    for (const auto& d : descriptors) ours.insert(d.name);
    for (const std::string& name : existing) {
      if (ours.count(name) == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("\"", dir,
                         "\" holds a RocksDB database that is not a ckm store "
                         "(it has a column family \"",
                         name, "\")"));
      }
    }
    if (!options.create_if_missing && existing.size() != ours.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", dir,
                       "\" holds an incompletely created store; open it with "
                       "create_if_missing to finish creating it"));
    }
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status s =
      rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError(absl::StrCat(
          "store \"", dir,
          "\" is open in another process or Store: ", s.ToString()));
    }
    return FromRocks(s, absl::StrCat("opening store \"", dir, "\""));
  }
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_copy = handles;
  auto store = std::make_unique<StoreImpl>(std::unique_ptr<rocksdb::DB>(raw),
                                           std::move(handles), options);
  if (absl::Status meta = CheckOrWriteMeta(store->db(), handles_copy, !exists);
      !meta.ok()) {
    return meta;
  }
  return std::unique_ptr<Store>(std::move(store));
}

rocksdb::DB* Db(Store& store) { return static_cast<StoreImpl&>(store).db(); }
rocksdb::ColumnFamilyHandle* Cf(Store& store, std::string_view name) {
  return static_cast<StoreImpl&>(store).cf(name);
}

}  // namespace internal
}  // namespace ckm
