// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/directory.h"

#include <algorithm>
#include <functional>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "codec/identity_change.h"
#include "quote.h"
#include "string_util.h"

namespace ckm::storage {
namespace {

// A directory or identity value: exactly one customer number.
absl::StatusOr<keys::CustomerNumber> DecodeNumber(std::string_view value,
                                                  std::string_view what) {
  std::optional<keys::CustomerNumber> number = keys::NumberOf(value);
  if (!number || value.size() != keys::kCustomerKeyBytes) {
    return absl::DataLossError(
        absl::StrCat(Av(what), ": stored value is not a customer number (",
                     value.size(), " bytes)"));
  }
  return *number;
}

std::string Quoted(std::string_view what, std::string_view id) {
  return absl::StrCat(Av(what), " ", QuoteForError(id));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Directory>> Directory::Open(const Db& db) {
  // The highest reverse entry: 0x00 BE64(max).
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), db.customers()));
  it->SeekForPrev(keys::ReverseKey(~keys::CustomerNumber{0}));
  keys::CustomerNumber highest = 0;
  if (it->Valid() && keys::IsReverseKey(it->key().ToStringView())) {
    std::optional<keys::CustomerNumber> number =
        keys::NumberOf(it->key().ToStringView().substr(1));
    if (!number) {
      return absl::DataLossError(
          "customer directory: a reverse entry holds no customer number");
    }
    highest = *number;
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "reading the customer directory");
  std::unique_ptr<Directory> directory(new Directory(db, highest + 1));
  if (absl::Status s = directory->LoadLinks(); !s.ok()) return s;
  return directory;
}

absl::Status Directory::LoadLinks() {
  const std::string prefix = keys::MergedIntoPrefix();
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db()->NewIterator(read, db_.customers()));
  std::lock_guard<std::mutex> lock(links_mu_);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    const std::string_view key = it->key().ToStringView();
    std::optional<keys::CustomerNumber> absorbed =
        keys::NumberOf(key.substr(prefix.size()));
    absl::StatusOr<keys::CustomerNumber> survivor =
        DecodeNumber(it->value().ToStringView(), "merge link");
    if (!survivor.ok()) return survivor.status();
    if (!absorbed || key.size() != prefix.size() + keys::kCustomerKeyBytes)
      return absl::DataLossError("a merge link names no customer number");
    parent_[*absorbed] = *survivor;
    children_[*survivor].insert(*absorbed);
  }
  return FromRocks(it->status(), "reading merge links");
}

absl::StatusOr<std::vector<std::optional<keys::CustomerNumber>>>
Directory::Find(const std::vector<std::string_view>& ids) const {
  std::vector<std::optional<keys::CustomerNumber>> out(ids.size());
  std::vector<std::size_t> missed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto it = cached_.find(Av(ids[i]));
      if (it != cached_.end()) {
        out[i] = it->second;
      } else {
        missed.push_back(i);
      }
    }
  }
  if (missed.empty()) return out;
  std::vector<rocksdb::Slice> slices;
  for (std::size_t i : missed) slices.emplace_back(ids[i]);
  std::vector<rocksdb::PinnableSlice> values(missed.size());
  std::vector<rocksdb::Status> statuses(missed.size());
  db_.db()->MultiGet(rocksdb::ReadOptions(), db_.customers(), missed.size(),
                     slices.data(), values.data(), statuses.data());
  std::vector<std::pair<std::string_view, keys::CustomerNumber>> found;
  for (std::size_t k = 0; k < missed.size(); ++k) {
    const std::size_t i = missed[k];
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok())
      return FromRocks(statuses[k], "reading the customer directory");
    absl::StatusOr<keys::CustomerNumber> number =
        DecodeNumber(values[k].ToStringView(), Quoted("customer", ids[i]));
    if (!number.ok()) return number.status();
    out[i] = *number;
    found.emplace_back(ids[i], *number);
  }
  Remember(found);
  return out;
}

void Directory::Remember(
    const std::vector<std::pair<std::string_view, keys::CustomerNumber>>&
        entries) const {
  if (entries.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, number] : entries) {
    if (cached_.size() >= kCachedNumbers) cached_.clear();
    cached_.emplace(id, number);
  }
}

void Directory::Forget(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.erase(std::string(id));
}

absl::StatusOr<std::optional<keys::CustomerNumber>> Directory::Find(
    std::string_view id) const {
  rocksdb::PinnableSlice value;
  const rocksdb::Status s =
      db_.db()->Get(rocksdb::ReadOptions(), db_.customers(), id, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading the customer directory");
  absl::StatusOr<keys::CustomerNumber> number =
      DecodeNumber(value.ToStringView(), Quoted("customer", id));
  if (!number.ok()) return number.status();
  return *number;
}

absl::StatusOr<std::optional<keys::CustomerNumber>> Directory::FindIdentity(
    IdentityType type, std::string_view value) const {
  rocksdb::PinnableSlice stored;
  const rocksdb::Status s =
      db_.db()->Get(rocksdb::ReadOptions(), db_.identities(),
                    keys::IdentityKey(type, value), &stored);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading identity");
  absl::StatusOr<keys::CustomerNumber> number =
      DecodeNumber(stored.ToStringView(), Quoted("identity", value));
  if (!number.ok()) return number.status();
  return *number;
}

absl::StatusOr<std::string> Directory::NameOf(
    keys::CustomerNumber number) const {
  std::string id;
  const rocksdb::Status s = db_.db()->Get(
      rocksdb::ReadOptions(), db_.customers(), keys::ReverseKey(number), &id);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("customer number ", number, " has no directory entry"));
  }
  if (!s.ok()) return FromRocks(s, "reading the customer directory");
  return id;
}

rocksdb::Status Directory::AddCustomer(rocksdb::WriteBatch& batch,
                                       std::string_view id,
                                       keys::CustomerNumber number) const {
  const std::string key = keys::CustomerKey(number);
  rocksdb::Status s = batch.Put(db_.customers(), id, key);
  if (s.ok()) s = batch.Put(db_.customers(), keys::ReverseKey(number), id);
  return s;
}

rocksdb::Status Directory::AddIdentity(rocksdb::WriteBatch& batch,
                                       IdentityType type,
                                       std::string_view value,
                                       keys::CustomerNumber number) const {
  return batch.Put(db_.identities(), keys::IdentityKey(type, value),
                   keys::CustomerKey(number));
}

rocksdb::Status Directory::RemoveIdentity(rocksdb::WriteBatch& batch,
                                          IdentityType type,
                                          std::string_view value) const {
  return batch.Delete(db_.identities(), keys::IdentityKey(type, value));
}

std::optional<keys::CustomerNumber> Directory::Parent(
    keys::CustomerNumber number) const {
  std::lock_guard<std::mutex> lock(links_mu_);
  const auto it = parent_.find(number);
  if (it == parent_.end()) return std::nullopt;
  return it->second;
}

keys::CustomerNumber Directory::Root(keys::CustomerNumber number) const {
  std::lock_guard<std::mutex> lock(links_mu_);
  // Links never form a cycle (a merge absorbs only a root into another
  // group); the bound only guards against a damaged store.
  for (std::size_t hops = 0; hops <= parent_.size(); ++hops) {
    const auto it = parent_.find(number);
    if (it == parent_.end()) break;
    number = it->second;
  }
  return number;
}

std::vector<keys::CustomerNumber> Directory::Group(
    keys::CustomerNumber root) const {
  std::vector<keys::CustomerNumber> group = {root};
  std::lock_guard<std::mutex> lock(links_mu_);
  for (std::size_t i = 0; i < group.size() && i <= parent_.size(); ++i) {
    const auto it = children_.find(group[i]);
    if (it == children_.end()) continue;
    group.insert(group.end(), it->second.begin(), it->second.end());
  }
  std::sort(group.begin(), group.end());
  return group;
}

std::size_t Directory::GroupSize(keys::CustomerNumber root) const {
  return Group(root).size() - 1;
}

rocksdb::Status Directory::AddMergeLink(rocksdb::WriteBatch& batch,
                                        keys::CustomerNumber absorbed,
                                        keys::CustomerNumber survivor) const {
  rocksdb::Status s = batch.Put(db_.customers(), keys::MergedIntoKey(absorbed),
                                keys::CustomerKey(survivor));
  if (s.ok()) {
    s = batch.Put(db_.customers(), keys::AbsorbedKey(survivor, absorbed),
                  rocksdb::Slice());
  }
  return s;
}

rocksdb::Status Directory::RemoveMergeLink(
    rocksdb::WriteBatch& batch, keys::CustomerNumber absorbed,
    keys::CustomerNumber survivor) const {
  rocksdb::Status s =
      batch.Delete(db_.customers(), keys::MergedIntoKey(absorbed));
  if (s.ok())
    s = batch.Delete(db_.customers(), keys::AbsorbedKey(survivor, absorbed));
  return s;
}

void Directory::Link(keys::CustomerNumber absorbed,
                     keys::CustomerNumber survivor) {
  std::lock_guard<std::mutex> lock(links_mu_);
  parent_[absorbed] = survivor;
  children_[survivor].insert(absorbed);
}

void Directory::Unlink(keys::CustomerNumber absorbed) {
  std::lock_guard<std::mutex> lock(links_mu_);
  const auto it = parent_.find(absorbed);
  if (it == parent_.end()) return;
  const auto siblings = children_.find(it->second);
  if (siblings != children_.end()) {
    siblings->second.erase(absorbed);
    if (siblings->second.empty()) children_.erase(siblings);
  }
  parent_.erase(it);
}

rocksdb::Status Directory::AddChange(rocksdb::WriteBatch& batch,
                                     keys::CustomerNumber number,
                                     const IdentityChange& change) const {
  // RocksDB's sequence numbers only grow, across restarts too, and a
  // customer's changes are written one batch at a time under its lock.
  const std::uint64_t seq = db_.db()->GetLatestSequenceNumber() + 1;
  return batch.Put(db_.customers(), keys::ChangeKey(number, seq),
                   codec::EncodeIdentityChange(change));
}

absl::StatusOr<std::vector<IdentityChange>> Directory::Changes(
    keys::CustomerNumber number) const {
  const std::string prefix = keys::ChangePrefix(number);
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db()->NewIterator(rocksdb::ReadOptions(), db_.customers()));
  std::vector<IdentityChange> out;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    absl::StatusOr<IdentityChange> change =
        codec::DecodeIdentityChange(it->value().ToStringView());
    if (!change.ok()) return change.status();
    out.push_back(*std::move(change));
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "reading identity changes");
  return out;
}

absl::Status Directory::ForEach(
    const std::function<absl::Status(keys::CustomerNumber, std::string_view)>&
        visit) const {
  const std::string upper(1, '\x01');  // past every reverse entry
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db()->NewIterator(read, db_.customers()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    // Change logs and merge links share the reverse entries' first byte.
    if (key.size() > 1 + keys::kCustomerKeyBytes) continue;
    std::optional<keys::CustomerNumber> number =
        key.size() == 1 + keys::kCustomerKeyBytes
            ? keys::NumberOf(key.substr(1))
            : std::nullopt;
    if (!number) {
      return absl::DataLossError(
          "customer directory: a reverse entry holds no customer number");
    }
    if (absl::Status s = visit(*number, it->value().ToStringView()); !s.ok())
      return s;
  }
  return FromRocks(it->status(), "reading the customer directory");
}

}  // namespace ckm::storage
