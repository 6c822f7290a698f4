// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The scrub after an erasure: the erased bytes physically gone from the
// store's files (docs/privacy.md). Flush the memtables (the write-ahead logs
// holding the bytes become obsolete and RocksDB deletes them), compact the
// erased ranges to the bottom level (where deletions drop what they cover,
// and themselves), and delete the scrub markers. A scrub cut short (a crash,
// a full disk) is finished by the next open or Erase, from the markers.

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "absl/base/internal/endian.h"
#include "engine/store_impl.h"
#include "rocksdb/write_batch.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

// Rewrites the table files of `cf` holding keys in [begin, end] (user keys,
// both inclusive; nullptr: unbounded) down to the column family's bottom
// level, where a deletion drops what it deletes, and then itself.
// CompactRange rather than CompactFiles: it runs as a background job, so a
// failure (a full disk) goes through RocksDB's error handling, which keeps
// the files a half-written MANIFEST may still name; a failed CompactFiles in
// RocksDB 7.8 deleted them, and the store could not be opened again
// (full_disk_test).
rocksdb::Status CompactOverlapping(rocksdb::DB& db,
                                   rocksdb::ColumnFamilyHandle* cf,
                                   const std::string* begin,
                                   const std::string* end) {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice b, e;  // never a temporary's bytes
  if (begin != nullptr) b = *begin;
  if (end != nullptr) e = *end;
  return db.CompactRange(options, cf, begin ? &b : nullptr, end ? &e : nullptr);
}

// One compaction per column family, over the span of the plan's keys in it.
rocksdb::Status CompactPlan(const storage::Db& db, const ErasurePlan& plan) {
  struct Span {
    std::string first, last;
    bool whole = false;
  };
  std::map<rocksdb::ColumnFamilyHandle*, Span> spans;
  const auto cover = [&](rocksdb::ColumnFamilyHandle* cf,
                         const std::string& from, const std::string& to) {
    auto [it, added] = spans.try_emplace(cf, Span{from, to});
    it->second.first = std::min(it->second.first, from);
    it->second.last = std::max(it->second.last, to);
  };
  for (const ErasurePlan::Range& r : plan.ranges) cover(r.cf, r.begin, r.end);
  for (const ErasurePlan::Point& p : plan.points) cover(p.cf, p.key, p.key);
  if (plan.whole_directory) {
    spans[db.customers()].whole = true;
    spans[db.identities()].whole = true;
  }
  rocksdb::Status s;
  for (const auto& [cf, span] : spans) {
    if (!s.ok()) break;
    s = CompactOverlapping(*db.db(), cf, span.whole ? nullptr : &span.first,
                           span.whole ? nullptr : &span.last);
  }
  return s;
}

}  // namespace

// Flushes every memtable, so that no live write-ahead log holds erased
// bytes, then rewrites the erased ranges at the bottom level, and deletes
// the markers. Without a plan (a scrub the last process did not finish),
// the numbers come from the markers and the whole directory and identity
// column families are rewritten.
absl::Status StoreImpl::Scrub(const std::vector<std::uint64_t>& sequences,
                              const ErasurePlan* plan) {
  std::vector<std::string> markers;
  std::vector<keys::CustomerNumber> numbers;
  for (std::uint64_t sequence : sequences) {
    markers.push_back(keys::SequenceKey(keys::kErasureScrubPrefix, sequence));
    std::string number_bytes;
    rocksdb::Status s =
        db_->db()->Get(rocksdb::ReadOptions(), markers.back(), &number_bytes);
    if (!s.ok()) return FromRocks(s, "reading an erasure's scrub marker");
    if (number_bytes.size() != 8)
      return absl::DataLossError("an erasure's scrub marker is damaged");
    numbers.push_back(absl::big_endian::Load64(number_bytes.data()));
  }
  const ErasurePlan unknown = plan ? ErasurePlan() : PlanScrub(*db_, numbers);
  // After a full disk RocksDB refuses flushes until it resumes (access.cc).
  rocksdb::Status s = ResumeIfStopped();
  if (!s.ok())
    return FromRocks(s, "removing erased bytes from the store's files");
  rocksdb::FlushOptions flush;
  flush.wait = true;
  s = db_->db()->Flush(flush, db_->handles());
  if (s.ok()) s = CompactPlan(*db_, plan ? *plan : unknown);
  if (s.ok()) {
    rocksdb::WriteBatch batch;
    for (const std::string& marker : markers) {
      if (s.ok()) s = batch.Delete(marker);
    }
    if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  }
  // A flush of the markers' deletion: one more change of the table files,
  // so a new MANIFEST is started with only the files the compactions left
  // (storage/db.cc), and the last WAL that held the erasure is retired.
  if (s.ok()) s = db_->db()->Flush(flush, db_->handles());
  return FromRocks(s, "removing erased bytes from the store's files");
}

absl::Status StoreImpl::ScrubPending() {
  if (!scrub_pending_) return absl::OkStatus();
  std::vector<std::uint64_t> pending;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(keys::kErasureScrubPrefix);
         it->Valid() && it->key().starts_with(keys::kErasureScrubPrefix);
         it->Next()) {
      const std::string_view key = it->key().ToStringView();
      if (key.size() != std::strlen(keys::kErasureScrubPrefix) + 8) continue;
      pending.push_back(absl::big_endian::Load64(key.data() + key.size() - 8));
    }
    if (!it->status().ok())
      return FromRocks(it->status(), "reading erasure markers");
  }
  if (!pending.empty()) {
    if (absl::Status s = Scrub(pending, nullptr); !s.ok()) return s;
  }
  scrub_pending_ = false;
  return absl::OkStatus();
}

absl::Status StoreImpl::LoadErasures() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions()));
  it->Seek(keys::kTombstonePrefix);
  has_tombstones_ =
      it->Valid() && it->key().starts_with(keys::kTombstonePrefix);
  it->Seek(keys::kErasureScrubPrefix);
  scrub_pending_ =
      it->Valid() && it->key().starts_with(keys::kErasureScrubPrefix);
  // The next sequence: one past the log's last entry.
  const std::string end = keys::SequenceKey(keys::kErasureLogPrefix, ~0ull);
  it->SeekForPrev(end);
  if (it->Valid() && it->key().starts_with(keys::kErasureLogPrefix) &&
      it->key().size() == std::strlen(keys::kErasureLogPrefix) + 8) {
    next_erasure_ =
        absl::big_endian::Load64(it->key().data() + it->key().size() - 8) + 1;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading erasures");
  if (db_->access() != Access::kReadWrite) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(erase_mu_);
  return ScrubPending();
}

}  // namespace ckm::engine
