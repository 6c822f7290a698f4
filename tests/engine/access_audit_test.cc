// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The access audit (StoreOptions::access_audit, docs/privacy.md): one entry
// per audited read, nothing written with the switch off or for bad input,
// entries gone with an erased customer (down to the store's files), and no
// audit on read-only or follower opens. No test asserts a time.

#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "engine/erase_util.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::TempDir;

constexpr char kEmail[] = "ann-audit@example.org";

StoreOptions AuditOptions(bool audit) {
  AccessPolicy policy;
  policy.roles["call_centre"] = {
      DataPart::kIdentities,    DataPart::kPersonal, DataPart::kDemographic,
      DataPart::kPsychographic, DataPart::kCustom,   DataPart::kInteractionText,
      DataPart::kPurchaseLines};
  policy.roles["analyst"] = {DataPart::kDemographic};
  StoreOptions options;
  options.access_policy = policy;
  options.access_audit = audit;
  return options;
}

std::unique_ptr<Store> OpenWithAnn(const std::string& dir, bool audit) {
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(dir, AuditOptions(audit));
  REQUIRE_OK(store);
  std::vector<Event> events;
  for (const char* id : {"ann", "bob"}) {
    Event e;
    e.id = events.size() + 1;
    e.customer = CustomerRef::Id(id);
    e.ts_ms = 1'700'000'000'000;
    e.body = Identity{IdentityType::kEmail, std::string(id) + "@example.org"};
    events.push_back(e);
  }
  events[0].body = Identity{IdentityType::kEmail, kEmail};
  REQUIRE_OK((*store)->Record(events));
  return *std::move(store);
}

std::uint64_t WritesSoFar(Store& store) {
  return internal::Db(store)->GetLatestSequenceNumber();
}

// Every audited call once, as `read`.
void ReadEveryWay(Store& store, const std::string& id, const ReadOptions& read,
                  const std::string& email) {
  (void)store.Get(id, read).status();
  (void)store.History(id, HistoryQuery(), read).status();
  (void)store.ListHistory(id, HistoryQuery(), read).status();
  (void)store.Timeline(id, TimeRange(), 10, read).status();
  (void)store.Export(id, 0, read).status();
  (void)store.Breakdown(id, Dimension::kProduct, read).status();
  (void)store.Resolve(IdentityType::kEmail, email, read).status();
}

const std::vector<std::string> kCalls = {"Get",      "History", "ListHistory",
                                         "Timeline", "Export",  "Breakdown",
                                         "Resolve"};

TEST_CASE("With the audit off, reads write nothing") {
  TempDir tmp;
  std::unique_ptr<Store> store = OpenWithAnn(tmp.sub("store"), false);
  const std::uint64_t before = WritesSoFar(*store);
  ReadEveryWay(*store, "ann", ReadOptions{"support", "call_centre"}, kEmail);
  ReadEveryWay(*store, "ann", ReadOptions{"", "analyst"}, kEmail);
  REQUIRE_OK(store->ForEachProfile([](const Profile&) { return true; },
                                   ReadOptions{"", "call_centre"}));
  CHECK(WritesSoFar(*store) == before);
  absl::StatusOr<std::vector<AccessEntry>> log = store->AccessLog("ann");
  REQUIRE_OK(log);
  CHECK(log->empty());
  absl::StatusOr<std::vector<AccessEntry>> scans = store->ScanLog();
  REQUIRE_OK(scans);
  CHECK(scans->empty());
}

TEST_CASE("Every audited read appends who, why, which call and outcome") {
  TempDir tmp;
  std::unique_ptr<Store> store = OpenWithAnn(tmp.sub("store"), true);
  ReadEveryWay(*store, "ann", ReadOptions{"support", "call_centre"}, kEmail);
  absl::StatusOr<std::vector<AccessEntry>> log = store->AccessLog("ann");
  REQUIRE_OK(log);
  REQUIRE(log->size() == kCalls.size());
  for (std::size_t i = 0; i < kCalls.size(); ++i) {
    INFO("entry " << i);
    CHECK((*log)[i].call == kCalls[i]);
    CHECK((*log)[i].role == "call_centre");
    CHECK((*log)[i].purpose == "support");
    CHECK((*log)[i].outcome == "OK");
    CHECK((*log)[i].profiles == 0);
  }
  // Bob was not read.
  REQUIRE_OK(store->AccessLog("bob"));
  CHECK(store->AccessLog("bob")->empty());

  SECTION("a refused read is audited with its outcome") {
    ReadOptions analyst{"stats", "analyst"};
    CHECK(absl::IsPermissionDenied(store->Export("ann", 0, analyst).status()));
    CHECK(absl::IsPermissionDenied(
        store->Resolve(IdentityType::kEmail, kEmail, analyst).status()));
    CHECK(absl::IsPermissionDenied(
        store->Get("ann", ReadOptions{"", "stranger"}).status()));
    log = store->AccessLog("ann");
    REQUIRE_OK(log);
    REQUIRE(log->size() == kCalls.size() + 3);
    const AccessEntry* refused = &(*log)[kCalls.size()];
    CHECK(refused[0].call == "Export");
    CHECK(refused[0].outcome == "PERMISSION_DENIED");
    CHECK(refused[0].role == "analyst");
    CHECK(refused[1].call == "Resolve");
    CHECK(refused[1].outcome == "PERMISSION_DENIED");
    CHECK(refused[2].call == "Get");
    CHECK(refused[2].role == "stranger");
  }
  SECTION("a scan of every profile is one store-wide entry with its count") {
    int seen = 0;
    REQUIRE_OK(store->ForEachProfile([&](const Profile&) { return ++seen < 1; },
                                     ReadOptions{"segments", "call_centre"}));
    absl::StatusOr<std::vector<AccessEntry>> scans = store->ScanLog();
    REQUIRE_OK(scans);
    REQUIRE(scans->size() == 1);
    CHECK((*scans)[0].call == "ForEachProfile");
    CHECK((*scans)[0].purpose == "segments");
    CHECK((*scans)[0].profiles == 1);
    CHECK((*scans)[0].outcome == "OK");
    CHECK(store->AccessLog("ann")->size() == kCalls.size());
  }
  SECTION("the log survives a reopen, and later entries follow") {
    store.reset();
    absl::StatusOr<std::unique_ptr<Store>> again =
        Store::Open(tmp.sub("store"), AuditOptions(true));
    REQUIRE_OK(again);
    REQUIRE_OK((*again)->Get("ann", ReadOptions{"later", "call_centre"}));
    log = (*again)->AccessLog("ann");
    REQUIRE_OK(log);
    REQUIRE(log->size() == kCalls.size() + 1);
    CHECK(log->back().purpose == "later");
  }
}

TEST_CASE("Bad input and unknown customers write nothing") {
  TempDir tmp;
  std::unique_ptr<Store> store = OpenWithAnn(tmp.sub("store"), true);
  const std::uint64_t before = WritesSoFar(*store);
  const ReadOptions read{"support", "call_centre"};
  HistoryQuery bad_query;
  bad_query.cursor = "not a cursor";
  CHECK(absl::IsInvalidArgument(store->Get("", read).status()));
  CHECK(
      absl::IsInvalidArgument(store->History("ann", bad_query, read).status()));
  CHECK(absl::IsInvalidArgument(
      store->ListHistory("ann", bad_query, read).status()));
  CHECK(absl::IsInvalidArgument(
      store->Breakdown("ann", static_cast<Dimension>(99), read).status()));
  CHECK(absl::IsInvalidArgument(store->Export("", 0, read).status()));
  CHECK(absl::IsInvalidArgument(
      store->Resolve(IdentityType::kEmail, "", read).status()));
  CHECK(absl::IsNotFound(store->Get("nobody", read).status()));
  CHECK(absl::IsNotFound(
      store->Resolve(IdentityType::kEmail, "nobody@example.org", read)
          .status()));
  (void)store->History("nobody", HistoryQuery(), read);
  CHECK(WritesSoFar(*store) == before);
  CHECK(store->AccessLog("ann")->empty());
  CHECK(absl::IsInvalidArgument(store->AccessLog("").status()));
  CHECK(absl::IsNotFound(store->AccessLog("nobody").status()));
}

TEST_CASE("Erase removes the customer's audit entries, down to the files") {
  TempDir tmp;
  const std::string dir = tmp.sub("store");
  // A role and purpose only Ann's reads name, to search the files for.
  const ReadOptions read{"purpose-only-ann-audit", "call_centre"};
  {
    std::unique_ptr<Store> store = OpenWithAnn(dir, true);
    for (int i = 0; i < 20; ++i) ReadEveryWay(*store, "ann", read, kEmail);
    REQUIRE_OK(store->Get("bob", ReadOptions{"support", "call_centre"}));
    REQUIRE(store->AccessLog("ann")->size() == 20 * kCalls.size());
    REQUIRE_OK(store->Flush());
    REQUIRE_OK(store->Erase("ann", "request 1"));
    // Reading an erased customer finds no one, and audits nothing.
    const std::uint64_t before = WritesSoFar(*store);
    CHECK(absl::IsNotFound(store->Get("ann", read).status()));
    CHECK(WritesSoFar(*store) == before);
    CHECK(absl::IsNotFound(store->AccessLog("ann").status()));
    // Bob's entry stays.
    REQUIRE_OK(store->AccessLog("bob"));
    CHECK(store->AccessLog("bob")->size() == 1);
  }
  for (const std::string& needle :
       {std::string(read.purpose), std::string(kEmail)}) {
    INFO(needle);
    CHECK(erase_test::FilesHolding(dir, needle).empty());
  }
}

TEST_CASE("Read-only and follower opens refuse the audit") {
  TempDir tmp;
  const std::string dir = tmp.sub("store");
  OpenWithAnn(dir, false).reset();
  StoreOptions options = AuditOptions(true);
  options.access = GENERATE(Access::kReadOnly, Access::kFollower);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, options);
  CHECK(absl::IsInvalidArgument(store.status()));
  CHECK(store.status().message().find("access_audit") == 0);
}

}  // namespace
}  // namespace ckm
