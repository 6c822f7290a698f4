// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/legacy.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/db.h"
#include "storage/info_log.h"
#include "storage/keys.h"

namespace ckm::storage {

absl::StatusOr<std::unique_ptr<LegacyStore>> LegacyStore::Open(
    std::string_view path) {
  const std::string dir(path);
  rocksdb::Options options;
  options.create_if_missing = false;
  options.info_log = NewDiscardingInfoLog();  // never write to the old store
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, dir, &names).ok())
    return absl::NotFoundError(absl::StrCat("no store at \"", dir, "\""));
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      DescriptorsForReading(names);
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening \"", dir, "\""));
  std::string version;
  const rocksdb::Status v =
      raw->Get(rocksdb::ReadOptions(), kMetaFormatVersion, &version);
  std::unique_ptr<LegacyStore> store(new LegacyStore(
      std::unique_ptr<rocksdb::DB>(raw), std::move(handles), version, dir));
  if (!v.ok() && !v.IsNotFound()) return FromRocks(v, "reading its format");
  if (IsReadableFormat(version)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", dir, "\" is already of format ", version));
  }
  if (version != "1" && version != "2") {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", dir, "\" is not a ckm store of format 1 or 2"));
  }
  for (const char* name : keys::kHistoryCfNames) {
    if (store->Cf(name) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("\"", dir, "\" has no column family \"", name, "\""));
    }
  }
  if (store->Cf(keys::kProfilesCf) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", dir, "\" has no column family \"profiles\""));
  }
  return store;
}

LegacyStore::LegacyStore(std::unique_ptr<rocksdb::DB> db,
                         std::vector<rocksdb::ColumnFamilyHandle*> handles,
                         std::string format, std::string path)
    : db_(std::move(db)),
      handles_(std::move(handles)),
      format_(std::move(format)),
      path_(std::move(path)) {}

LegacyStore::~LegacyStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    db_->DestroyColumnFamilyHandle(h);
}

rocksdb::ColumnFamilyHandle* LegacyStore::Cf(std::string_view name) const {
  for (rocksdb::ColumnFamilyHandle* h : handles_)
    if (h->GetName() == name) return h;
  return nullptr;
}

absl::Status LegacyStore::ForEachHistoryValue(
    const std::function<absl::Status(std::string_view, std::string_view)>&
        visit) const {
  for (const char* name : keys::kHistoryCfNames) {
    rocksdb::ReadOptions read;
    read.fill_cache = false;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, Cf(name)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (absl::Status s =
              visit(it->key().ToStringView(), it->value().ToStringView());
          !s.ok()) {
        return s;
      }
    }
    if (!it->status().ok())
      return FromRocks(it->status(), absl::StrCat("reading ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> LegacyStore::ProfileBytes(
    std::string_view customer_id) const {
  std::string bytes;
  const rocksdb::Status s = db_->Get(
      rocksdb::ReadOptions(), Cf(keys::kProfilesCf), customer_id, &bytes);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading the old profile");
  return bytes;
}

}  // namespace ckm::storage
