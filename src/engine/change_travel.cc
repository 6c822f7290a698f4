// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Changes of customers that travel (docs/sync.md): a merge, unmerge,
// unlink or erasure made on a store with an outbox is queued in the batch
// that makes it, with a random id; ApplyChange makes a change that came
// from another store's outbox, once per id. Both write the id's applied
// mark in that batch, so a change that comes back (a following terminal
// receives its own) or comes again (a redelivery) changes nothing.

#include <mutex>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "codec/change_codec.h"
#include "engine/store_impl.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

std::string AppliedKey(std::string_view change_id) {
  return absl::StrCat(keys::kAppliedChangePrefix,
                      absl::BytesToHexString(Av(change_id)));
}

// 16 bytes from the operating system's entropy: ids made by different
// terminals never meet, and say nothing about the customer.
std::string NewChangeId() {
  std::random_device entropy;
  std::string id(codec::kChangeIdBytes, '\0');
  for (std::size_t i = 0; i < id.size(); i += 4) {
    const std::uint32_t word = entropy();
    for (std::size_t b = 0; b < 4; ++b)
      id[i + b] = static_cast<char>(word >> (8 * b));
  }
  return id;
}

}  // namespace

ChangeTravel StoreImpl::LocalTravel(OutboxChange::Kind kind,
                                    IdentityChangeOptions& options) const {
  if (!options.ts_ms) options.ts_ms = NowMs();
  ChangeTravel travel;
  travel.change.kind = kind;
  travel.change.ts_ms = *options.ts_ms;
  travel.change.actor = options.actor;
  travel.change.reason = options.reason;
  travel.queue = db_->outbox() != nullptr && options.outbox;
  if (travel.queue) travel.change.id = NewChangeId();
  return travel;
}

rocksdb::Status StoreImpl::AddTravel(rocksdb::WriteBatch& batch,
                                     const ChangeTravel& travel) {
  if (travel.change.id.empty()) return rocksdb::Status::OK();
  rocksdb::Status s = batch.Put(AppliedKey(travel.change.id), "");
  if (s.ok() && travel.queue && db_->outbox() != nullptr) {
    // A batch that fails leaves a gap in the sequences, as Record's do.
    s = batch.Put(db_->outbox(), keys::OutboxKey(next_outbox_.fetch_add(1)),
                  codec::EncodeChange(travel.change));
  }
  return s;
}

absl::Status StoreImpl::MarkApplied(const ChangeTravel& travel) {
  if (travel.change.id.empty() || travel.queue) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  rocksdb::Status s = AddTravel(batch, travel);
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  return FromRocks(s, "marking a change applied");
}

absl::StatusOr<bool> StoreImpl::IsApplied(std::string_view change_id) const {
  std::string value;
  const rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), AppliedKey(change_id), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "reading applied changes");
  return true;
}

absl::StatusOr<bool> StoreImpl::ApplyChange(const OutboxChange& change) {
  if (absl::Status s = CheckWritable("ApplyChange"); !s.ok()) return s;
  if (absl::Status s = codec::CheckChange(change); !s.ok()) return s;
  std::lock_guard<std::mutex> one_at_a_time(apply_mu_);
  absl::StatusOr<bool> applied = IsApplied(change.id);
  if (!applied.ok()) return applied.status();
  if (*applied) return false;
  IdentityChangeOptions options;
  options.actor = change.actor;
  options.reason = change.reason;
  options.ts_ms = change.ts_ms;
  options.outbox = false;
  const ChangeTravel travel{change, /*queue=*/false};
  absl::Status s;
  switch (change.kind) {
    case OutboxChange::Kind::kMerge:
      s = MergeWith(change.customer, change.other, options, travel);
      break;
    case OutboxChange::Kind::kUnmerge:
      s = UnmergeWith(change.customer, change.other, options, travel);
      break;
    case OutboxChange::Kind::kUnlink:
      s = UnlinkWith(change.identity_type, change.identity_value, options,
                     travel, change.customer);
      break;
    case OutboxChange::Kind::kErase:
      s = ApplyErase(travel);
      break;
  }
  if (!s.ok()) return s;
  return true;
}

}  // namespace ckm::engine
