// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Many threads on one Store: eight writers record overlapping, re-split and
// re-ordered copies of one set of events while readers call Get, History and
// Timeline. Every event must count once, readers must never see a profile go
// backwards or fail to decode, and every profile must equal the fold of its
// history at the end. CI runs this under ThreadSanitizer.

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

constexpr int kWriters = 8;
constexpr int kReaders = 3;
constexpr int kCustomers = 12;
constexpr int kEvents = 3000;

TEST_CASE("Eight writers with overlapping batches and concurrent readers") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kBuffered;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(dir.path(), options);
  REQUIRE_OK(opened);
  Store& store = **opened;

  ckm_test::EventGen gen(8080, kCustomers);
  const std::vector<Event> events = gen.Events(kEvents);
  std::map<std::string, std::int64_t> expected_count;
  for (const Event& e : events) ++expected_count[e.customer.id];

  std::atomic<std::size_t> recorded{0};
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      // Each writer records every event, in its own order and batch sizes.
      std::mt19937_64 rng(w + 1);
      std::vector<Event> mine = events;
      std::shuffle(mine.begin(), mine.end(), rng);
      for (std::size_t i = 0; i < mine.size();) {
        const std::size_t n =
            std::min<std::size_t>(1 + rng() % 64, mine.size() - i);
        absl::StatusOr<RecordResult> r =
            store.Record(absl::MakeConstSpan(mine.data() + i, n));
        if (r.ok()) {
          recorded += r->recorded;
        } else {
          ++errors;
        }
        i += n;
      }
      --writers_left;
    });
  }
  std::atomic<std::int64_t> reads{0};
  std::atomic<int> regressions{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::map<std::string, std::int64_t> last_seen;
      std::mt19937_64 rng(100 + r);
      while (writers_left.load() > 0) {
        const std::string customer =
            "cust-" + std::to_string(rng() % kCustomers);
        absl::StatusOr<Profile> p = store.Get(customer);
        if (p.ok()) {
          // A profile only grows: a reader never sees an older state after
          // a newer one.
          if (p->event_count() < last_seen[customer]) ++regressions;
          last_seen[customer] = p->event_count();
          (void)p->ToJson(0);
        } else if (!absl::IsNotFound(p.status())) {
          ++errors;
        }
        HistoryQuery query;
        query.limit = 20;
        if (!store.History(customer, query).ok()) ++errors;
        if (!store.Timeline(customer, {}, 10).ok()) ++errors;
        ++reads;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  CHECK(errors == 0);
  CHECK(regressions == 0);
  CHECK(reads > 0);
  CHECK(recorded == events.size());
  for (const auto& [customer, count] : expected_count) {
    absl::StatusOr<Profile> p = store.Get(customer);
    REQUIRE_OK(p);
    CHECK(p->event_count() == count);
  }
  absl::StatusOr<StoreReport> report = store.VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->customers == kCustomers);
  CHECK(report->ok());
}

// Merges and unmerges of the same customers race with the writers: every
// event must still count once, and land in the profile of its customer's
// group as the links stand at the end.
TEST_CASE("Writers, by id and by email, racing merges and unmerges") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kBuffered;
  options.breakdowns_buffer_bytes = 1 << 14;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(dir.path(), options);
  REQUIRE_OK(opened);
  Store& store = **opened;
  constexpr int kPeople = 6;
  auto email = [](int c) { return "cust-" + std::to_string(c) + "@shop.test"; };
  std::vector<Event> links;
  for (int c = 0; c < kPeople; ++c) {
    links.push_back(Event{100'000 + static_cast<std::uint64_t>(c),
                          CustomerRef::Id("cust-" + std::to_string(c)), 1, "",
                          Identity{IdentityType::kEmail, email(c)}});
  }
  REQUIRE_OK(store.Record(links));
  ckm_test::EventGen gen(4242, kPeople);
  std::vector<Event> events = gen.Events(1500);
  for (std::size_t i = 0; i < events.size(); i += 3) {  // a third by email
    const std::string id = events[i].customer.id;
    events[i].customer =
        CustomerRef::ByIdentity(IdentityType::kEmail, id + "@shop.test");
  }
  std::atomic<int> writers_left{4};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(w + 7);
      std::vector<Event> mine = events;
      std::shuffle(mine.begin(), mine.end(), rng);
      for (std::size_t i = 0; i < mine.size();) {
        const std::size_t n =
            std::min<std::size_t>(1 + rng() % 32, mine.size() - i);
        if (!store.Record(absl::MakeConstSpan(mine.data() + i, n)).ok())
          ++errors;
        i += n;
      }
      --writers_left;
    });
  }
  std::atomic<int> merges{0};
  threads.emplace_back([&] {
    std::mt19937_64 rng(99);
    while (writers_left.load() > 0) {
      const std::string a = "cust-" + std::to_string(rng() % kPeople);
      const std::string b = "cust-" + std::to_string(rng() % kPeople);
      if (a == b) continue;
      const absl::Status s =
          rng() % 3 == 0 ? store.Unmerge(a, b) : store.Merge(a, b);
      if (s.ok()) {
        ++merges;
      } else if (!absl::IsFailedPrecondition(s)) {
        ++errors;
      }
      if (!store.Get(b).ok() || !store.Breakdown(a, Dimension::kProduct).ok())
        ++errors;
    }
  });
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(merges > 0);

  // Each event once, in its group's root: the counts over roots add up.
  std::set<std::tuple<std::string, int, std::int64_t, std::uint64_t>> distinct;
  for (const Event& e : events) {
    const std::string own = e.customer.identity_type
                                ? e.customer.identity_value.substr(
                                      0, e.customer.identity_value.find('@'))
                                : e.customer.id;
    distinct.emplace(own, static_cast<int>(e.kind()), e.ts_ms, e.id);
  }
  std::int64_t counted = 0;
  for (int c = 0; c < kPeople; ++c) {
    const std::string id = "cust-" + std::to_string(c);
    absl::StatusOr<CustomerIdentities> who = store.Identities(id);
    REQUIRE_OK(who);
    if (who->survivor != id) continue;
    counted += store.Get(id)->event_count();
  }
  CHECK(counted == static_cast<std::int64_t>(distinct.size() + links.size()));
  absl::StatusOr<StoreReport> report = store.VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
}

}  // namespace
}  // namespace ckm
