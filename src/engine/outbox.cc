// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The outbox of a terminal's store: reading its oldest entries, removing
// those the server acknowledged, and its depth. Record() writes the event
// entries (record.cc, Recorder::Queue), in the batch that records their
// events; merges, unmerges, unlinks and erasures their change entries
// (change_travel.cc), in the batch that makes them.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "codec/change_codec.h"
#include "codec/event_codec.h"
#include "engine/store_impl.h"
#include "rocksdb/write_batch.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::size_t kSequenceBytes = 8;

std::optional<std::uint64_t> SequenceOf(const rocksdb::Slice& key) {
  if (key.size() != kSequenceBytes) return std::nullopt;
  return absl::big_endian::Load64(key.data());
}

// An entry's value as an event or, by its header, a change.
absl::Status DecodeEntry(std::string_view value, OutboxEntry& entry) {
  if (codec::IsEncodedChange(value)) {
    absl::StatusOr<OutboxChange> change = codec::DecodeChange(value);
    if (!change.ok()) return change.status();
    entry.change = *std::move(change);
    return absl::OkStatus();
  }
  absl::StatusOr<Event> event = DecodeEvent(value);
  if (!event.ok()) return event.status();
  entry.event = *std::move(event);
  return absl::OkStatus();
}

// Whether the entry is about the erased customers alone: an event of one
// of them, or a change naming none but them. A change that names anyone
// else stays: leaving it out would change what head office does to that
// other customer (an unmerge of one that stays would be lost).
bool OnlyAbout(const OutboxEntry& entry,
               const std::vector<std::string>& erased) {
  const auto erased_id = [&](const std::string& id) {
    return id.empty() ||
           std::find(erased.begin(), erased.end(), id) != erased.end();
  };
  if (!entry.change) return erased_id(entry.event.customer.id);
  const OutboxChange& c = *entry.change;
  return c.kind != OutboxChange::Kind::kErase && erased_id(c.customer) &&
         erased_id(c.other);
}

}  // namespace

absl::Status StoreImpl::LoadOutbox() {
  std::uint64_t next = 1;
  std::string floor;
  const rocksdb::Status got =
      db_->db()->Get(rocksdb::ReadOptions(), keys::kOutboxFloor, &floor);
  if (!got.ok() && !got.IsNotFound())
    return FromRocks(got, "reading the outbox floor");
  if (got.ok() && floor.size() == kSequenceBytes)
    next = absl::big_endian::Load64(floor.data());
  if (db_->outbox() != nullptr) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->outbox()));
    it->SeekToLast();
    if (it->Valid()) {
      if (std::optional<std::uint64_t> last = SequenceOf(it->key()))
        next = std::max(next, *last + 1);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading outbox");
  }
  next_outbox_ = next;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxEntry>> StoreImpl::ReadOutbox(
    std::size_t limit) const {
  std::vector<OutboxEntry> entries;
  if (db_->outbox() == nullptr) return entries;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->outbox()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (limit != 0 && entries.size() == limit) break;
    const std::optional<std::uint64_t> sequence = SequenceOf(it->key());
    if (!sequence) {
      return absl::DataLossError(
          absl::StrCat("outbox: a key of ", it->key().size(),
                       " bytes, not an 8-byte sequence"));
    }
    OutboxEntry entry;
    entry.sequence = *sequence;
    if (absl::Status s = DecodeEntry(it->value().ToStringView(), entry);
        !s.ok()) {
      return absl::DataLossError(
          absl::StrCat("outbox entry ", *sequence, ": ", s.message()));
    }
    entry.payload = it->value().ToString();
    entries.push_back(std::move(entry));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading outbox");
  return entries;
}

absl::Status StoreImpl::RemoveFromOutbox(
    absl::Span<const std::uint64_t> sequences) {
  if (absl::Status s = CheckWritable("RemoveFromOutbox"); !s.ok()) return s;
  if (db_->outbox() == nullptr || sequences.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(outbox_mu_);
  // The floor keeps sequences growing across a reopen that finds the
  // outbox empty.
  std::string floor;
  const rocksdb::Status got =
      db_->db()->Get(rocksdb::ReadOptions(), keys::kOutboxFloor, &floor);
  if (!got.ok() && !got.IsNotFound())
    return FromRocks(got, "reading the outbox floor");
  std::uint64_t above = floor.size() == kSequenceBytes
                            ? absl::big_endian::Load64(floor.data())
                            : 1;
  rocksdb::WriteBatch batch;
  rocksdb::Status s;
  for (std::uint64_t sequence : sequences) {
    if (!s.ok()) break;
    s = batch.Delete(db_->outbox(), keys::OutboxKey(sequence));
    above = std::max(above, sequence + 1);
  }
  if (s.ok()) s = batch.Put(keys::kOutboxFloor, keys::OutboxKey(above));
  if (!s.ok()) return FromRocks(s, "building the outbox removal");
  return FromRocks(
      Write(storage::WriteOptionsFor(Durability::kBuffered), &batch),
      "removing from the outbox");
}

absl::StatusOr<std::vector<std::string>> StoreImpl::OutboxKeysOf(
    const std::vector<std::string>& customer_ids) const {
  std::vector<std::string> out;
  if (db_->outbox() == nullptr) return out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->outbox()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    OutboxEntry entry;
    if (DecodeEntry(it->value().ToStringView(), entry).ok() &&
        OnlyAbout(entry, customer_ids))
      out.push_back(it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading outbox");
  return out;
}

absl::StatusOr<std::uint64_t> StoreImpl::OutboxDepth() const {
  if (db_->outbox() == nullptr) return 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->outbox()));
  std::uint64_t depth = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++depth;
  if (!it->status().ok()) return FromRocks(it->status(), "reading outbox");
  return depth;
}

}  // namespace ckm::engine
