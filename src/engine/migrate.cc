// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// MigrateStore: an old store's history, replayed through Record() into a new
// store, which is then verified and compared with the old profiles.

#include "ckm/migrate.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ckm/store.h"
#include "codec/event_codec.h"
#include "fold/fold.h"
#include "quote.h"
#include "rocksdb/db.h"
#include "storage/legacy.h"
#include "storage/store_internal.h"
#include "string_util.h"

namespace ckm {
namespace {

constexpr std::size_t kBatch = 1000;
constexpr std::size_t kMaxListed = 100;

// Replays the old store's history into `store`, kBatch events at a time.
absl::Status Replay(const storage::LegacyStore& old, Store& store,
                    MigrateReport& report) {
  std::vector<Event> batch;
  batch.reserve(kBatch);
  RecordOptions unlogged;  // made durable by the Flush() that ends it
  unlogged.durability = Durability::kNone;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    absl::StatusOr<RecordResult> r = store.Record(batch, unlogged);
    if (!r.ok()) return r.status();
    if (r->already_recorded != 0) {
      return absl::InternalError(
          "an event of the old store was recorded twice in the new one");
    }
    report.events += static_cast<std::int64_t>(r->recorded);
    batch.clear();
    return absl::OkStatus();
  };
  absl::Status s = old.ForEachHistoryValue(
      [&](std::string_view key, std::string_view value) -> absl::Status {
        absl::StatusOr<Event> event = DecodeEvent(value);
        if (!event.ok()) {
          const std::string_view customer = key.substr(0, key.find('\0'));
          return absl::DataLossError(absl::StrCat(
              "the old store's history of customer ", QuoteForError(customer),
              " holds a value that fails verification (",
              event.status().message(),
              "); repair or remove it with the ckm that wrote the store"));
        }
        batch.push_back(*std::move(event));
        return batch.size() == kBatch ? flush() : absl::OkStatus();
      });
  if (s.ok()) s = flush();
  if (s.ok()) s = store.Flush();
  return s;
}

// Profile bytes under the attribute rule of formats 1 to 3, where the
// latest write of any provenance won. Since 3.1 each provenance keeps its
// own value, so a customer whose attributes were written with several
// provenances holds more in the new store, and the old store's own values
// hold more too where this build merges operands the old one had not yet.
std::string WithLatestWriteAttributes(std::string_view bytes) {
  absl::StatusOr<fold::ProfileState> state = fold::DecodeProfile(bytes);
  if (!state.ok()) return std::string(bytes);  // compared as they are
  for (auto& [key, regs] : state->attributes) {
    fold::AttributeRegister latest;
    for (const fold::AttributeRegister& r : regs.values) {
      if (latest.Tie() < r.Tie()) latest = r;
    }
    regs.values = {};
    if (!latest.stamp.empty()) regs.values[latest.provenance - 1] = latest;
  }
  return fold::Encode(*state);
}

// Compares every profile of the new store with the old store's.
absl::Status Compare(const storage::LegacyStore& old, const Store& store,
                     MigrateReport& report) {
  absl::Status inner;
  absl::Status s = store.ForEachProfile([&](const Profile& profile) {
    ++report.customers;
    absl::StatusOr<std::optional<std::string>> before =
        old.ProfileBytes(profile.customer_id());
    if (!before.ok()) {
      inner = before.status();
      return false;
    }
    ++report.profiles_compared;
    if (!*before || WithLatestWriteAttributes(**before) !=
                        WithLatestWriteAttributes(profile.bytes())) {
      ++report.profiles_differing;
      if (report.differing.size() < kMaxListed)
        report.differing.emplace_back(profile.customer_id());
    }
    return true;
  });
  return s.ok() ? inner : s;
}

absl::StatusOr<MigrateReport> Migrate(const storage::LegacyStore& old,
                                      const std::string& to,
                                      const StoreOptions& options) {
  MigrateReport report;
  report.from_format = old.format();
  StoreOptions create = options;
  create.create_if_missing = true;
  create.error_if_exists = true;
  // The comparison reads every profile whole, and is no one's read: the
  // policy and the audit govern the store once opened for use.
  create.access_policy.reset();
  create.access_audit = false;
  storage::OpenParams params;
  params.allow_migrating = true;
  absl::StatusOr<std::unique_ptr<Store>> store =
      internal::Open(to, create, params);
  if (!store.ok()) return store.status();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::DB* db = internal::Db(**store);
  if (rocksdb::Status s = db->Put(sync, storage::kMetaMigrating, old.path());
      !s.ok()) {
    return storage::FromRocks(s, "marking the migration");
  }
  if (absl::Status s = Replay(old, **store, report); !s.ok()) return s;
  absl::StatusOr<StoreReport> verify = (*store)->VerifyAll();
  if (!verify.ok()) return verify.status();
  report.verify = *std::move(verify);
  if (absl::Status s = Compare(old, **store, report); !s.ok()) return s;
  if (rocksdb::Status s = db->Delete(sync, storage::kMetaMigrating); !s.ok())
    return storage::FromRocks(s, "finishing the migration");
  return report;
}

}  // namespace

absl::StatusOr<MigrateReport> MigrateStore(std::string_view from,
                                           std::string_view to,
                                           const StoreOptions& options) {
  const std::string target(to);
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    return absl::AlreadyExistsError(
        absl::StrCat("\"", target, "\" exists; migrate into a new directory"));
  }
  absl::StatusOr<std::unique_ptr<storage::LegacyStore>> old =
      storage::LegacyStore::Open(from);
  if (!old.ok()) return old.status();
  absl::StatusOr<MigrateReport> report = Migrate(**old, target, options);
  if (!report.ok()) std::filesystem::remove_all(target, ec);
  return report;
}

}  // namespace ckm
