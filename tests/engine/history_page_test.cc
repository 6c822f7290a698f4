// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// History one page at a time: pages followed by their cursors give exactly
// the unlimited history, in either direction and with every filter; a page
// cut by its limit says so; filters by attribute key and consent purpose
// give the fields' audit trails; bad queries are refused.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::TempDir;

std::vector<std::string> Names(const Events& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(std::to_string(e.ts_ms) + "/" + std::to_string(e.id) + "/" +
                  std::string(ToString(e.kind())));
  }
  return out;
}

TEST_CASE("History pages followed by their cursors give the whole history") {
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  ckm_test::EventGen gen(seed, 3);
  std::vector<Event> events = gen.Events(300);
  // Events of different kinds sharing a time and an id: the order is total
  // all the same (kind breaks the tie).
  Event twin = events[0];
  twin.body = Consent{"marketing.sms", true};
  Event triplet = twin;
  triplet.body = Attribute{"custom.note", std::string("x")};
  events.push_back(twin);
  events.push_back(triplet);
  REQUIRE_OK((*store)->Record(events));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    HistoryQuery q;
    q.newest_first = rng() % 2;
    switch (rng() % 5) {
      case 0:
        q.kind = static_cast<EventKind>(rng() % kEventKindCount);
        break;
      case 1:
        q.attribute_key = "demographic.age_band";
        break;
      case 2:
        q.consent_purpose = "marketing.email";
        break;
      default:
        break;
    }
    if (rng() % 3 == 0) {
      q.range.since_ms = 1'600'000'000'000 + std::int64_t(rng() % 10) * 60'000;
      q.range.until_ms = q.range.since_ms + std::int64_t(rng() % 12) * 60'000;
    }
    const std::string customer = "cust-" + std::to_string(rng() % 3);
    INFO("round " << round << " customer " << customer);
    HistoryQuery all = q;
    all.limit = 0;
    absl::StatusOr<HistoryPage> whole = (*store)->ListHistory(customer, all);
    REQUIRE_OK(whole);
    CHECK(whole->next_cursor.empty());
    // The filters equal a plain filter of the unfiltered history.
    HistoryQuery unfiltered;
    unfiltered.limit = 0;
    unfiltered.range = q.range;
    unfiltered.newest_first = q.newest_first;
    absl::StatusOr<Events> everything = (*store)->History(customer, unfiltered);
    REQUIRE_OK(everything);
    Events want;
    for (const Event& e : *everything) {
      if (q.kind && e.kind() != *q.kind) continue;
      if (!q.attribute_key.empty() &&
          (e.kind() != EventKind::kAttribute ||
           std::get<Attribute>(e.body).key != q.attribute_key))
        continue;
      if (!q.consent_purpose.empty() &&
          (e.kind() != EventKind::kConsent ||
           std::get<Consent>(e.body).purpose != q.consent_purpose))
        continue;
      want.push_back(e);
    }
    CHECK(Names(whole->events) == Names(want));

    q.limit = 1 + rng() % 9;
    Events paged;
    for (int page_no = 0;; ++page_no) {
      REQUIRE(page_no <= 400);
      absl::StatusOr<HistoryPage> page = (*store)->ListHistory(customer, q);
      REQUIRE_OK(page);
      CHECK(page->events.size() <= q.limit);
      // History() with the same cursor gives the same events.
      absl::StatusOr<Events> same = (*store)->History(customer, q);
      REQUIRE_OK(same);
      CHECK(Names(*same) == Names(page->events));
      paged.insert(paged.end(), page->events.begin(), page->events.end());
      CHECK(page->next_cursor.empty() == (paged.size() == want.size()));
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    CHECK(Names(paged) == Names(want));
  }
}

TEST_CASE("A history cursor continues after events recorded meanwhile") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  auto consent = [&](std::int64_t minute, bool granted) {
    Event e;
    e.id = static_cast<std::uint64_t>(minute) + 1;
    e.customer = CustomerRef::Id("c1");
    e.ts_ms = 1'700'000'000'000 + minute * 60'000;
    e.body = Consent{"marketing.email", granted};
    REQUIRE_OK((*store)->Record(e));
  };
  for (int m = 0; m < 5; ++m) consent(m * 10, m % 2 == 0);
  HistoryQuery q;
  q.consent_purpose = "marketing.email";
  q.newest_first = false;
  q.limit = 2;
  absl::StatusOr<HistoryPage> first = (*store)->ListHistory("c1", q);
  REQUIRE_OK(first);
  REQUIRE(first->events.size() == 2);
  consent(5, true);   // before the cursor: not on later pages
  consent(25, true);  // after it: on the next page
  q.cursor = first->next_cursor;
  absl::StatusOr<HistoryPage> second = (*store)->ListHistory("c1", q);
  REQUIRE_OK(second);
  std::vector<std::int64_t> minutes;
  for (const Event& e : second->events)
    minutes.push_back((e.ts_ms - 1'700'000'000'000) / 60'000);
  CHECK(minutes == std::vector<std::int64_t>{20, 25});
  CHECK_FALSE(second->next_cursor.empty());
}

TEST_CASE("History refuses filters no event can pass, and foreign cursors") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  Event e;
  e.id = 1;
  e.customer = CustomerRef::Id("c1");
  e.ts_ms = 1'700'000'000'000;
  e.body = Consent{"marketing.email", true};
  REQUIRE_OK((*store)->Record(e));
  e.id = 2;
  REQUIRE_OK((*store)->Record(e));
  struct Case {
    HistoryQuery query;
    std::string message;
  };
  std::vector<Case> cases(6);
  cases[0].query.attribute_key = "demographic.city";
  cases[0].query.consent_purpose = "marketing.email";
  cases[0].message =
      "attribute_key, consent_purpose: set one of them, not both";
  cases[1].query.attribute_key = "city";
  cases[1].message =
      "attribute_key: not an attribute key (personal.*, demographic.*, "
      "psychographic.* or custom.*)";
  cases[2].query.attribute_key = "demographic.city";
  cases[2].query.kind = EventKind::kPurchase;
  cases[2].message =
      "attribute_key: only attribute events have one, and kind is purchase";
  cases[3].query.consent_purpose = "Marketing";
  cases[3].message = "consent_purpose: must be 1..128 bytes of [a-z0-9_.-]";
  cases[4].query.cursor = "garbage!";
  cases[4].message = "cursor: not a cursor a page of history gave (malformed)";
  HistoryQuery newest;
  newest.limit = 1;
  absl::StatusOr<HistoryPage> page = (*store)->ListHistory("c1", newest);
  REQUIRE_OK(page);
  REQUIRE_FALSE(page->next_cursor.empty());
  cases[5].query.cursor = page->next_cursor;
  cases[5].query.newest_first = false;
  cases[5].message =
      "cursor: made by a query of the other direction (newest_first)";
  for (const Case& c : cases) {
    INFO(c.message);
    absl::StatusOr<HistoryPage> r = (*store)->ListHistory("c1", c.query);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(r.status().message() == c.message);
    CHECK((*store)->History("c1", c.query).status() == r.status());
  }
  // An unknown customer has an empty history, cut by nothing.
  absl::StatusOr<HistoryPage> none = (*store)->ListHistory("nobody", newest);
  REQUIRE_OK(none);
  CHECK(none->events.empty());
  CHECK(none->next_cursor.empty());
}

TEST_CASE("Breakdown entries say when each product is expected again") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  const std::int64_t day = 86'400'000, t = 1'700'000'000'000;
  for (int i = 0; i < 3; ++i) {  // tea on days 0, 10 and 30; a mug once
    Event e;
    e.id = i + 1;
    e.customer = CustomerRef::Id("c1");
    e.ts_ms = t + (i == 2 ? 30 : 10 * i) * day;
    Purchase p;
    p.currency = "GBP";
    p.lines.push_back({"tea", "", 1, 4'000'000});
    if (i == 0) p.lines.push_back({"mug", "", 1, 9'000'000});
    e.body = p;
    REQUIRE_OK((*store)->Record(e));
  }
  absl::StatusOr<std::vector<BreakdownEntry>> products =
      (*store)->Breakdown("c1", Dimension::kProduct);
  REQUIRE_OK(products);
  REQUIRE(products->size() == 2);
  CHECK((*products)[0].key == "mug");
  CHECK_FALSE((*products)[0].expected_next_purchase_ms().has_value());
  CHECK((*products)[1].key == "tea");
  CHECK((*products)[1].mean_interval_ms() == 15 * day);
  CHECK((*products)[1].expected_next_purchase_ms() == t + 45 * day);
}

}  // namespace
}  // namespace ckm

namespace ckm {
namespace {

TEST_CASE("Pages of a merged group keep members' events of one time and id") {
  // Two customers with events of the same time, id and kind each: merged,
  // their group's history holds both, and pages of any size give both.
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  std::vector<Event> events;
  for (const char* who : {"ann", "bob", "cy"}) {
    for (std::uint64_t i = 1; i <= 4; ++i) {
      events.push_back(Event{i, CustomerRef::Id(who),
                             1000 + static_cast<std::int64_t>(i), "pos",
                             Loyalty::Earn(5)});
    }
  }
  REQUIRE_OK((*store)->Record(events));
  IdentityChangeOptions why;
  why.actor = "test";
  why.reason = "same card";
  REQUIRE_OK((*store)->Merge("ann", "bob", why));
  REQUIRE_OK((*store)->Merge("ann", "cy", why));
  for (const bool newest_first : {false, true}) {
    HistoryQuery whole;
    whole.newest_first = newest_first;
    whole.limit = 0;
    auto all = (*store)->History("ann", whole);
    REQUIRE_OK(all);
    REQUIRE(all->size() == 12);
    for (std::size_t limit : {1, 2, 5}) {
      INFO("newest_first " << newest_first << ", limit " << limit);
      HistoryQuery q = whole;
      q.limit = limit;
      Events paged;
      for (int guard = 0; guard < 20; ++guard) {
        auto page = (*store)->ListHistory("ann", q);
        REQUIRE_OK(page);
        paged.insert(paged.end(), page->events.begin(), page->events.end());
        if (page->next_cursor.empty()) break;
        q.cursor = page->next_cursor;
      }
      CHECK(Names(paged) == Names(*all));
      std::vector<std::string> owners;
      for (const Event& e : paged) owners.push_back(e.customer.id);
      std::sort(owners.begin(), owners.end());
      CHECK(std::count(owners.begin(), owners.end(), "bob") == 4);
    }
  }
}

}  // namespace
}  // namespace ckm
