// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The store end to end: recording, reading, exactly-once, order-freedom
// through RocksDB, concurrency, bounded read cost, corruption and repair,
// durability across reopen.

#include "ckm/store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "fold/fold.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/merge_operator.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::TempDir;

constexpr std::int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

std::unique_ptr<Store> OpenStore(const std::string& path,
                                 StoreOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

Event MakePurchase(std::uint64_t id, std::string customer, std::int64_t ts_ms,
                   std::vector<PurchaseLine> lines, std::string store = "s1") {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = ts_ms;
  Purchase p;
  p.order_id = "o" + std::to_string(id);
  p.currency = "GBP";
  p.channel = Channel::kWeb;
  p.store = std::move(store);
  p.lines = std::move(lines);
  e.body = std::move(p);
  return e;
}

Event MakeInteraction(std::uint64_t id, std::string customer,
                      std::int64_t ts_ms, int rating, int sentiment) {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = ts_ms;
  Interaction i;
  i.channel = Channel::kPhone;
  i.kind = InteractionKind::kSupport;
  i.rating = rating;
  i.sentiment = sentiment;
  i.duration_s = 60;
  e.body = i;
  return e;
}

Event MakeLoyalty(std::uint64_t id, std::string customer, std::int64_t ts_ms,
                  LoyaltyKind kind, std::int64_t points,
                  std::string tier = "") {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = ts_ms;
  e.body = Loyalty{kind, points, std::move(tier), "stars"};
  return e;
}

// The key of the customer's profile and breakdowns.
std::string KeyOf(const Store& store, std::string_view customer) {
  absl::StatusOr<std::string> key = internal::CustomerKey(store, customer);
  REQUIRE_OK(key);
  return *key;
}

std::string ProfileBytes(const Store& store, const std::string& customer) {
  absl::StatusOr<Profile> profile = store.Get(customer);
  REQUIRE_OK(profile);
  return std::string(profile->bytes());
}

TEST_CASE(
    "Record and Get: a purchase, an interaction and loyalty make one profile") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::vector<Event> events = {
      MakePurchase(1, "alice", kT0,
                   {{"A1", "toys", 2, 1'500'000}, {"B2", "books", 1, 999'000}}),
      MakePurchase(2, "alice", kT0 + 86'400'000 * 10LL,
                   {{"A1", "toys", 1, 1'500'000}}),
      MakePurchase(3, "alice", kT0 + 86'400'000 * 11LL,
                   {{"B2", "books", -1, 999'000}}),
      MakeInteraction(4, "alice", kT0 + 5, 10, 80),
      MakeInteraction(5, "alice", kT0 + 6, 3, -40),
      MakeLoyalty(6, "alice", kT0, LoyaltyKind::kEnroll, 0, "bronze"),
      MakeLoyalty(7, "alice", kT0 + 1, LoyaltyKind::kEarn, 120),
      MakeLoyalty(8, "alice", kT0 + 2, LoyaltyKind::kRedeem, 20),
      MakeLoyalty(9, "alice", kT0 + 3, LoyaltyKind::kTierChange, 0, "silver"),
  };
  absl::StatusOr<RecordResult> result = store->Record(events);
  REQUIRE_OK(result);
  CHECK(result->recorded == 9);
  CHECK(result->already_recorded == 0);

  absl::StatusOr<Profile> profile = store->Get("alice");
  REQUIRE_OK(profile);
  CHECK(profile->customer_id() == "alice");
  CHECK(profile->event_count() == 9);
  CHECK(profile->first_seen_ms() == kT0);
  CHECK(profile->last_seen_ms() == kT0 + 86'400'000 * 11LL);

  const PurchaseSummary p = profile->purchases();
  CHECK(p.orders == 2);
  CHECK(p.returns == 1);
  CHECK(p.lines == 4);
  CHECK(p.returned_lines == 1);
  CHECK(p.units == 4);
  CHECK(p.returned_units == 1);
  CHECK(p.distinct_products == 2);
  REQUIRE(p.by_currency.size() == 1);
  CHECK(p.by_currency[0].currency == "GBP");
  CHECK(p.by_currency[0].gross_micros == 3'999'000 + 1'500'000);
  CHECK(p.by_currency[0].returned_micros == 999'000);
  CHECK(p.by_currency[0].net_micros() == 4'500'000);
  CHECK(p.by_currency[0].largest_order_micros == 3'999'000);
  CHECK(p.by_currency[0].average_order_value_micros() == 2'250'000);
  CHECK(p.first_purchase_ms == kT0);
  CHECK(p.last_purchase_ms == kT0 + 86'400'000 * 10LL);
  CHECK(profile->mean_interpurchase_ms() == 86'400'000 * 10LL);
  CHECK(profile->expected_next_purchase_ms() == kT0 + 86'400'000 * 20LL);
  CHECK(profile->recency_ms(kT0 + 86'400'000 * 12LL) == 86'400'000 * 2LL);
  const Rfm rfm = profile->rfm(kT0 + 86'400'000 * 12LL);
  CHECK(rfm.recency_ms == 86'400'000 * 2LL);
  // A last purchase dated after now counts as made now: never negative.
  CHECK(profile->recency_ms(kT0) == 0);
  CHECK(profile->rfm(kT0).recency_ms == 0);
  CHECK(rfm.frequency == 2);
  CHECK(rfm.currency == "GBP");
  CHECK(rfm.monetary_micros == 4'500'000);

  const InteractionSummary i = profile->interactions();
  CHECK(i.count == 2);
  CHECK(i.promoters == 1);
  CHECK(i.detractors == 1);
  CHECK(profile->nps() == Approx(0.0));
  CHECK(profile->average_sentiment() == Approx(20.0));
  CHECK(profile->average_rating() == Approx(6.5));
  CHECK(i.by_channel[static_cast<int>(Channel::kPhone)] == 2);
  CHECK(i.last_ms == kT0 + 6);

  const LoyaltySummary l = profile->loyalty();
  CHECK(l.enrolled_ms == kT0);
  CHECK(l.balance() == 100);
  CHECK(l.tier == "silver");
  CHECK(l.tier_since_ms == kT0 + 3);
  CHECK(l.program == "stars");

  CHECK(profile->corrupt_operands() == 0);
  CHECK_FALSE(profile->saturated());
  const std::string json = profile->ToJson(kT0);
  CHECK(json.find("\"customer_id\":\"alice\"") != std::string::npos);
  CHECK(json.find("\"net\":\"4.50\"") != std::string::npos);
  CHECK(json.find("\"tier\":\"silver\"") != std::string::npos);
  CHECK(json.find("\"recency_days\":0.000000") != std::string::npos);

  CHECK(absl::IsNotFound(store->Get("bob").status()));
  CHECK(absl::IsInvalidArgument(store->Get("").status()));
}

TEST_CASE(
    "Attributes and consents: the latest write wins, whatever the arrival "
    "order") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto attr = [](std::uint64_t id, std::int64_t ts, AttributeValue v) {
    Event e;
    e.id = id;
    e.customer = CustomerRef::Id("c");
    e.ts_ms = ts;
    e.source = "crm";
    e.body = Attribute{"custom.invoice.project_number", std::move(v),
                       Provenance::kExpressed, 90};
    return e;
  };
  auto consent = [](std::uint64_t id, std::int64_t ts, bool granted) {
    Event e;
    e.id = id;
    e.customer = CustomerRef::Id("c");
    e.ts_ms = ts;
    e.body = Consent{"marketing.email", granted};
    return e;
  };
  // Newest first: the older writes arrive late and must not win.
  REQUIRE_OK(store->Record(attr(3, kT0 + 300, std::int64_t{42})));
  REQUIRE_OK(store->Record(consent(5, kT0 + 500, false)));
  REQUIRE_OK(store->Record(attr(2, kT0 + 200, std::string("P-7"))));
  REQUIRE_OK(store->Record(consent(4, kT0 + 400, true)));
  absl::StatusOr<Profile> profile = store->Get("c");
  REQUIRE_OK(profile);
  const auto a = profile->attribute("custom.invoice.project_number");
  REQUIRE(a.has_value());
  CHECK(std::get<std::int64_t>(a->value) == 42);
  CHECK(a->ts_ms == kT0 + 300);
  CHECK(a->source == "crm");
  CHECK(a->confidence == 90);
  CHECK_FALSE(profile->attribute("personal.name").has_value());
  const auto c = profile->consent("marketing.email");
  REQUIRE(c.has_value());
  CHECK_FALSE(c->granted);
}

TEST_CASE(
    "Exactly once: recording the same events again, in any split, changes "
    "nothing") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  EventGen gen(77, 4);
  std::vector<Event> events = gen.Events(200);
  absl::StatusOr<RecordResult> first = store->Record(events);
  REQUIRE_OK(first);
  CHECK(first->recorded == 200);
  std::map<std::string, std::string> before;
  for (int c = 0; c < 4; ++c) {
    const std::string id = "cust-" + std::to_string(c);
    if (store->Get(id).ok()) before[id] = ProfileBytes(*store, id);
  }

  // Replay in shuffled batches of random sizes, some events twice per batch.
  std::shuffle(events.begin(), events.end(), gen.rng());
  std::size_t again = 0;
  for (std::size_t i = 0; i < events.size();) {
    const std::size_t n = 1 + gen.Pick(40);
    std::vector<Event> batch(events.begin() + i,
                             events.begin() + std::min(i + n, events.size()));
    batch.push_back(batch.front());
    absl::StatusOr<RecordResult> r = store->Record(batch);
    REQUIRE_OK(r);
    CHECK(r->recorded == 0);
    again += r->already_recorded;
    i += n;
  }
  CHECK(again >= 200);
  for (const auto& [id, bytes] : before)
    CHECK(ProfileBytes(*store, id) == bytes);

  // Twice in one fresh batch: counted once.
  Event e = MakePurchase(999'999, "dup", kT0, {{"X", "", 1, 1'000'000}});
  absl::StatusOr<RecordResult> r = store->Record(std::vector<Event>{e, e, e});
  REQUIRE_OK(r);
  CHECK(r->recorded == 1);
  CHECK(r->already_recorded == 2);
  CHECK(store->Get("dup")->purchases().orders == 1);
}

TEST_CASE(
    "Order-free: any order and batch split give byte-identical profiles") {
  // Two stores receive the same events per case, in different orders and
  // splits; every profile and breakdown must be byte-identical. They count
  // distinct products differently: `a` from its cache of known products, so
  // small that it drops customers all the time, `b` from its stored
  // breakdowns alone.
  TempDir dir;
  StoreOptions options;
  options.durability =
      Durability::kNone;  // order-freedom does not depend on it
  options.known_products_cache = 6;
  auto a = OpenStore(dir.sub("a"), options);
  options.known_products_cache = 0;
  auto b = OpenStore(dir.sub("b"), options);
  const int kCases = 1000;
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 424242 + c;
    INFO("seed " << seed);
    EventGen gen(seed, 2);
    std::vector<Event> events = gen.Events(1 + gen.Pick(25));
    for (Event& e : events)
      e.customer.id = "case" + std::to_string(c) + "-" + e.customer.id;
    auto record_split = [&](Store& store, std::vector<Event> es) {
      std::shuffle(es.begin(), es.end(), gen.rng());
      for (std::size_t i = 0; i < es.size();) {
        const std::size_t n = 1 + gen.Pick(static_cast<int>(es.size() - i));
        REQUIRE_OK(store.Record(absl::MakeConstSpan(es.data() + i, n)));
        i += n;
      }
    };
    record_split(*a, events);
    record_split(*b, events);
    std::set<std::string> customers;
    for (const Event& e : events) customers.insert(e.customer.id);
    for (const std::string& customer : customers) {
      REQUIRE(ProfileBytes(*a, customer) == ProfileBytes(*b, customer));
      for (Dimension d :
           {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
        auto ba = a->Breakdown(customer, d);
        auto bb = b->Breakdown(customer, d);
        REQUIRE_OK(ba);
        REQUIRE_OK(bb);
        REQUIRE(ba->size() == bb->size());
        for (std::size_t k = 0; k < ba->size(); ++k) {
          REQUIRE((*ba)[k].key == (*bb)[k].key);
          REQUIRE((*ba)[k].orders == (*bb)[k].orders);
          REQUIRE((*ba)[k].units == (*bb)[k].units);
          REQUIRE((*ba)[k].first_purchase_ms == (*bb)[k].first_purchase_ms);
        }
      }
      if (c % 50 == 0) {
        for (Store* store : {a.get(), b.get()}) {
          absl::StatusOr<CustomerReport> report = store->Verify(customer);
          REQUIRE_OK(report);
          INFO(report->detail);
          REQUIRE(report->ok());
        }
      }
    }
  }
}

TEST_CASE("Two threads recording overlapping batches count each event once") {
  TempDir dir;
  StoreOptions options;
  options.durability = Durability::kBuffered;
  auto store = OpenStore(dir.path(), options);
  EventGen gen(5150, 8);
  const std::vector<Event> events = gen.Events(2000);
  std::atomic<std::size_t> recorded{0};
  auto worker = [&](std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Event> mine = events;
    std::shuffle(mine.begin(), mine.end(), rng);
    for (std::size_t i = 0; i < mine.size(); i += 50) {
      absl::StatusOr<RecordResult> r = store->Record(absl::MakeConstSpan(
          mine.data() + i, std::min<std::size_t>(50, mine.size() - i)));
      if (r.ok()) recorded += r->recorded;
    }
  };
  std::thread t1(worker, 1), t2(worker, 2);
  t1.join();
  t2.join();
  CHECK(recorded == events.size());
  std::int64_t total_events = 0;
  for (int c = 0; c < 8; ++c) {
    absl::StatusOr<Profile> p = store->Get("cust-" + std::to_string(c));
    if (p.ok()) total_events += p->event_count();
  }
  CHECK(total_events == 2000);
  absl::StatusOr<StoreReport> report = store->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
}

TEST_CASE(
    "Distinct products stay exact however many unmerged breakdowns operands "
    "the store holds") {
  // Without a depth bound and without the product cache, every batch reads
  // all of the customer's operands: more than the write path first makes
  // room for, so it must ask again with more.
  for (std::size_t cache : {std::size_t{0}, std::size_t{262144}}) {
    INFO("known_products_cache " << cache);
    TempDir dir;
    StoreOptions options;
    options.durability = Durability::kNone;
    options.max_merge_depth = 0;
    options.known_products_cache = cache;
    auto store = OpenStore(dir.path(), options);
    for (int i = 0; i < 300; ++i) {
      const std::string sku = "p" + std::to_string(i % 70);
      REQUIRE_OK(store->Record(
          MakePurchase(i + 1, "deep", kT0 + i, {{sku, "", 1, 1'000'000}})));
    }
    absl::StatusOr<Profile> profile = store->Get("deep");
    REQUIRE_OK(profile);
    CHECK(profile->purchases().orders == 300);
    CHECK(profile->purchases().distinct_products == 70);
    absl::StatusOr<std::vector<BreakdownEntry>> products =
        store->Breakdown("deep", Dimension::kProduct);
    REQUIRE_OK(products);
    CHECK(products->size() == 70);
    absl::StatusOr<CustomerReport> report = store->Verify("deep");
    REQUIRE_OK(report);
    INFO(report->detail);
    CHECK(report->ok());
  }
}

TEST_CASE(
    "A corrupt breakdowns operand is skipped and counted; Rebuild repairs it "
    "and the product cache forgets the customer") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  REQUIRE_OK(
      store->Record(MakePurchase(1, "c", kT0, {{"A", "", 1, 2'000'000}})));
  REQUIRE_OK(
      store->Record(MakePurchase(2, "c", kT0 + 1, {{"B", "", 1, 3'000'000}})));
  rocksdb::DB* db = internal::Db(*store);
  rocksdb::ColumnFamilyHandle* breakdowns =
      internal::Cf(*store, keys::kBreakdownsCf);
  REQUIRE(db->Merge(rocksdb::WriteOptions(), breakdowns, KeyOf(*store, "c"),
                    "CKMB garbage")
              .ok());
  REQUIRE_OK(store->Flush());
  REQUIRE(db->CompactRange(rocksdb::CompactRangeOptions(), breakdowns, nullptr,
                           nullptr)
              .ok());
  // Still writable, and the good rows still count.
  REQUIRE_OK(store->Record(MakePurchase(
      3, "c", kT0 + 2, {{"A", "", 1, 1'000'000}, {"C", "", 1, 1'000'000}})));
  absl::StatusOr<std::vector<BreakdownEntry>> products =
      store->Breakdown("c", Dimension::kProduct);
  REQUIRE_OK(products);
  REQUIRE(products->size() == 3);
  CHECK((*products)[0].orders == 2);  // A
  CHECK(store->Get("c")->purchases().distinct_products == 3);

  absl::StatusOr<CustomerReport> report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK_FALSE(report->ok());
  CHECK_FALSE(report->breakdowns_match);
  REQUIRE_OK(store->Rebuild("c"));
  report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK(report->ok());
  // After the rebuild the write path reads the repaired value again.
  REQUIRE_OK(store->Record(MakePurchase(
      4, "c", kT0 + 3, {{"B", "", 1, 1'000'000}, {"D", "", 1, 1'000'000}})));
  CHECK(store->Get("c")->purchases().distinct_products == 4);
  report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK(report->ok());
}

TEST_CASE(
    "Rebuild makes the product cache forget what the store no longer "
    "knows") {
  // A product the store knows but the history does not (written around the
  // store); the cache loads it, then Rebuild drops it from the store. The
  // next order of it is a new product: a cache that kept it would say not.
  TempDir dir;
  auto store = OpenStore(dir.path());
  REQUIRE_OK(
      store->Record(MakePurchase(1, "c", kT0, {{"A", "", 1, 1'000'000}})));
  fold::Breakdowns stray;
  stray.products["X"].orders = 1;
  REQUIRE(internal::Db(*store)
              ->Merge(rocksdb::WriteOptions(),
                      internal::Cf(*store, keys::kBreakdownsCf),
                      KeyOf(*store, "c"), fold::Encode(stray))
              .ok());
  // Two misses soon after each other: the second loads the set {A, B, X}.
  REQUIRE_OK(
      store->Record(MakePurchase(2, "c", kT0 + 1, {{"B", "", 1, 1'000'000}})));
  REQUIRE_OK(
      store->Record(MakePurchase(3, "c", kT0 + 2, {{"C", "", 1, 1'000'000}})));
  CHECK(store->Get("c")->purchases().distinct_products == 3);
  REQUIRE_OK(store->Rebuild("c"));
  REQUIRE_OK(
      store->Record(MakePurchase(4, "c", kT0 + 3, {{"X", "", 1, 1'000'000}})));
  CHECK(store->Get("c")->purchases().distinct_products == 4);
  absl::StatusOr<CustomerReport> report = store->Verify("c");
  REQUIRE_OK(report);
  INFO(report->detail);
  CHECK(report->ok());
}

TEST_CASE("Get's work stays bounded however many events a customer piles up") {
  for (std::size_t depth : {std::size_t{0}, std::size_t{16}}) {
    TempDir dir;
    StoreOptions options;
    options.durability = Durability::kNone;
    options.max_merge_depth = depth;
    auto store = OpenStore(dir.path(), options);
    for (int i = 0; i < 2000; ++i) {
      REQUIRE_OK(store->Record(
          MakePurchase(i + 1, "hot", kT0 + i, {{"A", "", 1, 1'000'000}})));
    }
    absl::StatusOr<Profile> profile = store->Get("hot");
    REQUIRE_OK(profile);
    CHECK(profile->purchases().orders == 2000);
    const std::size_t operands = LastFullMergeOperandCount();
    INFO("max_merge_depth " << depth << ": Get folded " << operands
                            << " operands");
    if (depth == 0) {
      CHECK(operands == 2000);  // unbounded: what the bound buys
    } else {
      CHECK(operands <= depth);
    }
  }
}

TEST_CASE(
    "A corrupt operand is skipped and counted; the store stays writable; "
    "Rebuild repairs") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  REQUIRE_OK(
      store->Record(MakePurchase(1, "c", kT0, {{"A", "", 1, 2'000'000}})));
  REQUIRE_OK(
      store->Record(MakePurchase(2, "c", kT0 + 1, {{"B", "", 1, 3'000'000}})));

  rocksdb::DB* db = internal::Db(*store);
  rocksdb::ColumnFamilyHandle* profiles =
      internal::Cf(*store, keys::kProfilesCf);
  REQUIRE(db->Merge(rocksdb::WriteOptions(), profiles, KeyOf(*store, "c"),
                    "\x13garbage operand")
              .ok());

  absl::StatusOr<Profile> profile = store->Get("c");
  REQUIRE_OK(profile);
  CHECK(profile->corrupt_operands() == 1);
  CHECK(profile->purchases().orders == 2);  // the good operands still count

  // Flush and compaction run the operator too; it must never fail.
  REQUIRE_OK(store->Flush());
  rocksdb::CompactRangeOptions compact;
  REQUIRE(db->CompactRange(compact, profiles, nullptr, nullptr).ok());
  REQUIRE_OK(
      store->Record(MakePurchase(3, "c", kT0 + 2, {{"C", "", 1, 1'000'000}})));
  REQUIRE_OK(
      store->Record(MakePurchase(4, "d", kT0 + 2, {{"C", "", 1, 1'000'000}})));

  absl::StatusOr<CustomerReport> report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK_FALSE(report->ok());
  CHECK(report->corrupt_operands == 1);
  absl::StatusOr<StoreReport> all = store->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->customers == 2);
  CHECK(all->damaged == 1);
  REQUIRE(all->problems.size() == 1);
  CHECK(all->problems[0].customer_id == "c");

  REQUIRE_OK(store->Rebuild("c"));
  report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK(report->ok());
  profile = store->Get("c");
  REQUIRE_OK(profile);
  CHECK(profile->corrupt_operands() == 0);
  CHECK(profile->purchases().orders == 3);
  CHECK(profile->purchases().distinct_products == 3);
}

TEST_CASE(
    "A corrupt stored profile reads as DataLoss; RebuildAll restores it from "
    "history") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  REQUIRE_OK(
      store->Record(MakePurchase(1, "c", kT0, {{"A", "cat", 1, 2'000'000}})));
  const std::string good = ProfileBytes(*store, "c");
  rocksdb::DB* db = internal::Db(*store);
  std::string bad = good;
  bad[4] ^= 0x7f;  // the file identifier: fails verification for sure
  REQUIRE(db->Put(rocksdb::WriteOptions(),
                  internal::Cf(*store, keys::kProfilesCf), KeyOf(*store, "c"),
                  bad)
              .ok());
  CHECK(absl::IsDataLoss(store->Get("c").status()));
  absl::StatusOr<StoreReport> rebuilt = store->RebuildAll();
  REQUIRE_OK(rebuilt);
  CHECK(rebuilt->damaged == 1);
  CHECK(ProfileBytes(*store, "c") == good);
  CHECK(store->VerifyAll()->ok());

  // Corrupt history is DataLoss to History() and counted by Verify().
  rocksdb::ColumnFamilyHandle* purchases =
      internal::Cf(*store, keys::kPurchasesCf);
  REQUIRE(db->Put(rocksdb::WriteOptions(), purchases,
                  *internal::HistoryKeyOf(*store, "c", kT0, 1,
                                          EventKind::kPurchase),
                  "junk")
              .ok());
  CHECK(absl::IsDataLoss(store->History("c").status()));
  absl::StatusOr<CustomerReport> report = store->Verify("c");
  REQUIRE_OK(report);
  CHECK(report->corrupt_history == 1);
  CHECK_FALSE(report->ok());
}

TEST_CASE("History, Timeline and Breakdown") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const std::int64_t day = 86'400'000;
  REQUIRE_OK(store->Record(std::vector<Event>{
      MakePurchase(1, "c", kT0,
                   {{"A", "toys", 1, 1'000'000}, {"B", "toys", 2, 500'000}},
                   "s1"),
      MakePurchase(2, "c", kT0 + 10 * day, {{"A", "toys", 3, 1'000'000}}, "s2"),
      MakePurchase(3, "c", kT0 + 30 * day, {{"A", "toys", 1, 1'000'000}}, "s1"),
      MakePurchase(4, "c", kT0 + 31 * day, {{"A", "toys", -1, 1'000'000}},
                   "s1"),
      MakeInteraction(5, "c", kT0 + 5 * day, 9, 10),
      MakeLoyalty(6, "c", kT0 + 2 * day, LoyaltyKind::kEarn, 10),
  }));

  HistoryQuery purchases;
  purchases.kind = EventKind::kPurchase;
  absl::StatusOr<Events> h = store->History("c", purchases);
  REQUIRE_OK(h);
  REQUIRE(h->size() == 4);
  CHECK((*h)[0].id == 4);  // newest first
  CHECK((*h)[3].id == 1);
  CHECK((*h)[0].customer.id == "c");

  purchases.newest_first = false;
  purchases.limit = 2;
  purchases.range = {kT0 + 1, kT0 + 31 * day};
  h = store->History("c", purchases);
  REQUIRE_OK(h);
  REQUIRE(h->size() == 2);
  CHECK((*h)[0].id == 2);
  CHECK((*h)[1].id == 3);

  absl::StatusOr<Events> t = store->Timeline("c", {}, 3);
  REQUIRE_OK(t);
  REQUIRE(t->size() == 3);
  CHECK((*t)[0].id == 4);
  CHECK((*t)[1].id == 3);
  CHECK((*t)[2].id == 2);
  t = store->Timeline("c", {}, 0);
  REQUIRE_OK(t);
  CHECK(t->size() == 6);
  CHECK((*t)[3].id == 5);  // interaction at day 5
  CHECK((*t)[4].id == 6);  // loyalty at day 2
  CHECK(store->Timeline("nobody")->empty());

  absl::StatusOr<std::vector<BreakdownEntry>> products =
      store->Breakdown("c", Dimension::kProduct);
  REQUIRE_OK(products);
  REQUIRE(products->size() == 2);
  const BreakdownEntry& a = (*products)[0];
  CHECK(a.key == "A");
  CHECK(a.orders == 3);
  CHECK(a.returns == 1);
  CHECK(a.units == 5);
  CHECK(a.returned_units == 1);
  CHECK(a.first_purchase_ms == kT0);
  CHECK(a.last_purchase_ms == kT0 + 30 * day);
  CHECK(a.mean_interval_ms() == 15 * day);
  REQUIRE(a.money.size() == 1);
  CHECK(a.money[0].net_micros() == 4'000'000);
  CHECK((*products)[1].key == "B");
  CHECK_FALSE((*products)[1].mean_interval_ms().has_value());

  auto stores = store->Breakdown("c", Dimension::kStore);
  REQUIRE_OK(stores);
  REQUIRE(stores->size() == 2);
  CHECK((*stores)[0].key == "s1");
  CHECK((*stores)[0].orders == 2);
  auto categories = store->Breakdown("c", Dimension::kCategory);
  REQUIRE_OK(categories);
  REQUIRE(categories->size() == 1);
  CHECK((*categories)[0].orders == 3);
}

TEST_CASE("Identities: link once, then name the customer by email") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Event link;
  link.id = 1;
  link.customer = CustomerRef::Id("c-1");
  link.ts_ms = kT0;
  link.body = Identity{IdentityType::kEmail, "ann@example.com"};
  Event by_email = MakePurchase(2, "", kT0 + 1, {{"A", "", 1, 1'000'000}});
  by_email.customer =
      CustomerRef::ByIdentity(IdentityType::kEmail, "ann@example.com");
  // The link and its first use in one batch.
  absl::StatusOr<RecordResult> r =
      store->Record(std::vector<Event>{link, by_email});
  REQUIRE_OK(r);
  CHECK(r->recorded == 2);
  CHECK(store->Resolve(IdentityType::kEmail, "ann@example.com").value() ==
        "c-1");
  absl::StatusOr<Profile> p = store->Get("c-1");
  REQUIRE_OK(p);
  CHECK(p->purchases().orders == 1);
  REQUIRE(p->identities().size() == 1);
  CHECK(p->identities()[0].value == "ann@example.com");
  // A retry by identity is recognised too.
  r = store->Record(by_email);
  REQUIRE_OK(r);
  CHECK(r->already_recorded == 1);
  auto h = store->History("c-1");
  REQUIRE_OK(h);
  CHECK(h->size() == 2);
}

TEST_CASE("Close and reopen: kSync, kBuffered and kNone writes are all there") {
  TempDir dir;
  std::string sync_bytes, buffered_bytes, none_bytes;
  {
    auto store = OpenStore(dir.path());
    RecordOptions sync, buffered, none;
    sync.durability = Durability::kSync;
    buffered.durability = Durability::kBuffered;
    none.durability = Durability::kNone;
    REQUIRE_OK(store->Record(
        MakePurchase(1, "s", kT0, {{"A", "", 1, 1'000'000}}), sync));
    REQUIRE_OK(store->Record(
        MakePurchase(2, "b", kT0, {{"A", "", 1, 1'000'000}}), buffered));
    REQUIRE_OK(store->Record(
        MakePurchase(3, "n", kT0, {{"A", "", 1, 1'000'000}}), none));
    sync_bytes = ProfileBytes(*store, "s");
    buffered_bytes = ProfileBytes(*store, "b");
    none_bytes = ProfileBytes(*store, "n");
  }
  auto store = OpenStore(dir.path());
  CHECK(ProfileBytes(*store, "s") == sync_bytes);
  CHECK(ProfileBytes(*store, "b") == buffered_bytes);
  CHECK(ProfileBytes(*store, "n") == none_bytes);
  CHECK(store->VerifyAll()->ok());
  absl::StatusOr<RecordResult> again =
      store->Record(MakePurchase(1, "s", kT0, {{"A", "", 1, 1'000'000}}));
  REQUIRE_OK(again);
  CHECK(again->already_recorded == 1);
}

TEST_CASE("Open refuses an incompatible store and a second opener") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(dir.path());
    CHECK(absl::IsUnavailable(second.status()));
    rocksdb::DB* db = internal::Db(*store);
    REQUIRE(db->Put(rocksdb::WriteOptions(), "ckm.profile_merge_operator",
                    "other.v9")
                .ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(dir.path());
  CHECK(absl::IsFailedPrecondition(reopened.status()));
  CHECK(reopened.status().message().find("other.v9") !=
        absl::string_view::npos);

  StoreOptions no_create;
  no_create.create_if_missing = false;
  CHECK(absl::IsNotFound(Store::Open(dir.sub("missing"), no_create).status()));
}

TEST_CASE(
    "Open creates a store only in a new or empty directory, never among "
    "other files") {
  TempDir dir;
  const std::string foreign = dir.sub("photos");
  std::filesystem::create_directories(foreign);
  std::ofstream(foreign + "/holiday.jpg") << "not a store";
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(foreign);
  CHECK(absl::IsFailedPrecondition(store.status()));
  CHECK(store.status().message().find("holiday.jpg") !=
        absl::string_view::npos);
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(foreign)) {
    ++entries;
  }
  CHECK(entries == 1);  // nothing was written among them

  StoreOptions no_create;
  no_create.create_if_missing = false;
  CHECK(absl::IsNotFound(Store::Open(foreign, no_create).status()));

  const std::string empty = dir.sub("empty");
  std::filesystem::create_directories(empty);
  REQUIRE_OK(Store::Open(empty).status());
  REQUIRE_OK(Store::Open(empty).status());  // and opens again
}

TEST_CASE("Sums that would overflow saturate and are reported, never wrap") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (int i = 0; i < 12; ++i) {
    // 10^9 units at 1,000 each = 10^18 micros; twelve of them pass INT64_MAX.
    REQUIRE_OK(store->Record(MakePurchase(
        i + 1, "whale", kT0 + i, {{"A", "", 1'000'000'000, 1'000'000'000}})));
  }
  absl::StatusOr<Profile> p = store->Get("whale");
  REQUIRE_OK(p);
  CHECK(p->saturated());
  CHECK(p->purchases().by_currency[0].gross_micros ==
        std::numeric_limits<std::int64_t>::max());
  CHECK(p->purchases().orders == 12);
  // One order whose own total overflows is rejected up front.
  Event huge = MakePurchase(99, "whale", kT0,
                            {{"A", "", 1'000'000'000, 1'000'000'000'000'000}});
  absl::Status s = store->Record(huge).status();
  CHECK(absl::IsInvalidArgument(s));
  CHECK(s.message().find("events[0].purchase.lines[0].quantity") !=
        absl::string_view::npos);
}

}  // namespace
}  // namespace ckm

namespace ckm {
namespace {

TEST_CASE(
    "ForEachProfile visits every customer in the order they were first "
    "recorded; Stats counts them") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (const char* c : {"m", "a", "z", "k"}) {
    REQUIRE_OK(
        store->Record(MakePurchase(1, c, kT0, {{"A", "", 1, 1'000'000}})));
  }
  std::vector<std::string> seen;
  REQUIRE_OK(store->ForEachProfile([&](const Profile& p) {
    seen.emplace_back(p.customer_id());
    return true;
  }));
  CHECK(seen == std::vector<std::string>{"m", "a", "z", "k"});
  seen.clear();
  REQUIRE_OK(store->ForEachProfile([&](const Profile& p) {
    seen.emplace_back(p.customer_id());
    return seen.size() < 2;  // stop early
  }));
  CHECK(seen.size() == 2);

  REQUIRE_OK(store->Flush());
  absl::StatusOr<StoreStats> stats = store->Stats();
  REQUIRE_OK(stats);
  CHECK(stats->customers == 4);
  CHECK(stats->purchases == 4);
  CHECK(stats->disk_bytes > 0);
}

}  // namespace
}  // namespace ckm

namespace ckm {
namespace {

TEST_CASE("History returns every kind of event exactly as it was recorded") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  EventGen gen(2024, 3);
  const std::vector<Event> events = gen.Events(300);
  REQUIRE_OK(store->Record(events));
  std::size_t found = 0;
  for (int c = 0; c < 3; ++c) {
    const std::string customer = "cust-" + std::to_string(c);
    absl::StatusOr<Events> history = store->Timeline(customer, {}, 0);
    REQUIRE_OK(history);
    for (const Event& recorded : *history) {
      auto it = std::find_if(events.begin(), events.end(), [&](const Event& e) {
        return e.id == recorded.id;
      });
      REQUIRE(it != events.end());
      CHECK(*it == recorded);  // every field of every kind survives
      ++found;
    }
    for (std::size_t k = 1; k < history->size(); ++k) {
      const Event& newer = (*history)[k - 1];
      const Event& older = (*history)[k];
      CHECK(std::tie(newer.ts_ms, newer.id) > std::tie(older.ts_ms, older.id));
    }
  }
  CHECK(found == events.size());
}

}  // namespace
}  // namespace ckm

namespace ckm {
namespace {

TEST_CASE("The kind is part of an event's name, in a batch and across calls") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  // A support call and a loyalty earn with the same customer, time and id
  // are two events (found by fuzzing: a batch counted them once, the store
  // twice).
  Event call = MakeInteraction(7, "c", kT0, 8, 10);
  Event earn = MakeLoyalty(7, "c", kT0, LoyaltyKind::kEarn, 50);
  Event attribute;
  attribute.id = 7;
  attribute.customer = CustomerRef::Id("c");
  attribute.ts_ms = kT0;
  attribute.body = Attribute{"personal.nickname", std::string("Al")};
  Event consent = attribute;
  consent.body = Consent{"marketing.email", true};  // same column family
  const std::vector<Event> batch = {call, earn, attribute, consent};
  absl::StatusOr<RecordResult> r = store->Record(batch);
  REQUIRE_OK(r);
  CHECK(r->recorded == 4);
  CHECK(r->already_recorded == 0);
  r = store->Record(batch);
  REQUIRE_OK(r);
  CHECK(r->recorded == 0);
  CHECK(r->already_recorded == 4);
  CHECK(store->Get("c")->event_count() == 4);
  CHECK(store->Timeline("c", {}, 0)->size() == 4);
  CHECK(store->Verify("c")->ok());
}

}  // namespace
}  // namespace ckm

namespace ckm {
namespace {

TEST_CASE("A link from an event already recorded under its name is not used") {
  // Found by fuzzing: the batch resolved a purchase through a link whose
  // event was skipped as already recorded, so the link was never written.
  TempDir dir;
  auto store = OpenStore(dir.path());
  Event link;
  link.id = 5;
  link.customer = CustomerRef::Id("c");
  link.ts_ms = kT0;
  link.body = Identity{IdentityType::kPhone, "+44 1"};
  REQUIRE_OK(store->Record(link));

  Event relink = link;  // same name, another phone
  relink.body = Identity{IdentityType::kPhone, "+44 2"};
  Event by_phone = MakePurchase(6, "", kT0 + 1, {{"A", "", 1, 1'000'000}});
  by_phone.customer = CustomerRef::ByIdentity(IdentityType::kPhone, "+44 2");
  absl::StatusOr<RecordResult> r =
      store->Record(std::vector<Event>{relink, by_phone});
  CHECK(absl::IsInvalidArgument(r.status()));
  CHECK(r.status().message().find("events[1].customer: unknown identity") == 0);
  CHECK(
      absl::IsNotFound(store->Resolve(IdentityType::kPhone, "+44 2").status()));
  CHECK(store->Get("c")->purchases().orders == 0);

  // Through the link that was recorded, the same purchase is fine.
  by_phone.customer = CustomerRef::ByIdentity(IdentityType::kPhone, "+44 1");
  r = store->Record(std::vector<Event>{link, by_phone});
  REQUIRE_OK(r);
  CHECK(r->recorded == 1);
  CHECK(r->already_recorded == 1);
  CHECK(store->Get("c")->purchases().orders == 1);
}

}  // namespace
}  // namespace ckm
