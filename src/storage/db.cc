// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/db.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/merge_operator.h"
#include "string_util.h"

namespace ckm::storage {
namespace {

constexpr char kMetaProfileOperator[] = "ckm.profile_merge_operator";
constexpr char kMetaBreakdownOperator[] = "ckm.breakdown_merge_operator";

rocksdb::TableFactory* TableFactory(std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = std::move(cache);
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  return rocksdb::NewBlockBasedTableFactory(t);
}

// ckm's column families with their options, `default` first.
std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(
    const StoreOptions& options) {
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  // Every per-customer key starts with the customer's 8-byte number.
  std::shared_ptr<const rocksdb::SliceTransform> prefix(
      rocksdb::NewFixedPrefixTransform(keys::kCustomerKeyBytes));
  auto cf_options = [&](bool per_customer) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_bytes;
    cf.table_factory.reset(TableFactory(cache));
    cf.compression = rocksdb::kNoCompression;
    // The duplicate check looks up new events' keys, almost always absent,
    // and the write path reads the breakdowns of customers it has not
    // cached: a whole-key memtable bloom filter answers those without a
    // skip-list search.
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
    if (per_customer) {
      cf.prefix_extractor = prefix;
      cf.memtable_insert_with_hint_prefix_extractor = prefix;
    }
    return cf;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> d;
  d.emplace_back(rocksdb::kDefaultColumnFamilyName,
                 rocksdb::ColumnFamilyOptions());
  d.emplace_back(keys::kCustomersCf, cf_options(false));
  rocksdb::ColumnFamilyOptions profiles = cf_options(false);
  profiles.merge_operator = NewProfileMergeOperator();
  profiles.max_successive_merges = options.max_merge_depth;
  d.emplace_back(keys::kProfilesCf, profiles);
  for (const char* name : keys::kHistoryCfNames)
    d.emplace_back(name, cf_options(true));
  rocksdb::ColumnFamilyOptions breakdowns = cf_options(false);
  breakdowns.merge_operator = NewBreakdownMergeOperator();
  // Breakdowns get four times the profile's bound: they are read less often,
  // and a heavy customer's hold thousands of rows, which every fold on the
  // write path copies whole (ckm_bench --quick: 58,815 events/s and batch
  // p99 62 ms at 16; 67,133 and 18 ms at 64).
  breakdowns.max_successive_merges = 4 * options.max_merge_depth;
  d.emplace_back(keys::kBreakdownsCf, breakdowns);
  d.emplace_back(keys::kIdentitiesCf, cf_options(false));
  d.emplace_back(keys::kPendingCf, cf_options(false));
  return d;
}

// The format version a store with column families `existing` (not all of
// ours) was written with, read without writing anything; empty if it has
// none (an interrupted creation).
absl::StatusOr<std::string> StoredFormat(
    const rocksdb::Options& db_options, const std::string& dir,
    const std::vector<std::string>& existing) {
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      DescriptorsForReading(existing);
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors,
                                                   &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening \"", dir, "\""));
  std::string version;
  s = raw->Get(rocksdb::ReadOptions(), kMetaFormatVersion, &version);
  for (rocksdb::ColumnFamilyHandle* h : handles)
    raw->DestroyColumnFamilyHandle(h);
  delete raw;
  if (s.IsNotFound()) return std::string();
  if (!s.ok()) return FromRocks(s, "reading the store's format");
  return version;
}

absl::Status OldFormatError(const std::string& dir,
                            const std::string& version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "\"", dir, "\" is a ckm store of format ", version,
      "; this build reads format ", kFormatVersion,
      ". Rebuild it into a new directory with `ckm migrate ", dir,
      " NEW_DIR` (MigrateStore), which keeps the old store as it is"));
}

// Checks an existing directory's column families against ours.
absl::Status CheckExisting(
    const rocksdb::Options& db_options, const std::string& dir,
    const std::vector<std::string>& existing,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& ours,
    const StoreOptions& options) {
  std::set<std::string> names;
  for (const auto& d : ours) names.insert(d.name);
  for (const std::string& name : existing) {
    if (names.count(name) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", dir,
                       "\" holds a RocksDB database that is not a ckm store "
                       "(it has a column family \"",
                       name, "\")"));
    }
  }
  if (existing.size() == names.size()) return absl::OkStatus();
  // Some of ours are missing: a store of an older format, or a creation that
  // was interrupted (RocksDB creates column families one by one).
  absl::StatusOr<std::string> version = StoredFormat(db_options, dir, existing);
  if (!version.ok()) return version.status();
  if (!version->empty()) return OldFormatError(dir, *version);
  if (!options.create_if_missing) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", dir,
                     "\" holds an incompletely created store; open it with "
                     "create_if_missing to finish creating it"));
  }
  return absl::OkStatus();
}

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
    bool fresh, const std::string& dir, const OpenParams& params) {
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
    return FromRocks(db->Write(WriteOptionsFor(Durability::kSync), &batch),
                     "writing store metadata");
  }
  for (const auto& [key, want] : expected) {
    std::string have;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &have);
    if (s.IsNotFound()) {
      return absl::FailedPreconditionError(
          absl::StrCat("not a ckm store (no ", key, " recorded)"));
    }
    if (!s.ok()) return FromRocks(s, "reading store metadata");
    if (key == kMetaFormatVersion && have != want)
      return OldFormatError(dir, have);
    if (have != want) {
      return absl::FailedPreconditionError(
          absl::StrCat("incompatible store: ", key, " is \"", have,
                       "\", this build needs \"", want, "\""));
    }
  }
  std::string from;
  if (!params.allow_migrating &&
      db->Get(rocksdb::ReadOptions(), kMetaMigrating, &from).ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", dir, "\" is an unfinished migration from \"", from,
                     "\": delete it and run `ckm migrate` again"));
  }
  return absl::OkStatus();
}

rocksdb::Options DbOptions(const StoreOptions& options,
                           const OpenParams& params) {
  rocksdb::Options db_options;
  if (params.env != nullptr) db_options.env = params.env;
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
  return db_options;
}

}  // namespace

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

rocksdb::WriteOptions WriteOptionsFor(Durability durability) {
  rocksdb::WriteOptions w;
  w.sync = durability == Durability::kSync;
  w.disableWAL = durability == Durability::kNone;
  return w;
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(std::string_view path,
                                             const StoreOptions& options,
                                             const OpenParams& params) {
  const rocksdb::Options db_options = DbOptions(options, params);
  const std::string dir(path);
  std::vector<std::string> existing;
  const bool exists =
      rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok();
  if (!exists && !options.create_if_missing)
    return absl::NotFoundError(absl::StrCat("no store at \"", dir, "\""));
  if (exists && options.error_if_exists) {
    return absl::AlreadyExistsError(
        absl::StrCat("a store exists at \"", dir, "\""));
  }
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      Descriptors(options);
  if (exists) {
    if (absl::Status s =
            CheckExisting(db_options, dir, existing, descriptors, options);
        !s.ok()) {
      return s;
    }
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("creating \"", dir, "\": ", ec.message()));
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
  std::unique_ptr<Db> db(new Db(std::unique_ptr<rocksdb::DB>(raw), handles));
  if (absl::Status meta = CheckOrWriteMeta(raw, handles, !exists, dir, params);
      !meta.ok()) {
    return meta;
  }
  return db;
}

Db::Db(std::unique_ptr<rocksdb::DB> db,
       std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : db_(std::move(db)), handles_(std::move(handles)) {
  customers_ = cf(keys::kCustomersCf);
  profiles_ = cf(keys::kProfilesCf);
  breakdowns_ = cf(keys::kBreakdownsCf);
  identities_ = cf(keys::kIdentitiesCf);
  pending_ = cf(keys::kPendingCf);
  for (int i = 0; i < keys::kHistoryCfCount; ++i)
    history_[i] = cf(keys::kHistoryCfNames[i]);
}

Db::~Db() {
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    db_->DestroyColumnFamilyHandle(h);
  // Close() flushes memtables holding unlogged (kNone) writes.
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Db::cf(std::string_view name) const {
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    if (h->GetName() == name) return h;
  return nullptr;
}

std::vector<rocksdb::ColumnFamilyDescriptor> DescriptorsForReading(
    const std::vector<std::string>& names) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    rocksdb::ColumnFamilyOptions cf;
    if (name == keys::kProfilesCf)
      cf.merge_operator = NewProfileMergeOperator();
    if (name == keys::kBreakdownsCf)
      cf.merge_operator = NewBreakdownMergeOperator();
    descriptors.emplace_back(name, cf);
  }
  return descriptors;
}

}  // namespace ckm::storage
