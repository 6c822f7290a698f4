// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What erasures leave: the tombstones, which refuse replays of an erased
// customer's events, and the erasure log (docs/privacy.md). Neither holds
// personal data.

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/time/time.h"
#include "codec/json.h"
#include "codec/json_reader.h"
#include "engine/store_impl.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

}  // namespace

absl::StatusOr<std::vector<std::optional<std::int64_t>>>
StoreImpl::ErasureCutoffs(const std::vector<std::string_view>& ids,
                          bool look_always) const {
  std::vector<std::optional<std::int64_t>> out(ids.size());
  if (!has_tombstones_ && !look_always) return out;
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

absl::StatusOr<std::optional<std::int64_t>> StoreImpl::ErasedUpTo(
    std::string_view customer_id) const {
  absl::StatusOr<std::vector<std::optional<std::int64_t>>> cutoffs =
      ErasureCutoffs({customer_id}, /*look_always=*/true);  // a follower too
  if (!cutoffs.ok()) return cutoffs.status();
  return cutoffs->front();
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
    // Written since merged groups are erased; absent before: one customer.
    const json::Value* customers = v.ok() ? v->Find("customers") : nullptr;
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
    if (customers != nullptr)
      e.customers = json::ToInt64(customers->number_text()).value_or(1);
    out.push_back(std::move(e));
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "reading the erasure log");
  return out;
}

}  // namespace ckm::engine
