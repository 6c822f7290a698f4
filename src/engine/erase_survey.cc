// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The survey before an erasure: what the store holds on a merged group
// beyond the keys its numbers give (engine/erase_plan.h). Runs under the
// stripes of every customer of the group and of its root, so that nothing
// of theirs is written meanwhile.

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/base/internal/endian.h"
#include "codec/event_codec.h"
#include "codec/identity_change.h"
#include "engine/store_impl.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

// The identity's key as stored now (normalised) and as given, should the
// value not normalise under the store's options: either may be a key.
void AddIdentityKeys(IdentityType type, std::string_view value,
                     std::string_view country_code,
                     std::set<std::string>& keys) {
  keys.insert(keys::IdentityKey(type, value));
  absl::StatusOr<std::string> normalized =
      NormalizeIdentity(type, value, country_code);
  if (normalized.ok()) keys.insert(keys::IdentityKey(type, *normalized));
}

// Counts the customer's history events and lists their keys, and the
// identities its identity events linked.
absl::Status SurveyHistory(const storage::Db& db, std::string_view country_code,
                           ErasedCustomer& customer, GroupSurvey& out,
                           std::set<std::string>& identities) {
  const std::string begin = keys::CustomerKey(customer.number);
  const std::string end = keys::CustomerKey(customer.number + 1);
  for (rocksdb::ColumnFamilyHandle* cf : db.history()) {
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    read.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(read, cf));
    for (it->Seek(begin); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      if (key.size() != keys::kHistoryKeyBytes) continue;
      const std::int64_t ts = static_cast<std::int64_t>(
          absl::big_endian::Load64(key.data() + 8) ^ kSignBit);
      customer.newest_ts_ms =
          customer.events == 0 ? ts : std::max(customer.newest_ts_ms, ts);
      ++customer.events;
      out.history_keys.push_back({cf, std::string(key)});
      if (static_cast<EventKind>(key.back()) != EventKind::kIdentity) continue;
      absl::StatusOr<Event> e = DecodeEvent(it->value().ToStringView());
      if (!e.ok()) continue;  // damaged: the profile lists its link too
      const auto& link = std::get<Identity>(e->body);
      AddIdentityKeys(link.type, link.value, country_code, identities);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading history");
  }
  return absl::OkStatus();
}

// Keeps the identity keys that lead to a customer of the group now: the
// others name someone else, and are theirs.
absl::Status KeepOwnedIdentities(const storage::Db& db,
                                 const std::set<std::string>& candidates,
                                 GroupSurvey& out) {
  std::map<std::string, ErasedCustomer*> by_key;  // CustomerKey -> customer
  for (ErasedCustomer& c : out.customers)
    by_key[keys::CustomerKey(c.number)] = &c;
  for (const std::string& key : candidates) {
    std::string owner;
    const rocksdb::Status s =
        db.db()->Get(rocksdb::ReadOptions(), db.identities(), key, &owner);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading identities");
    const auto it = s.ok() ? by_key.find(owner) : by_key.end();
    if (it == by_key.end()) continue;
    ++it->second->identities;
    out.identity_keys.push_back(key);
  }
  return absl::OkStatus();
}

// Calls visit(key, change) for each entry of `number`'s change log; a
// damaged entry's change is nullptr.
absl::Status ForEachChange(
    const storage::Db& db, keys::CustomerNumber number,
    const std::function<void(std::string_view, const IdentityChange*)>& visit) {
  const std::string prefix = keys::ChangePrefix(number);
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), db.customers()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    absl::StatusOr<IdentityChange> change =
        codec::DecodeIdentityChange(it->value().ToStringView());
    visit(it->key().ToStringView(), change.ok() ? &*change : nullptr);
  }
  return FromRocks(it->status(), "reading identity changes");
}

}  // namespace

// Every entry of the group's own change logs goes. So do the entries of
// other customers' logs that name one of the group (a merge and unmerge of
// the past): they hold its id, and the reason given for the merge.
absl::Status StoreImpl::SurveyChanges(GroupSurvey& out) const {
  std::set<std::string, std::less<>> ids, others;
  for (const ErasedCustomer& c : out.customers) ids.insert(c.id);
  for (const ErasedCustomer& c : out.customers) {
    absl::Status s = ForEachChange(
        *db_, c.number, [&](std::string_view key, const IdentityChange* ch) {
          out.change_keys.emplace_back(key);
          if (ch != nullptr && !ch->other.empty() && !ids.count(ch->other))
            others.insert(ch->other);
        });
    if (!s.ok()) return s;
  }
  for (const std::string& other : others) {
    absl::StatusOr<std::optional<keys::CustomerNumber>> number =
        NumberOf(other);
    if (!number.ok()) return number.status();
    if (!*number) continue;  // erased before
    absl::Status s = ForEachChange(
        *db_, **number, [&](std::string_view key, const IdentityChange* ch) {
          if (ch != nullptr && ids.count(ch->other))
            out.change_keys.emplace_back(key);
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<GroupSurvey> StoreImpl::Survey(std::vector<ErasedCustomer> group,
                                              keys::CustomerNumber root) const {
  GroupSurvey out;
  out.customers = std::move(group);
  const std::string_view country = options_.identity.default_country_code;
  std::set<std::string> identities;
  for (ErasedCustomer& c : out.customers) {
    absl::Status s = SurveyHistory(*db_, country, c, out, identities);
    if (!s.ok()) return s;
  }
  // The root's profile lists the group's links too, should a history value
  // be damaged.
  std::string bytes;
  if (db_->db()
          ->Get(rocksdb::ReadOptions(), db_->profiles(),
                keys::CustomerKey(root), &bytes)
          .ok()) {
    if (absl::StatusOr<Profile> p = Profile::FromBytes(std::move(bytes));
        p.ok()) {
      for (const IdentityLink& link : p->identities())
        AddIdentityKeys(link.type, link.value, country, identities);
    }
  }
  if (absl::Status s = KeepOwnedIdentities(*db_, identities, out); !s.ok())
    return s;
  if (absl::Status s = SurveyChanges(out); !s.ok()) return s;
  std::vector<std::string> ids;
  for (const ErasedCustomer& c : out.customers) ids.push_back(c.id);
  absl::StatusOr<std::vector<std::string>> queued = OutboxKeysOf(ids);
  if (!queued.ok()) return queued.status();
  out.outbox_keys = *std::move(queued);
  return out;
}

}  // namespace ckm::engine
