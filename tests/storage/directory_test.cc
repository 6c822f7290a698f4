// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Customer numbers: one per customer, stable across reopening, never given
// out twice, and found again by external id and by identity.

#include "storage/directory.h"

#include <set>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "storage/keys.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::TempDir;

constexpr std::int64_t kT0 = 1'700'000'000'000;

Event Visit(std::uint64_t id, const std::string& customer) {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = kT0 + static_cast<std::int64_t>(id);
  e.body = Interaction{Channel::kInStore, InteractionKind::kVisit};
  return e;
}

keys::CustomerNumber NumberOf(const Store& store, const std::string& id) {
  absl::StatusOr<std::string> key = internal::CustomerKey(store, id);
  REQUIRE_OK(key);
  return *keys::NumberOf(*key);
}

TEST_CASE("Customers are numbered on their first event, stably across reopen") {
  TempDir dir;
  std::map<std::string, keys::CustomerNumber> numbers;
  {
    auto store = Store::Open(dir.path());
    REQUIRE_OK(store);
    CHECK(absl::IsNotFound(internal::CustomerKey(**store, "a").status()));
    REQUIRE_OK((*store)->Record({Visit(1, "a"), Visit(2, "b"), Visit(3, "a")}));
    REQUIRE_OK((*store)->Record(Visit(4, "c")));
    for (const char* id : {"a", "b", "c"}) numbers[id] = NumberOf(**store, id);
    CHECK(numbers["a"] != numbers["b"]);
    CHECK(numbers["b"] != numbers["c"]);
    CHECK(numbers["a"] >= 1);
  }
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  for (const auto& [id, number] : numbers)
    CHECK(NumberOf(**store, id) == number);
  // A customer new after reopening gets a number never given out before.
  REQUIRE_OK((*store)->Record(Visit(5, "d")));
  for (const auto& [id, number] : numbers)
    CHECK(NumberOf(**store, "d") > number);
  // Retrying old events finds them under the same numbers.
  absl::StatusOr<RecordResult> again =
      (*store)->Record({Visit(1, "a"), Visit(2, "b"), Visit(4, "c")});
  REQUIRE_OK(again);
  CHECK(again->already_recorded == 3);
  CHECK(again->recorded == 0);
}

TEST_CASE("A batch rejected before writing numbers nobody") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  Event bad = Visit(2, "y");
  bad.customer = CustomerRef::ByIdentity(IdentityType::kEmail, "no@one");
  CHECK(
      absl::IsInvalidArgument((*store)->Record({Visit(1, "x"), bad}).status()));
  CHECK(absl::IsNotFound(internal::CustomerKey(**store, "x").status()));
  absl::StatusOr<StoreReport> all = (*store)->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->customers == 0);
}

TEST_CASE("Threads recording the same new customers give each one number") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  constexpr int kThreads = 4, kCustomers = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Event> batch;
      for (int c = 0; c < kCustomers; ++c)
        batch.push_back(Visit(1000 * t + c + 1, "c" + std::to_string(c)));
      CHECK_OK((*store)->Record(batch));
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<keys::CustomerNumber> seen;
  for (int c = 0; c < kCustomers; ++c) {
    const std::string id = "c" + std::to_string(c);
    CHECK(seen.insert(NumberOf(**store, id)).second);
    absl::StatusOr<Profile> profile = (*store)->Get(id);
    REQUIRE_OK(profile);
    CHECK(profile->event_count() == kThreads);
  }
  absl::StatusOr<StoreReport> all = (*store)->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->customers == kCustomers);
  CHECK(all->ok());
}

TEST_CASE("Identities resolve through the customer's number") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  Event link = Visit(1, "alice");
  link.body = Identity{IdentityType::kEmail, "alice@example.com"};
  REQUIRE_OK((*store)->Record(link));
  Event by_email = Visit(2, "");
  by_email.customer =
      CustomerRef::ByIdentity(IdentityType::kEmail, "alice@example.com");
  REQUIRE_OK((*store)->Record(by_email));
  absl::StatusOr<std::string> owner =
      (*store)->Resolve(IdentityType::kEmail, "alice@example.com");
  REQUIRE_OK(owner);
  CHECK(*owner == "alice");
  CHECK((*store)->Get("alice")->event_count() == 2);
}

TEST_CASE("A damaged directory entry is DataLoss, never a wrong customer") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  REQUIRE_OK((*store)->Record(Visit(1, "a")));
  rocksdb::ColumnFamilyHandle* customers =
      internal::Cf(**store, keys::kCustomersCf);
  for (const std::string& bad :
       {std::string("short"), std::string(9, 'x'), std::string(8, '\0')}) {
    INFO("stored " << bad.size() << " bytes");
    REQUIRE(internal::Db(**store)
                ->Put(rocksdb::WriteOptions(), customers, "a", bad)
                .ok());
    CHECK(absl::IsDataLoss((*store)->Get("a").status()));
    CHECK(absl::IsDataLoss((*store)->History("a").status()));
    // This store remembers the number it wrote; one opened now does not.
    store->reset();
    store = Store::Open(dir.path());
    REQUIRE_OK(store);
    CHECK(absl::IsDataLoss((*store)->Record(Visit(2, "a")).status()));
    customers = internal::Cf(**store, keys::kCustomersCf);
  }
}

}  // namespace
}  // namespace ckm
