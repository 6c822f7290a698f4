// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/db.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/write_batch.h"
#include "storage/info_log.h"
#include "storage/manifest_log.h"
#include "storage/merge_operator.h"
#include "storage/recovery_listener.h"
#include "storage/store_files.h"
#include "string_util.h"

namespace ckm::storage {
namespace {

constexpr char kMetaProfileOperator[] = "ckm.profile_merge_operator";
constexpr char kMetaBreakdownOperator[] = "ckm.breakdown_merge_operator";
// RocksDB's default MANIFEST limit, used only while a store is created.
constexpr std::uint64_t kCreateManifestBytes = std::uint64_t{1} << 30;

rocksdb::TableFactory* TableFactory(std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = std::move(cache);
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  return rocksdb::NewBlockBasedTableFactory(t);
}

// ckm's column families with their options, `default` first; the outbox
// too when `with_outbox`.
std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(
    const StoreOptions& options, bool with_outbox) {
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
  if (with_outbox) d.emplace_back(keys::kOutboxCf, cf_options(false));
  return d;
}

// Whether to open the outbox: a store that has one always does (it queues
// every new event, whatever the options say); a read-write open with
// StoreOptions::outbox creates it.
bool WithOutbox(const StoreOptions& options,
                const std::vector<std::string>& existing) {
  if (std::find(existing.begin(), existing.end(), keys::kOutboxCf) !=
      existing.end())
    return true;
  return options.outbox && options.access == Access::kReadWrite;
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
  if (std::strtod(version.c_str(), nullptr) >
      std::strtod(kFormatVersion, nullptr)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "\"", dir, "\" is a ckm store of format ", version,
        ", written by a newer ckm; this build reads formats ",
        kFormatVersionBeforeDiscounts, ", ",
        kFormatVersionBeforeCompactBreakdowns, " and ", kFormatVersion));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "\"", dir, "\" is a ckm store of format ", version,
      "; this build reads format ", kFormatVersion,
      ". Rebuild it into a new directory with `ckm migrate ", dir,
      " NEW_DIR` (MigrateStore), which keeps the old store as it is"));
}

// A store whose creation has not finished: another process may be creating
// it right now (it holds the LOCK), or a creation was interrupted, which a
// read-write open with create_if_missing finishes.
absl::Status IncompleteStore(const std::string& dir,
                             const StoreOptions& options) {
  if (std::optional<long> pid = LockHolder(dir)) return StoreBusy(dir, *pid);
  if (options.access == Access::kReadWrite && options.create_if_missing)
    return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "\"", dir,
      "\" holds a store whose creation was interrupted (no process is "
      "creating it now); open it read-write with create_if_missing to finish "
      "creating it"));
}

// Checks an existing directory's column families against ours.
absl::Status CheckExisting(
    const rocksdb::Options& db_options, const std::string& dir,
    const std::vector<std::string>& existing,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& ours,
    const StoreOptions& options) {
  // The outbox is optional: a store without one is whole, and a read-write
  // open adds it when asked to.
  std::set<std::string> names;
  for (const auto& d : ours)
    if (d.name != keys::kOutboxCf) names.insert(d.name);
  std::size_t outboxes = 0;
  for (const std::string& name : existing) {
    if (name == keys::kOutboxCf) {
      ++outboxes;
      continue;
    }
    if (names.count(name) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", dir,
                       "\" holds a RocksDB database that is not a ckm store "
                       "(it has a column family \"",
                       name, "\")"));
    }
  }
  if (existing.size() - outboxes == names.size()) return absl::OkStatus();
  // Some of ours are missing: a store of an older format, or a creation that
  // was interrupted (RocksDB creates column families one by one).
  absl::StatusOr<std::string> version = StoredFormat(db_options, dir, existing);
  if (!version.ok()) return version.status();
  if (!version->empty() && !IsReadableFormat(*version))
    return OldFormatError(dir, *version);
  if (!version->empty() && options.access != Access::kReadWrite) {
    // The metadata is written after every column family was created: a
    // MANIFEST that names fewer lost its last records. (A read-write open
    // recreates the missing ones, which a store of this format only lacks
    // when they were empty.)
    absl::StatusOr<std::string> manifest =
        CheckCurrent(dir, ListStoreFiles(dir));
    return DamagedStoreFile(
        dir, manifest.ok() ? *manifest : dir + "/MANIFEST",
        absl::StrCat("names ", existing.size(), " of the store's ",
                     names.size(),
                     " column families although the store was created "
                     "whole: it is damaged or was cut short"));
  }
  // Our format without all of our column families: an interrupted creation,
  // or a store whose empty column families RepairDB did not bring back.
  return IncompleteStore(dir, options);
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

// A format 3 or 3.1 store opened read-write becomes 3.2 (see
// kFormatVersion): one key, written durably before anything of 3.2 can be.
// Read-only and follower opens read it as it is.
absl::Status MarkFormat(rocksdb::DB* db, const StoreOptions& options) {
  if (options.access != Access::kReadWrite) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  batch.Put(kMetaFormatVersion, kFormatVersion).PermitUncheckedError();
  return FromRocks(db->Write(WriteOptionsFor(Durability::kSync), &batch),
                   "marking the store as format 3.2");
}

absl::Status CheckOrWriteMeta(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    bool fresh, const std::string& dir, const StoreOptions& options,
    const OpenParams& params) {
  const std::pair<const char*, const char*> expected[] = {
      {kMetaFormatVersion, kFormatVersion},
      {kMetaProfileOperator, kProfileMergeOperatorName},
      {kMetaBreakdownOperator, kBreakdownMergeOperatorName},
  };
  std::string version;
  const rocksdb::Status has_version =
      db->Get(rocksdb::ReadOptions(), kMetaFormatVersion, &version);
  if (fresh || (has_version.IsNotFound() && HoldsNoData(db, handles))) {
    if (options.access != Access::kReadWrite)
      return IncompleteStore(dir, options);
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
    if (key == kMetaFormatVersion && IsOlderReadableFormat(have)) {
      if (absl::Status s = MarkFormat(db, options); !s.ok()) return s;
      continue;
    }
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
  const bool writes = options.access == Access::kReadWrite;
  db_options.create_if_missing = writes && options.create_if_missing;
  db_options.create_missing_column_families = db_options.create_if_missing;
  db_options.error_if_exists = options.error_if_exists;
  db_options.max_background_jobs = std::max(2, options.background_threads);
  db_options.max_open_files = 512;
  // One batch spans several column families; without atomic flush a crash
  // after flushing some of them but not others would lose half of an
  // unlogged (kNone) batch. With it, every flush persists all of them.
  db_options.atomic_flush = true;
  // Every change of the set of table files starts a new MANIFEST holding
  // just the current set (and the old one is deleted). The MANIFEST names
  // each table file's smallest and largest key, which in the directory and
  // identity column families are customer ids and identities: appended to
  // one MANIFEST for good, an erased customer's id would outlive its
  // erasure there (docs/privacy.md). The snapshot is small (a few hundred
  // bytes per table file) and written only on flushes and compactions.
  db_options.max_manifest_file_size = 1;
  // Our own info log (storage/info_log.h): RocksDB's aborts on a full disk,
  // and a read-only or follower open must write nothing at all.
  db_options.info_log = NewDiscardingInfoLog();
  // The store resumes after a background error at its next write, not
  // RocksDB by itself (storage/recovery_listener.h).
  db_options.listeners.push_back(NewNoAutoRecoveryListener());
  db_options.max_bgerror_resume_count = 0;
  // A follower must keep every table file open: the writer may delete one
  // that a follower's view still holds (RocksDB requires it).
  if (options.access == Access::kFollower) db_options.max_open_files = -1;
  return db_options;
}

// RocksDB 7.8 starts a new write-ahead log on every read-write open. When
// the previous one was empty, recovery moves past it but never deletes it,
// so every open that wrote nothing left one more empty .log behind (50
// opens, 51 files). An empty log older than the current one that RocksDB
// no longer counts as alive holds nothing to recover: delete it.
void DropEmptyWals(rocksdb::DB* db, const rocksdb::Options& db_options,
                   const std::string& dir) {
  rocksdb::VectorLogPtr alive;
  std::unique_ptr<rocksdb::LogFile> current;
  if (!db->GetSortedWalFiles(alive).ok() ||
      !db->GetCurrentWalFile(&current).ok()) {
    return;
  }
  std::set<std::uint64_t> keep;
  for (const std::unique_ptr<rocksdb::LogFile>& wal : alive)
    keep.insert(wal->LogNumber());
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    std::uint64_t number = 0;
    if (e.path().extension() != ".log" ||
        !absl::SimpleAtoi(e.path().stem().string(), &number) ||
        number >= current->LogNumber() || keep.count(number) > 0 ||
        e.file_size(ec) != 0 || ec) {
      continue;
    }
    db_options.env->DeleteFile(dir + "/" + name).PermitUncheckedError();
  }
}

// The follower's own directory: StoreOptions::follower_dir, or a fresh one
// under the system's temp directory. Never the store's directory or inside
// it, where the writer's and the follower's files would mix.
absl::StatusOr<std::string> FollowerDir(const std::string& dir,
                                        const StoreOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (options.follower_dir.empty()) {
    std::string templ =
        (fs::temp_directory_path(ec) / "ckm-follower-XXXXXX").string();
    if (ec || ::mkdtemp(templ.data()) == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("creating a follower directory under the temp "
                       "directory: ",
                       ec ? ec.message() : std::strerror(errno)));
    }
    return templ;
  }
  const fs::path store = fs::weakly_canonical(dir, ec);
  const fs::path own = fs::weakly_canonical(options.follower_dir, ec);
  const std::string prefix = store.string() + "/";
  if (own == store || own.string().rfind(prefix, 0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("follower_dir: \"", options.follower_dir,
                     "\" must be outside the store's directory \"", dir, "\""));
  }
  fs::create_directories(own, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "creating \"", options.follower_dir, "\": ", ec.message()));
  }
  return own.string();
}

// Before a read-write open: a MANIFEST whose records do not end whole is
// refused while the store holds data. RocksDB would read it up to the
// damage, take the rest for a write cut short by a crash, and delete the
// table files and logs the lost records named (storage/manifest_log.h).
// ckm writes each MANIFEST whole and syncs it before CURRENT names it
// (max_manifest_file_size), so such a tail is damage, not a crash; the one
// exception is a store's creation, which appends its column families to the
// first MANIFEST, and a creation cut short holds no data to lose.
absl::Status CheckManifestTail(const std::string& dir,
                               const std::string& manifest,
                               const StoreFiles& files) {
  absl::StatusOr<LogRecordsCheck> check = CheckLogFile(manifest);
  if (!check.ok()) return check.status();
  if (check->intact || !files.HoldsData()) return absl::OkStatus();
  return DamagedStoreFile(
      dir, manifest,
      absl::StrCat(check->problem, " at byte ", check->damaged_at,
                   ": a read-write open would drop the change it held and "
                   "delete the files that change named"));
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(Av(context), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
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
  rocksdb::Options db_options = DbOptions(options, params);
  const std::string dir(path);
  absl::StatusOr<std::vector<std::string>> existing =
      Preflight(db_options, dir, options);
  if (!existing.ok()) return existing.status();
  const bool exists = !existing->empty();
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      Descriptors(options, WithOutbox(options, *existing));
  if (exists) {
    if (absl::Status s =
            CheckExisting(db_options, dir, *existing, descriptors, options);
        !s.ok()) {
      return s;
    }
    // A whole store asked for an outbox gets one, as a new store gets every
    // column family.
    if (WithOutbox(options, {}) && options.access == Access::kReadWrite)
      db_options.create_missing_column_families = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("creating \"", dir, "\": ", ec.message()));
    }
  }
  if (options.access == Access::kReadWrite)
    db_options.info_log = NewFileInfoLog(dir + "/LOG");
  // A new store is created with one MANIFEST for all its column families
  // (one per column family would be eight times the writes), then opened
  // again as every later open opens it.
  rocksdb::Options create_options = db_options;
  if (!exists) create_options.max_manifest_file_size = kCreateManifestBytes;
  absl::StatusOr<std::unique_ptr<Db>> db =
      OpenRocks(create_options, dir, descriptors, options);
  if (!db.ok()) return db;
  if (absl::Status meta = CheckOrWriteMeta((*db)->db(), (*db)->handles(),
                                           !exists, dir, options, params);
      !meta.ok()) {
    return meta;
  }
  if (exists) return db;
  db->reset();
  db_options.error_if_exists = false;  // it does now: this open made it
  return OpenRocks(db_options, dir, descriptors, options);
}

// The column families of the store in `dir`; empty when there is none and
// one may be created. Reads, never writes: a directory that holds a store's
// files but whose CURRENT or MANIFEST is damaged is refused, naming the
// file, and never created over.
absl::StatusOr<std::vector<std::string>> Db::Preflight(
    const rocksdb::Options& db_options, const std::string& dir,
    const StoreOptions& options) {
  const StoreFiles files = ListStoreFiles(dir);
  if (!files.HoldsStoreFiles()) {
    // Never mix a new store's files with someone else's.
    if (!files.foreign.empty() && options.access == Access::kReadWrite &&
        options.create_if_missing) {
      return absl::FailedPreconditionError(absl::StrCat(
          "\"", dir, "\" is not empty and holds no store (it holds \"",
          files.foreign,
          "\"); a store is created only in a new or empty directory"));
    }
    if (options.access == Access::kReadWrite && options.create_if_missing)
      return std::vector<std::string>();
    if (std::optional<long> pid = LockHolder(dir)) return StoreBusy(dir, *pid);
    return absl::NotFoundError(absl::StrCat("no store at \"", dir, "\""));
  }
  absl::StatusOr<std::string> manifest = CheckCurrent(dir, files);
  if (!manifest.ok()) {
    // RocksDB writes CURRENT last when it creates a store.
    if (std::optional<long> pid = LockHolder(dir)) return StoreBusy(dir, *pid);
    return manifest.status();
  }
  if (options.access == Access::kReadWrite) {
    if (absl::Status s = CheckManifestTail(dir, *manifest, files); !s.ok())
      return s;
  }
  std::vector<std::string> existing;
  const rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(db_options, dir, &existing);
  if (s.IsCorruption()) return DamagedStoreFile(dir, *manifest, s.ToString());
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading \"", *manifest, "\""));
  if (existing.empty())
    return DamagedStoreFile(dir, *manifest, "names no column family");
  if (options.error_if_exists) {
    return absl::AlreadyExistsError(
        absl::StrCat("a store exists at \"", dir, "\""));
  }
  return existing;
}

absl::StatusOr<std::unique_ptr<Db>> Db::OpenRocks(
    const rocksdb::Options& db_options, const std::string& dir,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors,
    const StoreOptions& options) {
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::string follower_dir;
  bool remove_follower_dir = false;
  rocksdb::Status s;
  switch (options.access) {
    case Access::kReadWrite:
      s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
      break;
    case Access::kReadOnly:
      s = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &handles,
                                       &raw);
      break;
    case Access::kFollower: {
      absl::StatusOr<std::string> own = FollowerDir(dir, options);
      if (!own.ok()) return own.status();
      follower_dir = *own;
      remove_follower_dir = options.follower_dir.empty();
      s = rocksdb::DB::OpenAsSecondary(db_options, dir, follower_dir,
                                       descriptors, &handles, &raw);
      break;
    }
  }
  if (!s.ok()) {
    std::error_code ec;
    if (remove_follower_dir) std::filesystem::remove_all(follower_dir, ec);
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError(absl::StrCat(
          "store \"", dir,
          "\" is open for writing in another process or Store (open it as a "
          "follower to read meanwhile): ",
          s.ToString()));
    }
    return FromRocks(s, absl::StrCat("opening store \"", dir, "\""));
  }
  std::unique_ptr<Db> db(new Db(std::unique_ptr<rocksdb::DB>(raw), handles));
  db->access_ = options.access;
  if (remove_follower_dir) db->remove_on_close_ = follower_dir;
  if (options.access == Access::kReadWrite) DropEmptyWals(raw, db_options, dir);
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
  outbox_ = cf(keys::kOutboxCf);
  for (int i = 0; i < keys::kHistoryCfCount; ++i)
    history_[i] = cf(keys::kHistoryCfNames[i]);
}

Db::~Db() {
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    db_->DestroyColumnFamilyHandle(h);
  // Close() flushes memtables holding unlogged (kNone) writes.
  db_->Close().PermitUncheckedError();
  db_.reset();
  if (!remove_on_close_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(remove_on_close_, ec);
  }
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
