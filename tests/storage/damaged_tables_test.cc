// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A damaged block that Rebuild replaced (issue 11: "not covered yet"). The
// rebuild writes the fold without reading the damaged value, but the block
// stayed in its table file, and the compaction that reached it failed and
// stopped writes until the store was reopened. Now the rebuild takes the
// file out of the tree (storage/damaged_tables.h): a full compaction
// succeeds, writes keep working, every customer of the file reads again
// (Rebuild of one rebuilds the file's others) and VerifyAll is clean, also
// after reopening. Both for a file of level 0 and one of level 1.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "storage/keys.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

namespace fs = std::filesystem;

constexpr int kCustomers = 6;

std::string Id(int i) { return "cust-" + std::to_string(i); }

std::vector<rocksdb::SstFileMetaData> TablesOf(Store& store,
                                               const std::string& cf) {
  rocksdb::ColumnFamilyMetaData meta;
  internal::Db(store)->GetColumnFamilyMetaData(internal::Cf(store, cf), &meta);
  std::vector<rocksdb::SstFileMetaData> files;
  for (const rocksdb::LevelMetaData& level : meta.levels)
    files.insert(files.end(), level.files.begin(), level.files.end());
  return files;
}

rocksdb::Status CompactAll(Store& store) {
  rocksdb::DB* db = internal::Db(store);
  for (const char* cf : {keys::kProfilesCf, keys::kBreakdownsCf}) {
    rocksdb::Status s =
        db->CompactRange(rocksdb::CompactRangeOptions(),
                         internal::Cf(store, cf), nullptr, nullptr);
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

// A store whose table file of `cf` at `level` (0, or 1 after a full
// compaction) holds a damaged block; returns that file's path.
std::string DamagedStore(const std::string& dir, const std::string& cf,
                         int level) {
  StoreOptions options;
  options.breakdowns_buffer_bytes = 0;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, options);
  REQUIRE_OK(store);
  REQUIRE_OK((*store)->Record(ckm_test::EventGen(71, kCustomers).Events(300)));
  REQUIRE_OK((*store)->Flush());
  if (level > 0) REQUIRE(CompactAll(**store).ok());
  std::vector<rocksdb::SstFileMetaData> files = TablesOf(**store, cf);
  REQUIRE(files.size() == 1);
  const std::string path =
      files[0].directory + "/" + files[0].relative_filename;
  store->reset();
  ckm_test::FlipByte(path, 20);  // inside the first data block
  return path;
}

void CheckAll(Store& store) {
  absl::StatusOr<StoreReport> all = store.VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->ok());
  for (int i = 0; i < kCustomers; ++i) {
    CHECK_OK(store.Get(Id(i)));
    CHECK_OK(store.Breakdown(Id(i), Dimension::kProduct));
  }
}

TEST_CASE("Without a rebuild, a full compaction meets the block and fails") {
  ckm_test::TempDir tmp;
  DamagedStore(tmp.sub("store"), keys::kProfilesCf, 0);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(tmp.sub("store"));
  REQUIRE_OK(store);
  // More of every customer, so that the compaction merges files (a lone
  // file would move down a level unread).
  REQUIRE_OK((*store)->Record(ckm_test::EventGen(73, kCustomers).Events(50)));
  const rocksdb::Status compacted = CompactAll(**store);
  INFO(compacted.ToString());
  CHECK(compacted.IsCorruption());
}

TEST_CASE(
    "Rebuild takes a damaged table out, so compactions and writes go on") {
  const std::string cf = GENERATE(std::string(keys::kProfilesCf),
                                  std::string(keys::kBreakdownsCf));
  const int level = GENERATE(0, 1);
  INFO(cf << ", damaged file at level " << level);
  ckm_test::TempDir tmp;
  const std::string dir = tmp.sub("store");
  const std::string damaged = DamagedStore(dir, cf, level);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  REQUIRE_OK(store);
  // Rebuild the first customer whose value cannot be read.
  int first = -1;
  for (int i = 0; i < kCustomers && first < 0; ++i) {
    const absl::Status read =
        cf == keys::kProfilesCf
            ? (*store)->Get(Id(i)).status()
            : (*store)->Breakdown(Id(i), Dimension::kProduct).status();
    if (absl::IsDataLoss(read)) first = i;
  }
  REQUIRE(first >= 0);
  absl::StatusOr<CustomerReport> rebuilt = (*store)->Rebuild(Id(first));
  REQUIRE_OK(rebuilt);
  CHECK_FALSE(rebuilt->ok());  // it was damaged
  for (const rocksdb::SstFileMetaData& f : TablesOf(**store, cf))
    CHECK(f.directory + "/" + f.relative_filename != damaged);
  CheckAll(**store);  // the file's other customers were rebuilt too

  const rocksdb::Status compacted = CompactAll(**store);
  INFO(compacted.ToString());
  CHECK(compacted.ok());
  Event more = ckm_test::EventGen(72, kCustomers).Next();
  more.id = 987'654'321;
  REQUIRE_OK((*store)->Record(more));
  CheckAll(**store);
  store->reset();
  store = Store::Open(dir);
  REQUIRE_OK(store);
  CHECK(CompactAll(**store).ok());
  CheckAll(**store);
  CHECK((*store)->Get(more.customer.id)->event_count() > 0);
}

}  // namespace
}  // namespace ckm
