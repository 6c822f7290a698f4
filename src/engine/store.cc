// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Opening a Store, and its reads.

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "engine/history_page.h"
#include "engine/store_impl.h"
#include "identity_rules.h"
#include "quote.h"
#include "rocksdb/transaction_log.h"
#include "storage/store_internal.h"
#include "string_util.h"
#include "validate.h"

namespace ckm {
namespace engine {
namespace {

using storage::FromRocks;

// Merge operands expected per breakdowns key on the write path: up to
// 4 * max_merge_depth (64 by default) in the memtable, a few more from
// unflushed and level-0 files. More only cost a second call.
constexpr std::size_t kMergeOperandsGuess = 80;

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
    e.money.push_back(
        {currency, m.gross_micros, m.discount_micros, m.returned_micros});
  }
  return e;
}

absl::Status NoCustomer(std::string_view customer_id) {
  return absl::NotFoundError(
      absl::StrCat("no customer ", QuoteForError(customer_id)));
}

}  // namespace

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

StripeLocks::StripeLocks(std::array<std::mutex, kLockStripes>& mutexes,
                         std::vector<std::size_t> stripes)
    : mutexes_(mutexes), stripes_(std::move(stripes)) {
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  for (std::size_t s : stripes_) mutexes_[s].lock();
}

bool StripeLocks::Holds(std::size_t stripe) const {
  return std::binary_search(stripes_.begin(), stripes_.end(), stripe);
}

bool StripeLocks::TryAdd(const std::vector<std::size_t>& more) {
  std::vector<std::size_t> taken;
  for (std::size_t s : more) {
    if (Holds(s) || std::find(taken.begin(), taken.end(), s) != taken.end())
      continue;
    if (!mutexes_[s].try_lock()) {
      for (std::size_t t : taken) mutexes_[t].unlock();
      return false;
    }
    taken.push_back(s);
  }
  stripes_.insert(stripes_.end(), taken.begin(), taken.end());
  std::sort(stripes_.begin(), stripes_.end());
  return true;
}

StripeLocks::~StripeLocks() {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it)
    mutexes_[*it].unlock();
}

StoreImpl::StoreImpl(std::unique_ptr<storage::Db> db,
                     std::unique_ptr<storage::Directory> directory,
                     const StoreOptions& options)
    : db_(std::move(db)),
      directory_(std::move(directory)),
      options_(options),
      known_products_(options.known_products_cache),
      breakdowns_buffer_(options.breakdowns_buffer_bytes),
      next_access_(db_->db()->GetLatestSequenceNumber()) {}

std::size_t StoreImpl::StripeOf(std::string_view key) {
  return absl::HashOf(key) % kLockStripes;
}

// The root's profile. A merge or unmerge between finding the root and
// reading may have moved the profile: read again if the root changed.
absl::StatusOr<Profile> StoreImpl::GetStored(
    std::string_view customer_id) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  absl::StatusOr<std::optional<Resolved>> who = ResolveId(customer_id);
  if (!who.ok()) return who.status();
  if (!*who) return NoCustomer(customer_id);
  for (;;) {
    std::string bytes;
    const rocksdb::Status s =
        db_->db()->Get(rocksdb::ReadOptions(), db_->profiles(),
                       keys::CustomerKey((*who)->root), &bytes);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading profile");
    const keys::CustomerNumber root = directory_->Root((*who)->own);
    if (root != (*who)->root) {
      (*who)->root = root;
      continue;
    }
    if (s.IsNotFound()) return NoCustomer(customer_id);
    return Profile::FromBytes(std::move(bytes));
  }
}

absl::Status StoreImpl::ScanProfiles(
    const std::function<bool(const Profile&)>& visit,
    const ReadOptions& access) const {
  absl::StatusOr<Parts> by_role =
      WithheldByRole(options_.access_policy, access);
  if (!by_role.ok()) return by_role.status();
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // a full scan must not evict the working set
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->profiles()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<Profile> profile =
        Profile::FromBytes(it->value().ToString());
    if (!profile.ok()) {
      const std::optional<keys::CustomerNumber> number =
          keys::NumberOf(it->key().ToStringView());
      return absl::DataLossError(absl::StrCat("profile of customer number ",
                                              number.value_or(0), ": ",
                                              profile.status().message()));
    }
    if (options_.access_policy) {
      Parts withheld = *by_role;
      if (LacksConsent(options_.access_policy, access, *profile)) {
        const Parts personal = PersonalParts();
        withheld.insert(personal.begin(), personal.end());
      }
      profile = Redact(*profile, withheld);
      if (!profile.ok()) return profile.status();
    }
    if (!visit(*profile)) break;
  }
  return FromRocks(it->status(), "scanning profiles");
}

absl::StatusOr<StoreStats> StoreImpl::Stats() const {
  rocksdb::DB* db = db_->db();
  auto count = [&](rocksdb::ColumnFamilyHandle* cf) {
    std::uint64_t n = 0;
    db->GetIntProperty(cf, rocksdb::DB::Properties::kEstimateNumKeys, &n);
    return static_cast<std::int64_t>(n);
  };
  StoreStats stats;
  stats.customers = count(db_->profiles());
  stats.purchases = count(db_->history(keys::HistoryCf::kPurchases));
  stats.interactions = count(db_->history(keys::HistoryCf::kInteractions));
  stats.loyalty = count(db_->history(keys::HistoryCf::kLoyalty));
  stats.changes = count(db_->history(keys::HistoryCf::kChanges));
  stats.customers_with_breakdowns = count(db_->breakdowns());
  stats.identities = count(db_->identities());
  for (rocksdb::ColumnFamilyHandle* cf : db_->handles()) {
    std::uint64_t sst = 0, mem = 0;
    db->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
    db->GetIntProperty(cf, rocksdb::DB::Properties::kSizeAllMemTables, &mem);
    stats.disk_bytes += static_cast<std::int64_t>(sst);
    stats.memtable_bytes += static_cast<std::int64_t>(mem);
  }
  rocksdb::VectorLogPtr wal_files;
  if (db->GetSortedWalFiles(wal_files).ok()) {
    for (const auto& f : wal_files)
      stats.disk_bytes += static_cast<std::int64_t>(f->SizeFileBytes());
  }
  return stats;
}

absl::StatusOr<std::string> StoreImpl::ResolveChecked(
    IdentityType type, std::string_view value, const ReadOptions& read) const {
  absl::StatusOr<Parts> withheld = WithheldByRole(options_.access_policy, read);
  if (!withheld.ok()) return withheld.status();
  if (withheld->count(DataPart::kIdentities) > 0)
    return Denied(DataPart::kIdentities, read);
  return ResolveStored(type, value);
}

absl::StatusOr<std::string> StoreImpl::ResolveStored(
    IdentityType type, std::string_view value) const {
  absl::StatusOr<std::string> normalized =
      NormalizedIdentity(type, value, "value");
  if (!normalized.ok()) return normalized.status();
  absl::StatusOr<std::optional<Resolved>> who =
      ResolveIdentity(type, *normalized);
  if (!who.ok()) return who.status();
  if (!*who) {
    return absl::NotFoundError(
        absl::StrCat("unknown identity ", IdentityName(type, *normalized)));
  }
  return (*who)->root_id;
}

absl::StatusOr<HistoryPage> StoreImpl::ListHistoryStored(
    std::string_view customer_id, const HistoryQuery& query) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (absl::Status s = CheckHistoryQuery(query); !s.ok()) return s;
  std::optional<HistoryPosition> after;
  if (!query.cursor.empty()) {
    absl::StatusOr<HistoryPosition> p =
        DecodeHistoryCursor(query.cursor, query.newest_first);
    if (!p.ok()) return p.status();
    after = *p;
  }
  absl::StatusOr<std::optional<Resolved>> who = ResolveId(customer_id);
  if (!who.ok()) return who.status();
  HistoryPage page;
  if (!*who) return page;
  // The history of everyone merged with the customer.
  const std::vector<keys::CustomerNumber> group = GroupOf((*who)->root);
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  if (const std::optional<EventKind> kind = KindOf(query)) {
    cfs.push_back(db_->history(keys::HistoryCfOf(*kind)));
  } else {
    cfs.assign(db_->history().begin(), db_->history().end());
  }
  // One event past the limit tells whether the limit cut the history.
  HistoryQuery scan = query;
  if (scan.limit != 0) ++scan.limit;
  std::vector<MemberEvent> out;
  for (rocksdb::ColumnFamilyHandle* cf : cfs) {
    for (keys::CustomerNumber number : group) {
      if (absl::Status s = Scan(cf, customer_id, number, scan, after, out);
          !s.ok())
        return s;
    }
  }
  if (cfs.size() > 1 || group.size() > 1) {  // merge the runs
    std::sort(out.begin(), out.end(),
              [&](const MemberEvent& a, const MemberEvent& b) {
                return Before(a, b, query.newest_first);
              });
  }
  if (query.limit != 0 && out.size() > query.limit) {
    out.resize(query.limit);
    page.next_cursor = EncodeHistoryCursor(out.back(), query.newest_first);
  }
  page.events.reserve(out.size());
  for (MemberEvent& e : out) page.events.push_back(std::move(e.event));
  return page;
}

absl::StatusOr<std::vector<BreakdownEntry>> StoreImpl::BreakdownStored(
    std::string_view customer_id, Dimension dimension) const {
  std::vector<BreakdownEntry> out;
  absl::StatusOr<fold::Breakdowns> current;
  {
    std::optional<StripeLocks> locks;
    absl::StatusOr<std::vector<Resolved>> who =
        LockResolved({customer_id}, {}, locks);
    if (absl::IsNotFound(who.status())) return out;
    if (!who.ok()) return who.status();
    current = CurrentBreakdowns(who->front().root, dimension);
  }
  if (!current.ok()) {
    if (!absl::IsDataLoss(current.status())) return current.status();
    return absl::DataLossError(absl::StrCat("breakdowns of customer ",
                                            QuoteForError(customer_id), ": ",
                                            current.status().message()));
  }
  for (auto& [key, state] : current->of(dimension))
    out.push_back(ToEntry(key, state));
  return out;
}

absl::Status StoreImpl::Flush() {
  if (absl::Status s = CheckWritable("Flush"); !s.ok()) return s;
  if (rocksdb::Status s = ResumeIfStopped(); !s.ok())
    return FromRocks(s, "resuming after a failed write");
  if (absl::Status s = FlushBreakdowns(Durability::kBuffered); !s.ok())
    return s;
  if (absl::Status s = SettleAllStale(); !s.ok()) return s;
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocks(db_->db()->Flush(flush, db_->handles()), "flushing");
}

absl::Status StoreImpl::Scan(rocksdb::ColumnFamilyHandle* cf,
                             std::string_view customer,
                             keys::CustomerNumber number,
                             const HistoryQuery& query,
                             const std::optional<HistoryPosition>& after,
                             std::vector<MemberEvent>& out) const {
  if (query.range.since_ms >= query.range.until_ms) return absl::OkStatus();
  std::string lower = keys::HistoryTimeBound(number, query.range.since_ms);
  std::string upper = keys::HistoryTimeBound(number, query.range.until_ms);
  if (after) {  // strictly past the cursor's event, in the query's direction
    std::string at =
        keys::HistoryKey(number, after->ts_ms, after->id, after->kind);
    // This member's event of the cursor's time, id and kind, if any, comes
    // after it if the member does (Before); a first-version cursor passes
    // over all of them.
    const bool past =
        after->member && (query.newest_first ? number < *after->member
                                             : number > *after->member);
    std::string just_after = at;
    just_after.push_back('\0');  // the least key after `at`: fixed length
    if (query.newest_first) {
      upper = std::min(upper, past ? just_after : at);
    } else {
      lower = std::max(lower, past ? at : just_after);
    }
    if (lower >= upper) return absl::OkStatus();
  }
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(read, cf));
  std::size_t taken = 0;
  for (query.newest_first ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
       query.newest_first ? it->Prev() : it->Next()) {
    absl::StatusOr<Event> event = DecodeEvent(it->value().ToStringView());
    if (!event.ok()) {
      return absl::DataLossError(absl::StrCat("history of customer ",
                                              QuoteForError(customer), ": ",
                                              event.status().message()));
    }
    if (!Passes(*event, query)) continue;
    out.push_back({*std::move(event), number});
    if (query.limit != 0 && ++taken >= query.limit) break;
  }
  return FromRocks(it->status(), "reading history");
}

absl::StatusOr<std::vector<std::string_view>> StoreImpl::StoredBreakdowns(
    keys::CustomerNumber number,
    std::vector<rocksdb::PinnableSlice>& operands) const {
  if (operands.size() < kMergeOperandsGuess)
    operands.resize(kMergeOperandsGuess);
  const std::string key = keys::CustomerKey(number);
  rocksdb::GetMergeOperandsOptions options;
  int count = 0;
  rocksdb::Status s;
  do {  // more operands than room: grow to the count RocksDB gave, again
    if (static_cast<std::size_t>(count) > operands.size())
      operands.resize(count);
    options.expected_max_number_of_operands = static_cast<int>(operands.size());
    s = db_->db()->GetMergeOperands(rocksdb::ReadOptions(), db_->breakdowns(),
                                    key, operands.data(), &options, &count);
  } while (s.IsIncomplete() &&
           static_cast<std::size_t>(count) > operands.size());
  if (s.IsNotFound()) return std::vector<std::string_view>();
  if (!s.ok()) return FromRocks(s, "reading breakdowns");
  std::vector<std::string_view> stored;
  for (int k = 0; k < count; ++k) stored.push_back(operands[k].ToStringView());
  return stored;
}

}  // namespace engine

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    std::string_view path, const StoreOptions& options) {
  return internal::Open(path, options, nullptr);
}

namespace internal {

absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            const storage::OpenParams& params) {
  if (absl::Status s = CheckIdentityOptions(options.identity); !s.ok())
    return s;
  if (options.access_audit && options.access != Access::kReadWrite) {
    return absl::InvalidArgumentError(
        "access_audit: a read-only or follower store cannot write its audit "
        "log; open it read-write, or without access_audit");
  }
  absl::StatusOr<std::unique_ptr<storage::Db>> db =
      storage::Db::Open(path, options, params);
  if (!db.ok()) return db.status();
  absl::StatusOr<std::unique_ptr<storage::Directory>> directory =
      storage::Directory::Open(**db);
  if (!directory.ok()) return directory.status();
  auto store = std::make_unique<engine::StoreImpl>(
      *std::move(db), *std::move(directory), options);
  if (absl::Status s = store->LoadStale(); !s.ok()) return s;
  if (absl::Status s = store->NormalizeStoredIdentities(); !s.ok()) return s;
  if (absl::Status s = store->LoadErasures(); !s.ok()) return s;
  if (absl::Status s = store->LoadOutbox(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            rocksdb::Env* env) {
  storage::OpenParams params;
  params.env = env;
  return Open(path, options, params);
}

rocksdb::DB* Db(Store& store) {
  return static_cast<engine::StoreImpl&>(store).db().db();
}
rocksdb::ColumnFamilyHandle* Cf(Store& store, std::string_view name) {
  return static_cast<engine::StoreImpl&>(store).db().cf(name);
}

void AbandonBreakdownsBuffer(Store& store) {
  static_cast<engine::StoreImpl&>(store).AbandonBreakdownsBuffer();
}

absl::StatusOr<std::string> CustomerKey(const Store& store,
                                        std::string_view customer_id) {
  absl::StatusOr<std::optional<keys::CustomerNumber>> number =
      static_cast<const engine::StoreImpl&>(store).directory().Find(
          customer_id);
  if (!number.ok()) return number.status();
  if (!*number)
    return absl::NotFoundError(
        absl::StrCat("no customer ", QuoteForError(customer_id)));
  return keys::CustomerKey(**number);
}

absl::StatusOr<std::string> HistoryKeyOf(const Store& store,
                                         std::string_view customer_id,
                                         std::int64_t ts_ms,
                                         std::uint64_t event_id,
                                         EventKind kind) {
  absl::StatusOr<std::string> prefix = CustomerKey(store, customer_id);
  if (!prefix.ok()) return prefix.status();
  return keys::HistoryKey(*keys::NumberOf(*prefix), ts_ms, event_id, kind);
}

}  // namespace internal
}  // namespace ckm
