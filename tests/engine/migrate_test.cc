// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// MigrateStore and the refusal of older formats, on a real format-2 store
// (tests/data/format2-store, written by ckm f7dff22 with
// tests/data/make_format2_store.cc.txt: every kind of event, identity links
// and events named through them, part in SST files and part in the WAL).

#include "ckm/migrate.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "codec/operand.h"
#include "fold/fold.h"
#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "test_util.h"

namespace ckm {
namespace {

namespace fs = std::filesystem;
using ckm_test::TempDir;

constexpr std::int64_t kFixtureEvents = 412;  // 8 batches of 50, 12 links
constexpr std::int64_t kFixtureCustomers = 12;

// A private copy of the fixture: tests may damage it.
std::string CopyFixture(const TempDir& dir) {
  const std::string copy = dir.sub("old");
  fs::copy(fs::path(CKM_SOURCE_DIR) / "tests/data/format2-store", copy);
  return copy;
}

// Every file of a directory and its bytes.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out[entry.path().filename().string()] = bytes.str();
  }
  return out;
}

TEST_CASE(
    "Opening a format-2 store is refused, names ckm migrate, and "
    "changes nothing") {
  TempDir dir;
  const std::string old = CopyFixture(dir);
  const auto before = Files(old);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(old);
  CHECK(absl::IsFailedPrecondition(store.status()));
  CHECK(store.status().message().find("format 2") != absl::string_view::npos);
  CHECK(store.status().message().find("ckm migrate") !=
        absl::string_view::npos);
  StoreOptions no_create;
  no_create.create_if_missing = false;
  CHECK(absl::IsFailedPrecondition(Store::Open(old, no_create).status()));
  CHECK(Files(old) == before);
}

TEST_CASE(
    "Migrating a format-2 store carries every event and gives the same "
    "profiles, byte for byte") {
  TempDir dir;
  const std::string old = CopyFixture(dir);
  const auto before = Files(old);
  absl::StatusOr<MigrateReport> report = MigrateStore(old, dir.sub("new"));
  REQUIRE_OK(report);
  CHECK(report->from_format == "2");
  CHECK(report->events == kFixtureEvents);
  CHECK(report->customers == kFixtureCustomers);
  CHECK(report->profiles_compared == kFixtureCustomers);
  CHECK(report->profiles_differing == 0);
  CHECK(report->verify.ok());
  CHECK(report->verify.customers == kFixtureCustomers);
  CHECK(Files(old) == before);  // the old store is only read

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.sub("new"));
  REQUIRE_OK(store);
  std::int64_t events = 0;
  for (int c = 0; c < kFixtureCustomers; ++c) {
    const std::string id = "cust-" + std::to_string(c);
    absl::StatusOr<Events> history = (*store)->History(id, {});
    REQUIRE_OK(history);
    events += static_cast<std::int64_t>(history->size());
    absl::StatusOr<std::string> owner = (*store)->Resolve(
        IdentityType::kEmail, "c" + std::to_string(c) + "@example.com");
    REQUIRE_OK(owner);
    CHECK(*owner == id);
  }
  HistoryQuery all;
  all.limit = 0;
  events = 0;
  for (int c = 0; c < kFixtureCustomers; ++c) {
    events += static_cast<std::int64_t>(
        (*store)->History("cust-" + std::to_string(c), all)->size());
  }
  CHECK(events == kFixtureEvents);
}

// A policy in the options governs the store's readers, not the migration,
// which compares every profile whole (before, it compared as role "", and
// a policy without that role failed every migration half-way).
TEST_CASE("Migrating with an access policy in the options compares whole") {
  TempDir dir;
  const std::string old = CopyFixture(dir);
  StoreOptions options;
  options.access_policy = AccessPolicy{{{"office", {DataPart::kPersonal}}}, {}};
  options.access_audit = true;
  absl::StatusOr<MigrateReport> report =
      MigrateStore(old, dir.sub("new"), options);
  REQUIRE_OK(report);
  CHECK(report->profiles_compared == kFixtureCustomers);
  CHECK(report->profiles_differing == 0);
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(dir.sub("new"), options);
  REQUIRE_OK(store);
  CHECK(absl::IsPermissionDenied((*store)->Get("cust-0").status()));
  absl::StatusOr<std::vector<AccessEntry>> log = (*store)->AccessLog("cust-0");
  REQUIRE_OK(log);
  CHECK(log->size() == 1);  // that refusal: the migration audited nothing
}

TEST_CASE("Migration refuses what it cannot do, and leaves no new directory") {
  TempDir dir;
  const std::string old = CopyFixture(dir);
  SECTION("the target exists") {
    fs::create_directories(dir.sub("taken"));
    CHECK(absl::IsAlreadyExists(MigrateStore(old, dir.sub("taken")).status()));
    CHECK(fs::exists(dir.sub("taken")));  // not ours to remove
  }
  SECTION("no store at the source") {
    CHECK(absl::IsNotFound(
        MigrateStore(dir.sub("nothing"), dir.sub("new")).status()));
    CHECK_FALSE(fs::exists(dir.sub("new")));
  }
  SECTION("the source is already of format 3") {
    { REQUIRE_OK(Store::Open(dir.sub("current"))); }
    CHECK(absl::IsFailedPrecondition(
        MigrateStore(dir.sub("current"), dir.sub("new")).status()));
    CHECK_FALSE(fs::exists(dir.sub("new")));
  }
  SECTION("a history value of the old store fails verification") {
    {  // damage it the way a bad disk would, with the old store's operators
      rocksdb::Options options;
      std::vector<std::string> names;
      REQUIRE(rocksdb::DB::ListColumnFamilies(options, old, &names).ok());
      const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
          storage::DescriptorsForReading(names);
      rocksdb::DB* db = nullptr;
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      REQUIRE(rocksdb::DB::Open(options, old, descriptors, &handles, &db).ok());
      for (rocksdb::ColumnFamilyHandle* h : handles) {
        if (h->GetName() == keys::kPurchasesCf)
          REQUIRE(db->Put(rocksdb::WriteOptions(), h,
                          std::string("cust-3\0zzzzzzzzzzzzzzzzp", 23), "junk")
                      .ok());
      }
      for (rocksdb::ColumnFamilyHandle* h : handles)
        REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
      delete db;
    }
    absl::StatusOr<MigrateReport> report = MigrateStore(old, dir.sub("new"));
    CHECK(absl::IsDataLoss(report.status()));
    CHECK(report.status().message().find("cust-3") != absl::string_view::npos);
    CHECK_FALSE(fs::exists(dir.sub("new")));
  }
}

TEST_CASE("A store whose migration did not finish is refused") {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    REQUIRE_OK(store);
  }
  {  // what a migration that crashed leaves behind: its marker
    storage::OpenParams params;
    params.allow_migrating = true;
    absl::StatusOr<std::unique_ptr<storage::Db>> db =
        storage::Db::Open(dir.path(), StoreOptions{}, params);
    REQUIRE_OK(db);
    REQUIRE((*db)
                ->db()
                ->Put(rocksdb::WriteOptions(), storage::kMetaMigrating, "/old")
                .ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  CHECK(absl::IsFailedPrecondition(store.status()));
  CHECK(store.status().message().find("unfinished migration") !=
        absl::string_view::npos);
}

// The stored format marker, read with RocksDB alone.
std::string FormatMarker(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string version;
  REQUIRE(db->Get(rocksdb::ReadOptions(), storage::kMetaFormatVersion, &version)
              .ok());
  return version;
}

// tests/data/format3-store: tests/data/format3-store.csv imported by ckm
// d8f9b4e (format 3, before line totals and discounts), with
// `ckm import purchases format3-store.csv --db DIR --currency GBP`.
TEST_CASE(
    "A format-3 store is read as it is, and marked with this build's format "
    "by its first read-write open") {
  TempDir dir;
  const std::string old = dir.sub("f3");
  fs::copy(fs::path(CKM_SOURCE_DIR) / "tests/data/format3-store", old);
  const auto before = Files(old);
  {
    StoreOptions read_only;
    read_only.access = Access::kReadOnly;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(old, read_only);
    REQUIRE_OK(store);
    absl::StatusOr<Profile> c1 = (*store)->Get("c1");
    REQUIRE_OK(c1);
    // As ckm d8f9b4e printed it.
    CHECK(c1->purchases().orders == 8);
    CHECK(c1->purchases().by_currency.at(0).net_micros() == 211'690'000);
    CHECK(c1->purchases().by_currency.at(0).discount_micros == 0);
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->customers == 8);
    CHECK(report->ok());
  }
  CHECK(Files(old) == before);  // a read never writes
  CHECK(FormatMarker(old) == "3");

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(old);
  REQUIRE_OK(store);
  // Old history and operands fold to what this build folds them to.
  absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
  Event discounted;
  discounted.id = 99;
  discounted.customer = CustomerRef::Id("c1");
  discounted.ts_ms = 1'767'225'600'000;
  Purchase p;
  p.currency = "GBP";
  PurchaseLine line{"sku-1", "", 3, 3'500'000};
  line.line_total_micros = 10'000'000;
  p.lines = {line};
  p.discount_micros = 1'000'000;
  discounted.body = p;
  REQUIRE_OK((*store)->Record(discounted));
  REQUIRE_OK((*store)->Flush());
  store->reset();
  CHECK(FormatMarker(old) == storage::kFormatVersion);

  store = Store::Open(old);
  REQUIRE_OK(store);
  absl::StatusOr<Profile> c1 = (*store)->Get("c1");
  REQUIRE_OK(c1);
  CHECK(c1->purchases().orders == 9);
  CHECK(c1->purchases().by_currency.at(0).discount_micros == 1'000'000);
  CHECK(c1->purchases().by_currency.at(0).net_micros() == 220'690'000);
  report = (*store)->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
}

// Format 3.1 stored breakdowns as FlatBuffers. Its stores are made here from
// a store of this build, every breakdowns value rewritten in that form and
// the marker set back to 3.1.
void MakeFormat31(const std::string& path) {
  absl::StatusOr<std::unique_ptr<storage::Db>> db =
      storage::Db::Open(path, StoreOptions{}, storage::OpenParams());
  REQUIRE_OK(db);
  rocksdb::DB* raw = (*db)->db();
  REQUIRE(raw->CompactRange(rocksdb::CompactRangeOptions(), (*db)->breakdowns(),
                            nullptr, nullptr)
              .ok());
  std::unique_ptr<rocksdb::Iterator> it(
      raw->NewIterator(rocksdb::ReadOptions(), (*db)->breakdowns()));
  std::map<std::string, std::string> flat;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    REQUIRE(codec::IsOperand(it->value().ToStringView()));
    absl::StatusOr<fold::Breakdowns> rows =
        fold::DecodeBreakdowns(it->value().ToStringView());
    REQUIRE_OK(rows);
    flat[it->key().ToString()] = fold::EncodeFlatBuffers(*rows);
  }
  REQUIRE(it->status().ok());
  REQUIRE(flat.size() == 2);
  for (const auto& [key, value] : flat)
    REQUIRE(raw->Put(rocksdb::WriteOptions(), (*db)->breakdowns(), key, value)
                .ok());
  REQUIRE(raw->Put(rocksdb::WriteOptions(), storage::kMetaFormatVersion,
                   storage::kFormatVersionBeforeCompactBreakdowns)
              .ok());
}

Event Bought(std::uint64_t id, const char* customer, const char* sku,
             std::int64_t quantity) {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = 1'767'225'600'000 + static_cast<std::int64_t>(id) * 60'000;
  Purchase p;
  p.currency = "GBP";
  p.store = "leeds";
  p.lines = {PurchaseLine{sku, "tea", quantity, 2'500'000}};
  e.body = p;
  return e;
}

std::string ProductRows(const Store& store, const char* customer) {
  absl::StatusOr<std::vector<BreakdownEntry>> rows =
      store.Breakdown(customer, Dimension::kProduct);
  REQUIRE_OK(rows);
  std::string out;
  for (const BreakdownEntry& e : *rows)
    out += e.key + ":" + std::to_string(e.orders) + "," +
           std::to_string(e.units) + ";";
  return out;
}

TEST_CASE(
    "Format 3.1's FlatBuffers breakdowns are read as they are, and merge "
    "into the compact form once the store is marked 3.2") {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->Record(std::vector<Event>{
        Bought(1, "c1", "sku-a", 2), Bought(2, "c1", "sku-b", 1),
        Bought(3, "c2", "sku-a", 5)}));
  }
  MakeFormat31(dir.path());
  const auto before = Files(dir.path());
  {
    StoreOptions read_only;
    read_only.access = Access::kReadOnly;
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir.path(), read_only);
    REQUIRE_OK(store);
    CHECK(ProductRows(**store, "c1") == "sku-a:1,2;sku-b:1,1;");
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
  }
  CHECK(Files(dir.path()) == before);  // a read never writes
  CHECK(FormatMarker(dir.path()) == "3.1");
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    REQUIRE_OK(store);
    CHECK(FormatMarker(dir.path()) == storage::kFormatVersion);
    // c1 orders sku-a again: not a new product; c2's value stays as it was.
    absl::StatusOr<RecordResult> r =
        (*store)->Record(Bought(4, "c1", "sku-a", 1));
    REQUIRE_OK(r);
    absl::StatusOr<Profile> c1 = (*store)->Get("c1");
    REQUIRE_OK(c1);
    CHECK(c1->purchases().distinct_products == 2);
    CHECK(ProductRows(**store, "c1") == "sku-a:2,3;sku-b:1,1;");
    CHECK(ProductRows(**store, "c2") == "sku-a:1,5;");
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
  }
  absl::StatusOr<std::unique_ptr<storage::Db>> db =
      storage::Db::Open(dir.path(), StoreOptions{}, storage::OpenParams());
  REQUIRE_OK(db);
  REQUIRE((*db)
              ->db()
              ->CompactRange(rocksdb::CompactRangeOptions(),
                             (*db)->breakdowns(), nullptr, nullptr)
              .ok());
  std::unique_ptr<rocksdb::Iterator> it(
      (*db)->db()->NewIterator(rocksdb::ReadOptions(), (*db)->breakdowns()));
  int compact = 0, flat = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    ++(codec::IsOperand(it->value().ToStringView()) ? compact : flat);
  CHECK(compact == 1);  // c1's, merged with its new event
  CHECK(flat == 1);     // c2's, untouched until it changes
}

}  // namespace
}  // namespace ckm
