// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The keyspace's laws: per-customer keys share an 8-byte prefix, history
// keys sort by (customer, ts_ms, event_id, kind), time bounds bracket them,
// and reverse directory entries never collide with external ids.

#include "storage/keys.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "catch2/catch.hpp"

namespace ckm::keys {
namespace {

TEST_CASE("Customer keys are 8 big-endian bytes that round-trip") {
  for (CustomerNumber n : {CustomerNumber{1}, CustomerNumber{255},
                           CustomerNumber{256}, ~CustomerNumber{0}}) {
    const std::string key = CustomerKey(n);
    REQUIRE(key.size() == kCustomerKeyBytes);
    CHECK(NumberOf(key) == n);
  }
  CHECK(CustomerKey(1) < CustomerKey(256));  // byte order is number order
  CHECK_FALSE(NumberOf(CustomerKey(0)).has_value());  // 0 is never given out
  CHECK_FALSE(NumberOf("short").has_value());
}

TEST_CASE("History keys sort by customer, time, event id and kind") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  struct Name {
    CustomerNumber customer;
    std::int64_t ts_ms;
    std::uint64_t id;
    EventKind kind;
  };
  std::vector<Name> names;
  const std::int64_t times[] = {
      std::numeric_limits<std::int64_t>::min(), -1, 0, 1, 1'700'000'000'000,
      std::numeric_limits<std::int64_t>::max()};
  for (int i = 0; i < 2000; ++i) {
    std::int64_t ts = times[rng() % 6];
    if (ts < std::numeric_limits<std::int64_t>::max() && rng() % 3 == 0) ++ts;
    names.push_back({1 + rng() % 4, ts, rng() % 5,
                     static_cast<EventKind>(rng() % kEventKindCount)});
  }
  std::vector<std::pair<std::string, std::size_t>> keyed;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Name& n = names[i];
    const std::string key = HistoryKey(n.customer, n.ts_ms, n.id, n.kind);
    REQUIRE(key.size() == kHistoryKeyBytes);
    CHECK(NumberOf(key) == n.customer);
    CHECK(key.substr(0, kCustomerKeyBytes) == CustomerKey(n.customer));
    // The time bounds bracket it.
    CHECK(HistoryTimeBound(n.customer, n.ts_ms) <= key);
    if (n.ts_ms < std::numeric_limits<std::int64_t>::max())
      CHECK(key < HistoryTimeBound(n.customer, n.ts_ms + 1));
    keyed.emplace_back(key, i);
  }
  std::sort(keyed.begin(), keyed.end());
  for (std::size_t k = 1; k < keyed.size(); ++k) {
    const Name& a = names[keyed[k - 1].second];
    const Name& b = names[keyed[k].second];
    CHECK(
        std::make_tuple(a.customer, a.ts_ms, a.id, static_cast<int>(a.kind)) <=
        std::make_tuple(b.customer, b.ts_ms, b.id, static_cast<int>(b.kind)));
  }
}

TEST_CASE("Reverse directory keys are told apart from external ids") {
  const std::string reverse = ReverseKey(42);
  CHECK(reverse.size() == 1 + kCustomerKeyBytes);
  CHECK(IsReverseKey(reverse));
  CHECK(NumberOf(std::string_view(reverse).substr(1)) == 42u);
  // External ids are non-empty and never hold NUL.
  CHECK_FALSE(IsReverseKey("cust-1"));
  CHECK_FALSE(IsReverseKey("\x01"));
  CHECK_FALSE(IsReverseKey(""));
}

TEST_CASE("Identity keys keep type and value apart") {
  CHECK(IdentityKey(IdentityType::kEmail, "a") !=
        IdentityKey(IdentityType::kPhone, "a"));
  CHECK(IdentityKey(IdentityType::kEmail, "a").size() == 3);
}

}  // namespace
}  // namespace ckm::keys
