// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The breakdowns buffer on its own (engine/breakdowns_buffer.h), and through
// the store: buffered breakdowns read, verify and survive exactly as merged
// ones, across flushes, reopening and a crash that loses the buffer.

#include "engine/breakdowns_buffer.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::TempDir;

fold::Breakdowns Row(const std::string& sku, std::int64_t orders) {
  fold::Breakdowns b;
  b.products[sku].orders = orders;
  b.products[sku].money["GBP"].gross_micros = 10 * orders;
  return b;
}

// Runs `body` in a child process and requires that it exits with 0. The
// body ends with _exit(), inside the scope of what it opened: the store is
// then left as a crash leaves it, not closed by its destructor.
template <typename Body>
void RunAndDie(Body body) {
  std::fflush(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    body();
    _exit(1);  // a body that returned instead of dying
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("BreakdownsBuffer joins, hands out and forgets deltas") {
  engine::BreakdownsBuffer buffer(1000);
  CHECK_FALSE(buffer.Holds(7));
  CHECK(buffer.bytes() == 0);
  buffer.Add(7, 3, Row("A", 1));
  buffer.Add(7, 3, Row("A", 2));
  buffer.Add(7, 3, Row("B", 0));  // a return only: not an ordered product
  buffer.Add(9, 5, Row("C", 1));
  CHECK(buffer.Holds(7));
  REQUIRE(buffer.Get(7).has_value());
  CHECK(buffer.Get(7)->products.at("A").orders == 3);
  CHECK(buffer.Get(7)->products.at("A").money.at("GBP").gross_micros == 30);
  CHECK(buffer.OrderedSkus(7) == std::vector<std::string>{"A"});
  CHECK(buffer.Customers().size() == 2);
  const std::size_t two = buffer.bytes();
  CHECK(two > 0);
  CHECK_FALSE(buffer.full());
  for (int i = 0; i < 20; ++i)
    buffer.Add(11, 1, Row("x" + std::to_string(i), 1));
  CHECK(buffer.full());
  std::optional<fold::Breakdowns> taken = buffer.Take(7);
  REQUIRE(taken.has_value());
  CHECK(taken->products.size() == 2);
  CHECK_FALSE(buffer.Holds(7));
  CHECK_FALSE(buffer.Take(7).has_value());
  buffer.Drop(9);
  buffer.Drop(11);
  CHECK(buffer.bytes() == 0);
  CHECK(buffer.Customers().empty());
}

// Everything the store says about each customer's breakdowns and profile.
std::map<std::string, std::string> Capture(const Store& store, int customers) {
  std::map<std::string, std::string> out;
  for (int c = 0; c < customers; ++c) {
    const std::string id = "cust-" + std::to_string(c);
    std::string text;
    absl::StatusOr<Profile> p = store.Get(id);
    if (p.ok()) text += std::string(p->bytes());
    for (Dimension d :
         {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
      absl::StatusOr<std::vector<BreakdownEntry>> rows = store.Breakdown(id, d);
      REQUIRE_OK(rows);
      for (const BreakdownEntry& e : *rows) {
        text += "|" + e.key + ":" + std::to_string(e.orders) + "," +
                std::to_string(e.returns) + "," + std::to_string(e.units) +
                "," + std::to_string(e.returned_units);
        for (const auto& m : e.money)
          text += "," + m.currency + "=" + std::to_string(m.gross_micros) +
                  "-" + std::to_string(m.returned_micros);
      }
    }
    out[id] = text;
  }
  return out;
}

std::string StoredBreakdowns(Store& store, const std::string& id) {
  std::string bytes;
  const absl::StatusOr<std::string> key = internal::CustomerKey(store, id);
  if (!key.ok()) return bytes;
  internal::Db(store)
      ->Get(rocksdb::ReadOptions(), internal::Cf(store, keys::kBreakdownsCf),
            *key, &bytes)
      .PermitUncheckedError();
  return bytes;
}

TEST_CASE(
    "Buffered breakdowns read, verify and store the same as merged ones, "
    "whatever the buffer size, batch split and flush points") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  constexpr int kCustomers = 6;
  EventGen gen(seed, kCustomers);
  std::vector<Event> events = gen.Events(400);

  TempDir direct_dir;
  StoreOptions direct_options;
  direct_options.breakdowns_buffer_bytes = 0;
  auto direct = Store::Open(direct_dir.path(), direct_options);
  REQUIRE_OK(direct);
  REQUIRE_OK((*direct)->Record(events));
  const auto want = Capture(**direct, kCustomers);

  for (std::size_t capacity :
       {std::size_t{1}, std::size_t{4096}, std::size_t{1} << 20}) {
    INFO("buffer bytes " << capacity);
    TempDir dir;
    StoreOptions options;
    options.breakdowns_buffer_bytes = capacity;
    std::shuffle(events.begin(), events.end(), gen.rng());
    auto store = Store::Open(dir.path(), options);
    REQUIRE_OK(store);
    for (std::size_t i = 0; i < events.size();) {
      const std::size_t n = 1 + gen.Pick(60);
      std::vector<Event> batch(events.begin() + i,
                               events.begin() + std::min(i + n, events.size()));
      REQUIRE_OK((*store)->Record(batch));
      i += n;
      if (gen.Pick(8) == 0) REQUIRE_OK((*store)->Flush());
      if (gen.Pick(12) == 0) {  // close (which merges the buffer) and reopen
        store->reset();
        store = Store::Open(dir.path(), options);
        REQUIRE_OK(store);
      }
      CHECK(Capture(**store, kCustomers).size() == kCustomers);
    }
    CHECK(Capture(**store, kCustomers) == want);
    absl::StatusOr<StoreReport> verify = (*store)->VerifyAll();
    REQUIRE_OK(verify);
    CHECK(verify->ok());
    REQUIRE_OK((*store)->Flush());
    for (int c = 0; c < kCustomers; ++c) {
      const std::string id = "cust-" + std::to_string(c);
      CHECK(StoredBreakdowns(**store, id) == StoredBreakdowns(**direct, id));
    }
  }
}

TEST_CASE(
    "A crash that loses the buffer: the customers are refolded from "
    "history, and the next write settles them") {
  TempDir dir;
  constexpr int kCustomers = 4;
  EventGen gen(5, kCustomers);
  std::vector<Event> events = gen.Events(200);
  std::map<std::string, std::string> want;
  {
    TempDir direct_dir;
    StoreOptions direct_options;
    direct_options.breakdowns_buffer_bytes = 0;
    auto direct = Store::Open(direct_dir.path(), direct_options);
    REQUIRE_OK(direct);
    REQUIRE_OK((*direct)->Record(events));
    Event more = gen.Next();
    REQUIRE_OK((*direct)->Record(more));
    want = Capture(**direct, kCustomers);
  }
  {
    auto store = Store::Open(dir.path());
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->Record(
        std::vector<Event>(events.begin(), events.begin() + 100)));
    REQUIRE_OK((*store)->Flush());  // some merged into the store
    // In small batches: customers that buy again soon get buffered.
    for (std::size_t i = 100; i < events.size(); i += 5) {
      REQUIRE_OK((*store)->Record(
          std::vector<Event>(events.begin() + i,
                             events.begin() + std::min(i + 5, events.size()))));
    }
    internal::AbandonBreakdownsBuffer(**store);  // the crash
  }
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  rocksdb::ColumnFamilyHandle* pending =
      internal::Cf(**store, keys::kPendingCf);
  auto markers = [&] {
    int n = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        internal::Db(**store)->NewIterator(rocksdb::ReadOptions(), pending));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  };
  CHECK(markers() > 0);
  // Reads fold the stale customers from history, and write nothing.
  absl::StatusOr<StoreReport> verify = (*store)->VerifyAll();
  REQUIRE_OK(verify);
  CHECK(verify->ok());
  const int before = markers();
  gen = EventGen(5, kCustomers);
  gen.Events(200);
  REQUIRE_OK((*store)->Record(gen.Next()));  // the same "more" event
  const int after_more = markers();
  CHECK(markers() <= before);
  CHECK(Capture(**store, kCustomers) == want);
  REQUIRE_OK((*store)->RebuildAll());  // settles the rest
  // Only the customer of the new event may be marked: its delta is in memory.
  CHECK(markers() <= 1);
  CHECK(markers() <= after_more);
  REQUIRE_OK((*store)->Flush());
  CHECK(markers() == 0);
  CHECK(Capture(**store, kCustomers) == want);
  verify = (*store)->VerifyAll();
  REQUIRE_OK(verify);
  CHECK(verify->ok());
}

TEST_CASE(
    "A crash after unlogged writes leaves no merge of the buffer without the "
    "events it came from") {
  // The import's way of writing: kNone per call on a store whose own
  // durability (which buffer flushes used) is kSync. A small buffer makes
  // Record() flush it between batches. A logged merge of a delta whose
  // events were unlogged survived the crash without them; recording the
  // events again then counted their products as known (distinct_products
  // too low) and joined them twice into the breakdowns.
  constexpr int kCustomers = 5;
  EventGen gen(11, kCustomers);
  const std::vector<Event> events = gen.Events(300);
  TempDir direct_dir;
  StoreOptions direct_options;
  direct_options.breakdowns_buffer_bytes = 0;
  auto direct = Store::Open(direct_dir.path(), direct_options);
  REQUIRE_OK(direct);
  REQUIRE_OK((*direct)->Record(events));
  const auto want = Capture(**direct, kCustomers);

  TempDir dir;
  StoreOptions options;
  options.breakdowns_buffer_bytes = 2048;
  RunAndDie([&] {
    auto store = Store::Open(dir.path(), options);
    if (!store.ok()) _exit(2);
    RecordOptions unlogged;
    unlogged.durability = Durability::kNone;
    for (std::size_t i = 0; i < events.size(); i += 3) {
      const std::vector<Event> batch(
          events.begin() + i, events.begin() + std::min(i + 3, events.size()));
      if (!(*store)->Record(batch, unlogged).ok()) _exit(3);
    }
    _exit(0);
  });

  auto store = Store::Open(dir.path(), options);
  REQUIRE_OK(store);
  rocksdb::ColumnFamilyHandle* breakdowns =
      internal::Cf(**store, keys::kBreakdownsCf);
  std::unique_ptr<rocksdb::Iterator> it(
      internal::Db(**store)->NewIterator(rocksdb::ReadOptions(), breakdowns));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());  // the events are gone, so are their breakdowns
  it.reset();
  REQUIRE_OK((*store)->Record(events));  // the import run again
  absl::StatusOr<StoreReport> verify = (*store)->VerifyAll();
  REQUIRE_OK(verify);
  CHECK(verify->ok());
  CHECK(Capture(**store, kCustomers) == want);
}

TEST_CASE(
    "A logged batch after unlogged ones survives a crash only with them") {
  // The second batch counts product A as known from the first. Were the
  // first lost in a crash that the second (logged) survived, the profile
  // would count no distinct product for the A it holds.
  const auto purchase = [](std::uint64_t id, std::int64_t ts) {
    Purchase p{"o-" + std::to_string(id), "GBP", Channel::kWeb, "s1"};
    p.lines = {{"A", "cat", 1, 1'000'000}};
    return Event{id, CustomerRef::Id("c"), ts, "", p};
  };
  TempDir dir;
  RunAndDie([&] {
    StoreOptions options;
    options.durability = Durability::kBuffered;
    auto store = Store::Open(dir.path(), options);
    if (!store.ok()) _exit(2);
    RecordOptions unlogged;
    unlogged.durability = Durability::kNone;
    if (!(*store)->Record(purchase(1, 1'000), unlogged).ok()) _exit(3);
    if (!(*store)->Record(purchase(2, 2'000)).ok()) _exit(4);
    _exit(0);
  });
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  absl::StatusOr<StoreReport> verify = (*store)->VerifyAll();
  REQUIRE_OK(verify);
  CHECK(verify->ok());
  absl::StatusOr<Profile> profile = (*store)->Get("c");
  REQUIRE_OK(profile);
  CHECK(profile->purchases().orders == 2);
  CHECK(profile->purchases().distinct_products == 1);
}

}  // namespace
}  // namespace ckm
