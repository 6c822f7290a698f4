// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Store::Erase: a customer removed everywhere, in one atomic write, then
// scrubbed from the files (docs/privacy.md).
//
// 1. Plan (PlanErasure): every key held on the customer. The one place that
//    knows what an erasure covers.
// 2. Write, under the customer's stripe, one synced batch: the plan's
//    deletions, a tombstone keyed by a hash of the id, an entry of the
//    erasure log and a scrub marker. A crash leaves the customer wholly
//    there or wholly gone. Then every cache forgets the customer.
// 3. Scrub: flush the memtables (the write-ahead logs holding the bytes
//    become obsolete and RocksDB deletes them), compact the erased ranges to
//    the bottom level (where deletions drop what they cover, and themselves),
//    and delete the scrub marker. A scrub cut short (a crash, a full disk) is
//    finished by the next open or Erase, from the marker.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "codec/event_codec.h"
#include "codec/json.h"
#include "codec/json_reader.h"
#include "engine/store_impl.h"
#include "quote.h"
#include "rocksdb/metadata.h"
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

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

}  // namespace

// Everything an erasure deletes: keys, and the key ranges the scrub rewrites.
// Extend PlanErasure when customers gain keys of a new kind (merge links,
// aliases): nothing else needs to change.
//
// History is deleted key by key, not with DeleteRange over the customer's
// prefix: the history column families insert with a per-prefix hint
// (memtable_insert_with_hint_prefix_extractor), and RocksDB 7.8 hands a
// point table's hint to the range-deletion table, whose skip list it then
// corrupts (an assertion in a debug RocksDB, caught by privacy_test).
struct ErasurePlan {
  struct Point {
    rocksdb::ColumnFamilyHandle* cf;
    std::string key;
  };
  struct Range {
    rocksdb::ColumnFamilyHandle* cf;
    std::string begin, end;  // [begin, end)
  };
  std::vector<Point> points;
  std::vector<Range> ranges;  // to compact
};

ErasurePlan PlanErasure(const storage::Db& db, std::string_view customer_id,
                        keys::CustomerNumber number,
                        const std::vector<std::string>& identity_keys,
                        std::vector<ErasurePlan::Point> history_keys) {
  ErasurePlan plan;
  plan.points = std::move(history_keys);
  const std::string key = keys::CustomerKey(number);
  plan.points.push_back({db.customers(), std::string(customer_id)});
  plan.points.push_back({db.customers(), keys::ReverseKey(number)});
  plan.points.push_back({db.profiles(), key});
  plan.points.push_back({db.breakdowns(), key});
  plan.points.push_back({db.pending(), key});
  for (const std::string& identity : identity_keys)
    plan.points.push_back({db.identities(), identity});
  for (rocksdb::ColumnFamilyHandle* cf : db.history())
    plan.ranges.push_back({cf, key, keys::CustomerKey(number + 1)});
  // Outbox keys are sequences, not the customer's: the customer's entries
  // are among `history_keys`, and the whole outbox (a terminal's backlog,
  // small) is compacted.
  if (db.outbox() != nullptr) {
    plan.ranges.push_back(
        {db.outbox(), keys::OutboxKey(0), keys::OutboxKey(~0ull)});
  }
  return plan;
}

// What the store holds on a customer, beyond its keys by number.
struct StoreImpl::Surveyed {
  std::int64_t events = 0;
  std::int64_t newest_ts_ms = 0;
  std::vector<std::string> identity_keys;  // linked to the customer now
  std::vector<ErasurePlan::Point> history_keys;
  // Its events still queued for head office (docs/sync.md).
  std::vector<ErasurePlan::Point> outbox_keys;
};

absl::StatusOr<StoreImpl::Surveyed> StoreImpl::Survey(
    keys::CustomerNumber number) const {
  Surveyed out;
  std::set<std::string> identities;
  const std::string begin = keys::CustomerKey(number);
  const std::string end = keys::CustomerKey(number + 1);
  for (rocksdb::ColumnFamilyHandle* cf : db_->history()) {
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    read.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(read, cf));
    for (it->Seek(begin); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      if (key.size() != keys::kHistoryKeyBytes) continue;
      const std::int64_t ts = static_cast<std::int64_t>(
          absl::big_endian::Load64(key.data() + 8) ^ kSignBit);
      out.newest_ts_ms = out.events == 0 ? ts : std::max(out.newest_ts_ms, ts);
      ++out.events;
      out.history_keys.push_back({cf, std::string(key)});
      if (static_cast<EventKind>(key.back()) != EventKind::kIdentity) continue;
      absl::StatusOr<Event> e = DecodeEvent(it->value().ToStringView());
      if (!e.ok()) continue;  // damaged: its link is found below, if any
      const auto& link = std::get<Identity>(e->body);
      identities.insert(keys::IdentityKey(link.type, link.value));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading history");
  }
  // The profile lists the links too, should a history value be damaged.
  std::string bytes;
  if (db_->db()
          ->Get(rocksdb::ReadOptions(), db_->profiles(), begin, &bytes)
          .ok()) {
    if (absl::StatusOr<Profile> p = Profile::FromBytes(std::move(bytes));
        p.ok()) {
      for (const IdentityLink& link : p->identities())
        identities.insert(keys::IdentityKey(link.type, link.value));
    }
  }
  // Only the links that point to this customer are its to delete.
  for (const std::string& key : identities) {
    std::string owner;
    const rocksdb::Status s =
        db_->db()->Get(rocksdb::ReadOptions(), db_->identities(), key, &owner);
    if (s.ok() && owner == begin) out.identity_keys.push_back(key);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading identities");
  }
  return out;
}

absl::StatusOr<ErasureResult> StoreImpl::Erase(std::string_view customer_id,
                                               std::string_view reason) {
  if (absl::Status s = CheckWritable("Erase"); !s.ok()) return s;
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (reason.size() > kMaxReasonBytes || !IsValidUtf8(reason))
    return absl::InvalidArgumentError("reason: must be 0..1024 bytes of UTF-8");
  std::lock_guard<std::mutex> one_at_a_time(erase_mu_);
  if (absl::Status s = ScrubPending(); !s.ok()) return s;
  std::optional<std::uint64_t> sequence;
  std::vector<std::string> identity_keys;
  ErasureResult result;
  {
    // Every Record() of the customer holds this stripe while it writes.
    std::lock_guard<std::mutex> lock(stripes_[StripeOf(customer_id)]);
    absl::StatusOr<std::optional<keys::CustomerNumber>> number =
        NumberOf(customer_id);
    if (!number.ok()) return number.status();
    if (!*number) {
      return absl::NotFoundError(
          absl::StrCat("no customer ", QuoteForError(customer_id)));
    }
    // A merged customer's data is folded into its group's profile: erasing
    // one member alone would leave it there. Not yet supported.
    const keys::CustomerNumber root = directory_->Root(**number);
    if (root != **number || directory_->Group(root).size() > 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "customer ", QuoteForError(customer_id),
          " is merged with other customers; unmerge them first (erasing a "
          "merged group is not supported yet); nothing was erased"));
    }
    absl::StatusOr<Surveyed> surveyed = Survey(**number);
    if (!surveyed.ok()) return surveyed.status();
    absl::StatusOr<std::vector<std::string>> queued = OutboxKeysOf(customer_id);
    if (!queued.ok()) return queued.status();
    for (std::string& key : *queued)
      surveyed->outbox_keys.push_back({db_->outbox(), std::move(key)});
    result.events = surveyed->events;
    result.identities =
        static_cast<std::int64_t>(surveyed->identity_keys.size());
    absl::StatusOr<std::uint64_t> written =
        WriteErasure(customer_id, **number, *surveyed, reason, result);
    ForgetCustomer(customer_id, **number);  // even after a failed write
    if (!written.ok()) return written.status();
    sequence = *written;
    identity_keys = std::move(surveyed->identity_keys);
  }
  const std::string id(customer_id);
  if (absl::Status s = Scrub(*sequence, &id, &identity_keys); !s.ok()) {
    scrub_pending_ = true;  // the next Erase, or open, finishes it
    return absl::Status(
        s.code(), absl::StrCat("the customer is erased, but removing its bytes "
                               "from the store's files failed (the next open "
                               "or Erase finishes it): ",
                               s.message()));
  }
  return result;
}

absl::StatusOr<std::uint64_t> StoreImpl::WriteErasure(
    std::string_view customer_id, keys::CustomerNumber number,
    const Surveyed& surveyed, std::string_view reason,
    const ErasureResult& result) {
  std::vector<ErasurePlan::Point> points = surveyed.history_keys;
  points.insert(points.end(), surveyed.outbox_keys.begin(),
                surveyed.outbox_keys.end());
  const ErasurePlan plan =
      PlanErasure(*db_, customer_id, number, surveyed.identity_keys, points);
  rocksdb::WriteBatch batch;
  rocksdb::Status s;
  for (const ErasurePlan::Point& p : plan.points) {
    if (s.ok()) s = batch.Delete(p.cf, p.key);
  }
  // Events dated up to now, or up to the newest erased event, are replays.
  const std::int64_t now_ms = NowMs();
  const std::int64_t cutoff = std::max(now_ms, surveyed.newest_ts_ms);
  const std::uint64_t sequence = next_erasure_;
  json::Writer entry;
  entry.BeginObject();
  entry.Key("erased").Time(now_ms);
  entry.Key("id_hash").String(keys::ErasedIdHash(customer_id));
  entry.Key("reason").String(reason);
  entry.Key("events").Int(result.events);
  entry.Key("identities").Int(result.identities);
  entry.EndObject();
  if (s.ok()) {
    s = batch.Put(keys::TombstoneKey(customer_id),
                  Be64(static_cast<std::uint64_t>(cutoff) ^ kSignBit));
  }
  if (s.ok()) {
    s = batch.Put(keys::SequenceKey(keys::kErasureLogPrefix, sequence),
                  entry.Take());
  }
  if (s.ok()) {
    s = batch.Put(keys::SequenceKey(keys::kErasureScrubPrefix, sequence),
                  Be64(number));
  }
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!s.ok()) return FromRocks(s, "erasing");
  ++next_erasure_;
  has_tombstones_ = true;
  return sequence;
}

void StoreImpl::ForgetCustomer(std::string_view customer_id,
                               keys::CustomerNumber number) {
  directory_->Forget(customer_id);
  known_products_.Forget(customer_id);
  latest_events_[StripeOf(customer_id)].Forget(number);
  breakdowns_buffer_.Drop(number);
  std::lock_guard<std::mutex> lock(stale_mu_);
  stale_.erase(number);
}

// Flushes every memtable, so that no live write-ahead log holds erased
// bytes, then rewrites the erased ranges at the bottom level, and deletes
// the marker. Without the id and identities (a scrub the last process did
// not finish), the whole directory and identity column families.
absl::Status StoreImpl::Scrub(std::uint64_t sequence,
                              const std::string* customer_id,
                              const std::vector<std::string>* identity_keys) {
  const std::string marker =
      keys::SequenceKey(keys::kErasureScrubPrefix, sequence);
  std::string number_bytes;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), marker, &number_bytes);
  if (!s.ok()) return FromRocks(s, "reading an erasure's scrub marker");
  if (number_bytes.size() != 8)
    return absl::DataLossError("an erasure's scrub marker is damaged");
  const keys::CustomerNumber number =
      absl::big_endian::Load64(number_bytes.data());
  // After a full disk RocksDB refuses flushes until it resumes (access.cc).
  s = ResumeIfStopped();
  if (!s.ok())
    return FromRocks(s, "removing erased bytes from the store's files");
  rocksdb::FlushOptions flush;
  flush.wait = true;
  s = db_->db()->Flush(flush, db_->handles());
  // One compaction per column family, over the span of its erased keys.
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
  const ErasurePlan plan = PlanErasure(
      *db_, customer_id ? *customer_id : "", number,
      identity_keys ? *identity_keys : std::vector<std::string>(), {});
  for (const ErasurePlan::Range& r : plan.ranges) cover(r.cf, r.begin, r.end);
  for (const ErasurePlan::Point& p : plan.points) cover(p.cf, p.key, p.key);
  if (customer_id == nullptr) {  // the id and identities are not known
    spans[db_->customers()].whole = true;
    spans[db_->identities()].whole = true;
  }
  for (const auto& [cf, span] : spans) {
    if (!s.ok()) break;
    s = CompactOverlapping(*db_->db(), cf, span.whole ? nullptr : &span.first,
                           span.whole ? nullptr : &span.last);
  }
  if (s.ok()) {
    rocksdb::WriteBatch batch;
    s = batch.Delete(marker);
    if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  }
  // A flush of the marker's deletion: one more change of the table files,
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
  for (std::uint64_t sequence : pending) {
    if (absl::Status s = Scrub(sequence, nullptr, nullptr); !s.ok()) return s;
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

absl::StatusOr<std::vector<std::optional<std::int64_t>>>
StoreImpl::ErasureCutoffs(const std::vector<std::string_view>& ids) const {
  std::vector<std::optional<std::int64_t>> out(ids.size());
  if (!has_tombstones_) return out;
  std::vector<std::string> keys;
  for (std::string_view id : ids) keys.push_back(keys::TombstoneKey(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->db()->MultiGet(rocksdb::ReadOptions(), db_->db()->DefaultColumnFamily(),
                      slices.size(), slices.data(), values.data(),
                      statuses.data());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading tombstones");
    if (values[i].size() != 8)
      return absl::DataLossError("an erasure tombstone is damaged");
    out[i] = static_cast<std::int64_t>(
        absl::big_endian::Load64(values[i].data()) ^ kSignBit);
  }
  return out;
}

absl::StatusOr<std::vector<ErasureEntry>> StoreImpl::Erasures() const {
  std::vector<ErasureEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions()));
  const std::size_t prefix = std::strlen(keys::kErasureLogPrefix);
  for (it->Seek(keys::kErasureLogPrefix);
       it->Valid() && it->key().starts_with(keys::kErasureLogPrefix);
       it->Next()) {
    absl::StatusOr<json::Value> v = json::Parse(it->value().ToStringView());
    const json::Value* erased = v.ok() ? v->Find("erased") : nullptr;
    const json::Value* hash = v.ok() ? v->Find("id_hash") : nullptr;
    const json::Value* reason = v.ok() ? v->Find("reason") : nullptr;
    const json::Value* events = v.ok() ? v->Find("events") : nullptr;
    const json::Value* identities = v.ok() ? v->Find("identities") : nullptr;
    absl::Time t;
    std::string error;
    if (it->key().size() != prefix + 8 || !erased || !hash || !reason ||
        !events || !identities ||
        !absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", erased->string(),
                         absl::UTCTimeZone(), &t, &error)) {
      return absl::DataLossError("an entry of the erasure log is damaged");
    }
    ErasureEntry e;
    e.sequence = absl::big_endian::Load64(it->key().data() + prefix);
    e.erased_ms = absl::ToUnixMillis(t);
    e.id_hash = hash->string();
    e.reason = reason->string();
    e.events = json::ToInt64(events->number_text()).value_or(0);
    e.identities = json::ToInt64(identities->number_text()).value_or(0);
    out.push_back(std::move(e));
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "reading the erasure log");
  return out;
}

}  // namespace ckm::engine
