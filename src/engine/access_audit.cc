// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The access audit (StoreOptions::access_audit, docs/privacy.md): who read
// which customer, why, with which call, when, and with what outcome. Each
// entry lives under the customer's number (storage/keys.h AccessKey) and
// holds no id, so Erase removes it with the customer's other entries; scans
// of every profile get one store-wide entry each.

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/access_entry.h"
#include "engine/store_impl.h"
#include "quote.h"

namespace ckm::engine {
namespace {

using storage::FromRocks;

AccessEntry EntryOf(std::string_view call, const ReadOptions& read,
                    const absl::Status& outcome) {
  AccessEntry entry;
  entry.ts_ms = NowMs();
  entry.call = std::string(call);
  entry.role = read.role;
  entry.purpose = read.purpose;
  entry.outcome = absl::StatusCodeToString(outcome.code());
  return entry;
}

// Every entry whose key starts with `prefix` in `cf`, oldest first.
absl::StatusOr<std::vector<AccessEntry>> ListEntries(
    const storage::Db& db, rocksdb::ColumnFamilyHandle* cf,
    const std::string& prefix) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), cf));
  std::vector<AccessEntry> out;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    absl::StatusOr<AccessEntry> entry =
        codec::DecodeAccessEntry(it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    out.push_back(*std::move(entry));
  }
  if (!it->status().ok())
    return FromRocks(it->status(), "reading the access audit");
  return out;
}

}  // namespace

absl::Status StoreImpl::AuditRead(std::string_view call,
                                  std::string_view customer_id,
                                  const ReadOptions& read,
                                  const absl::Status& outcome) const {
  // Bad input reads no one's data; a malformed id is not looked up.
  if (absl::IsInvalidArgument(outcome) || !CheckCustomerId(customer_id).ok())
    return absl::OkStatus();
  absl::StatusOr<std::optional<keys::CustomerNumber>> number =
      NumberOf(customer_id);
  if (!number.ok()) return number.status();
  if (!*number) return absl::OkStatus();  // no such customer: nothing read
  const AccessEntry entry = EntryOf(call, read, outcome);
  return AppendAccess(
      **number, keys::AccessKey(**number, entry.ts_ms, ++next_access_), entry);
}

absl::Status StoreImpl::AuditScan(const ReadOptions& read,
                                  std::int64_t profiles,
                                  const absl::Status& outcome) const {
  AccessEntry entry = EntryOf("ForEachProfile", read, outcome);
  entry.profiles = profiles;
  return AppendAccess(0, keys::ScanLogKey(entry.ts_ms, ++next_access_), entry);
}

// Unsynced, with the write-ahead log: an entry survives a crash of the
// process, and may be lost with the last moments before a crash of the
// machine, like a Record() with Durability::kBuffered. No read waits on a
// sync.
absl::Status StoreImpl::AppendAccess(keys::CustomerNumber number,
                                     std::string key,
                                     const AccessEntry& entry) const {
  std::shared_lock<std::shared_mutex> lock(audit_mu_);
  if (number != 0 && erased_numbers_.contains(number)) return absl::OkStatus();
  rocksdb::ColumnFamilyHandle* cf =
      number != 0 ? db_->customers() : db_->db()->DefaultColumnFamily();
  return FromRocks(
      db_->db()->Put(storage::WriteOptionsFor(Durability::kBuffered), cf, key,
                     codec::EncodeAccessEntry(entry)),
      "writing the access audit");
}

absl::Status StoreImpl::PlanAccessLog(
    const std::vector<ErasedCustomer>& customers, ErasurePlan& plan) const {
  for (const ErasedCustomer& c : customers) {
    const std::string prefix = keys::AccessPrefix(c.number);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->customers()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      plan.points.push_back({db_->customers(), it->key().ToString()});
    }
    if (!it->status().ok())
      return FromRocks(it->status(), "reading the access audit");
  }
  return absl::OkStatus();
}

absl::Status StoreImpl::ForEachProfile(
    const std::function<bool(const Profile&)>& visit,
    const ReadOptions& read) const {
  if (!options_.access_audit) return ScanProfiles(visit, read);
  std::int64_t visited = 0;
  const absl::Status scanned = ScanProfiles(
      [&](const Profile& profile) {
        ++visited;
        return visit(profile);
      },
      read);
  const absl::Status audited = AuditScan(read, visited, scanned);
  return audited.ok() ? scanned : audited;
}

absl::StatusOr<std::vector<AccessEntry>> StoreImpl::AccessLog(
    std::string_view customer_id) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  absl::StatusOr<std::optional<keys::CustomerNumber>> number =
      NumberOf(customer_id);
  if (!number.ok()) return number.status();
  if (!*number) {
    return absl::NotFoundError(
        absl::StrCat("no customer ", QuoteForError(customer_id)));
  }
  return ListEntries(*db_, db_->customers(), keys::AccessPrefix(**number));
}

absl::StatusOr<std::vector<AccessEntry>> StoreImpl::ScanLog() const {
  return ListEntries(*db_, db_->db()->DefaultColumnFamily(),
                     keys::kScanLogPrefix);
}

}  // namespace ckm::engine
