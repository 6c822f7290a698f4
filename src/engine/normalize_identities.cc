// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Identity keys written before identities were normalised (or under older
// rules, kIdentityRulesVersion) are rewritten in their normalised form once,
// on the first read-write open (docs/identity.md, "Stores written before
// normalisation").

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/store_impl.h"
#include "identity_rules.h"
#include "rocksdb/write_batch.h"
#include "string_util.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

constexpr char kMetaIdentityRules[] = "ckm.identity_rules";
// Keys rewritten per batch: the pass may be long, its batches stay short.
constexpr std::size_t kChunk = 1024;

// A stored identity key that is not in normalised form.
struct Stale {
  std::string key;  // as stored
  IdentityType type;
  std::string normalized;
  keys::CustomerNumber number;
};

}  // namespace

absl::Status StoreImpl::NormalizeStoredIdentities() {
  std::string version;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), kMetaIdentityRules, &version);
  if (s.ok() && version == kIdentityRulesVersion) return absl::OkStatus();
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading metadata");
  // A read-only store is read as it is: lookups of identities it stores
  // unnormalised fail until a read-write open rewrites them.
  if (db_->access() != Access::kReadWrite) return absl::OkStatus();

  std::vector<Stale> stale;
  std::map<std::pair<IdentityType, std::string>, keys::CustomerNumber> owner;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->identities()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::optional<keys::CustomerNumber> number =
        keys::NumberOf(it->value().ToStringView());
    if (key.size() < 2 || key[1] != '\0' || !number) continue;  // not ours
    const auto type = static_cast<IdentityType>(key[0]);
    absl::StatusOr<std::string> normalized = NormalizeIdentity(
        type, key.substr(2), options_.identity.default_country_code);
    // A value that does not normalise can never be named again; it stays.
    if (!normalized.ok()) continue;
    if (*normalized == key.substr(2)) {
      owner[{type, *normalized}] = *number;
    } else {
      stale.push_back(
          {std::string(key), type, *std::move(normalized), *number});
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading identities");

  // Two spellings of one identity linked to two customers: the one already
  // in normalised form, else the first customer, keeps it; the other's link
  // goes, and its log says why.
  rocksdb::WriteBatch batch;
  s = rocksdb::Status::OK();
  for (std::size_t i = 0; i < stale.size() && s.ok(); ++i) {
    const Stale& x = stale[i];
    const auto [held, fresh] =
        owner.try_emplace({x.type, x.normalized}, x.number);
    s = batch.Delete(db_->identities(), x.key);
    if (s.ok() && fresh) {
      s = directory_->AddIdentity(batch, x.type, x.normalized, x.number);
    } else if (s.ok() && held->second != x.number) {
      IdentityChange change;
      change.kind = IdentityChange::Kind::kUnlinked;
      change.actor = "ckm";
      change.reason =
          absl::StrCat("identity normalisation: ", Av(x.key.substr(2)), " is ",
                       IdentityName(x.type, x.normalized),
                       ", which is linked to customer number ", held->second);
      change.identity_type = x.type;
      change.identity_value = x.normalized;
      s = directory_->AddChange(batch, x.number, change);
    }
    if (s.ok() && batch.Count() >= kChunk) {
      s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
      batch.Clear();
    }
  }
  if (s.ok()) s = batch.Put(kMetaIdentityRules, kIdentityRulesVersion);
  if (s.ok()) s = Write(storage::WriteOptionsFor(Durability::kSync), &batch);
  // With nothing to rewrite, only the note that the pass is done failed (a
  // full disk, say): the store is right as it is, and the next open tries
  // again.
  if (stale.empty()) return absl::OkStatus();
  return FromRocks(s, "normalising stored identities");
}

}  // namespace ckm::engine
