// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A customer's breakdowns across the store, the buffer and history: what
// they are now, flushing the buffer, and settling customers an earlier
// process left stale (engine/breakdowns_buffer.h explains the scheme).

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/event_codec.h"
#include "codec/operand.h"
#include "engine/store_impl.h"
#include "rocksdb/write_batch.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

// Customers merged per write batch by a buffer flush: their stripes are held
// for one write, so the batch stays short.
constexpr std::size_t kFlushChunk = 256;

}  // namespace

StoreImpl::~StoreImpl() {
  // Whatever fails here stays recoverable: the markers remain, and the next
  // open refolds those customers from history.
  if (db_->access() == Access::kReadWrite)
    FlushBreakdowns(options_.durability).IgnoreError();
}

absl::Status StoreImpl::LoadStale() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->pending()));
  std::lock_guard<std::mutex> lock(stale_mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::optional<keys::CustomerNumber> number =
        keys::NumberOf(it->key().ToStringView());
    if (number) stale_.insert(*number);
  }
  return FromRocks(it->status(), "reading pending breakdowns");
}

bool StoreImpl::IsStale(keys::CustomerNumber number) const {
  std::lock_guard<std::mutex> lock(stale_mu_);
  return stale_.contains(number);
}

absl::Status StoreImpl::FlushBreakdowns(Durability durability) {
  if (wrote_unlogged_) durability = Durability::kNone;  // see wrote_unlogged_
  std::vector<BreakdownsBuffer::Held> held = breakdowns_buffer_.Customers();
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.stripe < b.stripe; });
  for (std::size_t start = 0; start < held.size(); start += kFlushChunk) {
    const std::size_t end = std::min(held.size(), start + kFlushChunk);
    std::vector<std::size_t> stripes;
    for (std::size_t i = start; i < end; ++i) stripes.push_back(held[i].stripe);
    StripeLocks locks(stripes_, std::move(stripes));
    std::vector<std::pair<BreakdownsBuffer::Held, fold::Breakdowns>> taken;
    rocksdb::WriteBatch batch;
    rocksdb::Status s;
    for (std::size_t i = start; i < end && s.ok(); ++i) {
      std::optional<fold::Breakdowns> delta =
          breakdowns_buffer_.Take(held[i].number);
      if (!delta) continue;  // flushed or rebuilt meanwhile
      const std::string key = keys::CustomerKey(held[i].number);
      s = batch.Merge(db_->breakdowns(), key, codec::EncodeOperand(*delta));
      if (s.ok()) s = batch.Delete(db_->pending(), key);
      taken.emplace_back(held[i], *std::move(delta));
    }
    if (s.ok()) s = Write(storage::WriteOptionsFor(durability), &batch);
    if (!s.ok()) {  // keep them for the next flush; their markers stay
      for (auto& [who, delta] : taken)
        breakdowns_buffer_.Add(who.number, who.stripe, std::move(delta));
      return FromRocks(s, "merging buffered breakdowns");
    }
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::SettleAllStale() {
  std::vector<keys::CustomerNumber> stale;
  {
    std::lock_guard<std::mutex> lock(stale_mu_);
    stale.assign(stale_.begin(), stale_.end());
  }
  for (keys::CustomerNumber number : stale) {
    absl::StatusOr<std::string> id = directory_->NameOf(number);
    if (!id.ok()) return id.status();
    std::lock_guard<std::mutex> lock(stripes_[StripeOf(*id)]);
    if (!IsStale(number)) continue;  // a write settled it meanwhile
    if (absl::Status s = Settle(number); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StoreImpl::HasPendingMarker(
    keys::CustomerNumber number) const {
  rocksdb::PinnableSlice value;
  const rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->pending(),
                     keys::CustomerKey(number), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading pending breakdowns");
  return true;
}

// The purchases of the root `root` and of everyone merged into it.
absl::StatusOr<fold::Breakdowns> StoreImpl::FoldPurchases(
    keys::CustomerNumber root) const {
  fold::Breakdowns folded;
  for (keys::CustomerNumber number : GroupOf(root)) {
    const std::string prefix = keys::CustomerKey(number);
    rocksdb::ReadOptions read;
    read.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(
        read, db_->history(keys::HistoryCf::kPurchases)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      absl::StatusOr<Event> event = DecodeEvent(it->value().ToStringView());
      if (!event.ok()) {
        return absl::DataLossError(absl::StrCat("history of customer number ",
                                                number, ": ",
                                                event.status().message()));
      }
      fold::Join(folded, fold::BreakdownsOf(*event));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading history");
  }
  return folded;
}

absl::StatusOr<fold::Breakdowns> StoreImpl::CurrentBreakdowns(
    keys::CustomerNumber number, std::optional<Dimension> only) const {
  std::optional<fold::Breakdowns> delta = breakdowns_buffer_.Get(number);
  if (!delta) {
    absl::StatusOr<bool> pending = HasPendingMarker(number);
    if (!pending.ok()) return pending.status();
    if (*pending) return FoldPurchases(number);  // stale
  }
  std::string bytes;
  const rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->breakdowns(),
                     keys::CustomerKey(number), &bytes);
  fold::Breakdowns current;
  if (s.ok() && only) {
    absl::StatusOr<fold::BreakdownMap> rows =
        fold::DecodeBreakdowns(bytes, *only);
    if (!rows.ok()) return rows.status();
    current.of(*only) = *std::move(rows);
  } else if (s.ok()) {
    absl::StatusOr<fold::Breakdowns> stored = fold::DecodeBreakdowns(bytes);
    if (!stored.ok()) return stored.status();
    current = *std::move(stored);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading breakdowns");
  }
  if (delta) fold::Join(current, *delta);
  return current;
}

absl::Status StoreImpl::Settle(keys::CustomerNumber number) {
  absl::StatusOr<fold::Breakdowns> folded = FoldPurchases(number);
  if (!folded.ok()) return folded.status();
  const std::string key = keys::CustomerKey(number);
  rocksdb::WriteBatch batch;
  rocksdb::Status s = folded->empty() ? batch.Delete(db_->breakdowns(), key)
                                      : batch.Put(db_->breakdowns(), key,
                                                  fold::Encode(*folded));
  if (s.ok()) s = batch.Delete(db_->pending(), key);
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  if (!s.ok()) return FromRocks(s, "refolding breakdowns from history");
  std::lock_guard<std::mutex> lock(stale_mu_);
  stale_.erase(number);
  return absl::OkStatus();
}

}  // namespace ckm::engine
